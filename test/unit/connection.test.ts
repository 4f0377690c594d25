// The socket's life under a fake clock: backoff, liveness, stops, bad frames.
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { createPageCable, type PageCable } from "../../src/page_cable"
import { FakeClock } from "../support/fake_clock"
import { FakeWebSocket, settle } from "../support/fake_socket"

const STREAM = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "s" })

let clock: FakeClock
let page: PageCable
const source = { subscriptionConfirmed() {}, subscriptionLost() {}, subscriptionRejected() {} }

beforeEach(() => {
  FakeWebSocket.reset()
  clock = new FakeClock()
  page = createPageCable({
    options: { url: () => "ws://cable.test/cable" },
    clock,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    document: null,
  })
})

// A page left running would open its next socket during the next test.
afterEach(() => page.handle.stop())

async function opened(): Promise<FakeWebSocket> {
  await settle()
  return FakeWebSocket.latest
}

async function welcomed(): Promise<FakeWebSocket> {
  const socket = await opened()
  socket.accept()
  socket.welcome()
  return socket
}

describe("Connection", () => {
  it("opens one socket, lazily, when the first subscription needs it, offering AnyCable's extended protocol before Action Cable's", async () => {
    await settle()
    expect(FakeWebSocket.instances).toHaveLength(0)
    page.consumer.subscriptions.create("A")
    page.consumer.subscriptions.create("B")
    page.attachSource(STREAM, source)
    const socket = await welcomed()
    expect(FakeWebSocket.instances).toHaveLength(1)
    expect(socket.url).toBe("ws://cable.test/cable")
    expect(socket.protocols).toEqual(["actioncable-v1-ext-json", "actioncable-v1-json", "actioncable-unsupported"])
    expect(page.handle.state).toBe("connected")
  })

  it("retries a dropped line after 150-450 ms, then backs off", async () => {
    page.attachSource(STREAM, source)
    const first = await welcomed()
    first.drop()
    expect(page.handle.state).toBe("disconnected")
    await settle()
    clock.advance(149)
    await settle()
    expect(FakeWebSocket.instances).toHaveLength(1)
    clock.advance(301)
    const second = await opened()
    expect(second).not.toBe(first)
    expect(page.handle.state).toBe("reconnecting")
  })

  it("says whether a reconnect follows the page's own wake (no herd to spread) or a drop alone", async () => {
    page.attachSource(STREAM, source)
    const first = await welcomed()
    first.drop()
    await settle()
    clock.advance(450)
    const second = await welcomed()
    expect(page.line.rejoiningAfterWake).toBe(false)
    second.drop()
    page.line.wake("resume")
    await settle()
    const third = await opened()
    expect(third).not.toBe(second)
    expect(page.line.rejoiningAfterWake).toBe(true)
  })

  it("replaces a line that has been silent for two ping intervals", async () => {
    page.attachSource(STREAM, source)
    const first = await welcomed()
    clock.advance(5_500)
    expect(first.readyState).toBe(FakeWebSocket.OPEN)
    clock.advance(1_000)
    expect(first.readyState).toBe(FakeWebSocket.CLOSED)
  })

  it("keeps a line that pings", async () => {
    page.attachSource(STREAM, source)
    const socket = await welcomed()
    for (let i = 0; i < 20; i++) {
      clock.advance(3_000)
      socket.receive({ type: "ping", message: i })
    }
    expect(socket.readyState).toBe(FakeWebSocket.OPEN)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it("stops for good after one attempt when the server says unauthorized", async () => {
    page.attachSource(STREAM, source)
    const socket = await opened()
    socket.accept()
    socket.receive({ type: "disconnect", reason: "unauthorized", reconnect: false })
    expect(page.handle.state).toBe("stopped")
    await settle()
    clock.advance(120_000)
    await settle()
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it("stops when the server picks actioncable-unsupported", async () => {
    page.attachSource(STREAM, source)
    const socket = await opened()
    socket.accept("actioncable-unsupported")
    expect(page.handle.state).toBe("stopped")
    clock.advance(60_000)
    await settle()
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it("ignores frames it does not understand, without throwing, and keeps the line", async () => {
    page.attachSource(STREAM, source)
    const socket = await welcomed()
    for (const frame of ["not json", "[1]", '{"type":"weird"}', '{"identifier":5}', "null", '{"identifier":"nope","message":"x"}']) {
      expect(() => socket.receive(frame)).not.toThrow()
    }
    expect(page.handle.state).toBe("connected")
  })

  it("restart() after stop() opens a new socket and subscribes again", async () => {
    page.attachSource(STREAM, source)
    const first = await welcomed()
    first.receive({ identifier: STREAM, type: "confirm_subscription" })
    page.handle.stop()
    expect(page.handle.state).toBe("stopped")
    page.handle.restart()
    const second = await welcomed()
    expect(second).not.toBe(first)
    expect(second.commands()).toEqual([{ command: "subscribe", identifier: STREAM }])
  })
})
