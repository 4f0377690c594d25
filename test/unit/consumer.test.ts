// The consumer (@rails/actioncable's API) over the page's cable, with a fake socket and clock.
import { beforeEach, describe, expect, it } from "vitest"
import { createPageCable, type PageCable } from "../../src/page_cable"
import { FakeClock } from "../support/fake_clock"
import { FakeWebSocket, settle } from "../support/fake_socket"

const CHAT = { channel: "ChatChannel", room: 7 }
const CHAT_ID = JSON.stringify(CHAT)

let clock: FakeClock
let page: PageCable
let rendered: string[]

beforeEach(() => {
  FakeWebSocket.reset()
  clock = new FakeClock()
  rendered = []
  page = createPageCable({
    options: { url: "ws://cable.test/cable" },
    clock,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    turbo: () => ({ renderStreamMessage: (html: string) => void rendered.push(html) }),
    document: null,
  })
})

/** The server accepts the socket the client opened and welcomes it. */
async function serverWelcomes(): Promise<FakeWebSocket> {
  await settle()
  const socket = FakeWebSocket.latest
  socket.accept()
  socket.welcome()
  return socket
}

function recorder() {
  const calls: Array<[string, unknown?]> = []
  return {
    calls,
    mixin: {
      initialized: () => void calls.push(["initialized"]),
      connected: (details: unknown) => void calls.push(["connected", details]),
      disconnected: (details: unknown) => void calls.push(["disconnected", details]),
      rejected: () => void calls.push(["rejected"]),
      received: (data: unknown) => void calls.push(["received", data]),
    },
  }
}

describe("consumer.subscriptions.create", () => {
  it("subscribes with the params as identifier and calls the mixin's callbacks with any JSON", async () => {
    const { calls, mixin } = recorder()
    const subscription = page.consumer.subscriptions.create(CHAT, mixin)
    expect(subscription.identifier).toBe(CHAT_ID)
    expect(calls).toEqual([["initialized"]])
    const socket = await serverWelcomes()
    expect(socket.commands()).toEqual([{ command: "subscribe", identifier: CHAT_ID }])
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    socket.receive({ identifier: CHAT_ID, message: { text: "hi", from: "bob" } })
    socket.receive({ identifier: CHAT_ID, message: [1, 2] })
    expect(calls.slice(1)).toEqual([
      ["connected", { reconnected: false }],
      ["received", { text: "hi", from: "bob" }],
      ["received", [1, 2]],
    ])
    expect(page.consumer.subscriptions.subscriptions).toEqual([subscription])
  })

  it("takes a channel name alone", async () => {
    const subscription = page.consumer.subscriptions.create("PresenceChannel")
    expect(subscription.identifier).toBe('{"channel":"PresenceChannel"}')
  })

  it("makes the mixin's methods the subscription's own, called with it as this", async () => {
    const subscription = page.consumer.subscriptions.create(CHAT, {
      speak(this: any, text: string) {
        return this.perform("speak", { text })
      },
    })
    const socket = await serverWelcomes()
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    expect((subscription as any).speak("hello")).toBe(true)
    expect(socket.commands("message")).toEqual([{ command: "message", identifier: CHAT_ID, data: JSON.stringify({ text: "hello", action: "speak" }) }])
  })

  it("shares one server subscription between subscriptions of one identifier; each mixin gets each message once", async () => {
    const a = recorder(), b = recorder()
    page.consumer.subscriptions.create(CHAT, a.mixin)
    page.consumer.subscriptions.create({ ...CHAT }, b.mixin)
    const socket = await serverWelcomes()
    expect(socket.commands("subscribe")).toHaveLength(1)
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    socket.receive({ identifier: CHAT_ID, message: { n: 1 } })
    for (const { calls } of [a, b]) expect(calls.filter(([name]) => name == "received")).toEqual([["received", { n: 1 }]])
  })

  it("never hands an app channel's data to Turbo, even when it looks like a Turbo Stream", async () => {
    const { calls, mixin } = recorder()
    page.consumer.subscriptions.create(CHAT, mixin)
    const socket = await serverWelcomes()
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    const stream = '<turbo-stream action="remove" target="x"></turbo-stream>'
    socket.receive({ identifier: CHAT_ID, message: stream })
    await settle()
    expect(rendered).toEqual([])
    expect(calls.at(-1)).toEqual(["received", stream])
  })

  it("a mixin that throws keeps the message from no one else, and nothing escapes the socket callback", async () => {
    const b = recorder()
    page.consumer.subscriptions.create(CHAT, {
      received() {
        throw new Error("app bug")
      },
    })
    page.consumer.subscriptions.create(CHAT, b.mixin)
    const socket = await serverWelcomes()
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    const errors = console.error
    console.error = () => {}
    try {
      expect(() => socket.receive({ identifier: CHAT_ID, message: 1 })).not.toThrow()
    } finally {
      console.error = errors
    }
    expect(b.calls.at(-1)).toEqual(["received", 1])
  })
})

describe("perform and send", () => {
  it("say whether the command went out: not before the server confirmed, not while the line is down", async () => {
    const subscription = page.consumer.subscriptions.create(CHAT)
    expect(subscription.perform("speak", { text: "too early" })).toBe(false)
    const socket = await serverWelcomes()
    expect(subscription.perform("speak", { text: "still early" })).toBe(false)
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    expect(subscription.perform("speak", { text: "now" })).toBe(true)
    expect(subscription.send({ raw: true })).toBe(true)
    socket.drop()
    expect(subscription.perform("speak", { text: "line down" })).toBe(false)
    expect(socket.commands("message").map((frame) => JSON.parse(frame.data))).toEqual([{ text: "now", action: "speak" }, { raw: true }])
  })
})

describe("unsubscribe", () => {
  it("puts one unsubscribe on the wire, after the grace period, once no subscription shares the identifier", async () => {
    const a = page.consumer.subscriptions.create(CHAT)
    const b = page.consumer.subscriptions.create(CHAT)
    const socket = await serverWelcomes()
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    a.unsubscribe()
    a.unsubscribe()
    clock.advance(5_000)
    expect(socket.commands("unsubscribe")).toEqual([])
    b.unsubscribe()
    clock.advance(5_000)
    expect(socket.commands("unsubscribe")).toEqual([{ command: "unsubscribe", identifier: CHAT_ID }])
    expect(page.consumer.subscriptions.subscriptions).toEqual([])
  })

  it("create and unsubscribe churn never reaches the wire as a storm", async () => {
    let subscription = page.consumer.subscriptions.create(CHAT)
    const socket = await serverWelcomes()
    socket.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    for (let i = 0; i < 1_000; i++) {
      subscription.unsubscribe()
      subscription = page.consumer.subscriptions.create(CHAT)
    }
    clock.advance(10_000)
    expect(socket.commands()).toEqual([{ command: "subscribe", identifier: CHAT_ID }])
  })
})

describe("rejection", () => {
  it("calls rejected, drops the subscription and never retries it, even after a reconnect", async () => {
    const { calls, mixin } = recorder()
    page.consumer.subscriptions.create({ channel: "SecretChannel" }, mixin)
    const socket = await serverWelcomes()
    socket.receive({ identifier: '{"channel":"SecretChannel"}', type: "reject_subscription" })
    expect(calls).toEqual([["initialized"], ["rejected"]])
    expect(page.consumer.subscriptions.subscriptions).toEqual([])
    clock.advance(30_000)
    socket.drop()
    await settle()
    clock.advance(1_000)
    const again = await serverWelcomes()
    expect(again).not.toBe(socket)
    clock.advance(30_000)
    expect(socket.commands("subscribe")).toHaveLength(1)
    expect(again.commands()).toEqual([])
  })
})

describe("reconnect", () => {
  it("calls disconnected, then connected with reconnected: true, and later messages arrive", async () => {
    const { calls, mixin } = recorder()
    page.consumer.subscriptions.create(CHAT, mixin)
    const first = await serverWelcomes()
    first.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    first.drop()
    expect(calls.at(-1)).toEqual(["disconnected", { willAttemptReconnect: true }])
    await settle()
    clock.advance(450) // the first retry comes 150-450 ms after a drop
    const second = await serverWelcomes()
    expect(second).not.toBe(first)
    expect(second.commands()).toEqual([{ command: "subscribe", identifier: CHAT_ID }])
    second.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    second.receive({ identifier: CHAT_ID, message: "after" })
    expect(calls.slice(-2)).toEqual([
      ["connected", { reconnected: true }],
      ["received", "after"],
    ])
  })

  it("disconnect() closes for good (willAttemptReconnect: false); connect() opens a new socket", async () => {
    const { calls, mixin } = recorder()
    page.consumer.subscriptions.create(CHAT, mixin)
    const first = await serverWelcomes()
    first.receive({ identifier: CHAT_ID, type: "confirm_subscription" })
    page.consumer.disconnect()
    expect(calls.at(-1)).toEqual(["disconnected", { willAttemptReconnect: false }])
    expect(page.handle.state).toBe("stopped")
    clock.advance(60_000)
    await settle()
    expect(FakeWebSocket.instances).toHaveLength(1)
    page.consumer.connect()
    const second = await serverWelcomes()
    expect(FakeWebSocket.instances).toHaveLength(2)
    expect(second.commands("subscribe")).toHaveLength(1)
  })
})

describe("one socket", () => {
  it("carries stream sources and app channels together; stream messages go to Turbo once, app data to its mixin", async () => {
    const streamId = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "abc" })
    const element = { subscriptionConfirmed() {}, subscriptionLost() {}, subscriptionRejected() {} }
    page.attachSource(streamId, element)
    page.attachSource(streamId, { ...element })
    const { calls, mixin } = recorder()
    page.consumer.subscriptions.create(CHAT, mixin)
    const socket = await serverWelcomes()
    expect(FakeWebSocket.instances).toHaveLength(1)
    expect(socket.commands("subscribe").map((frame) => frame.identifier)).toEqual([streamId, CHAT_ID])
    const stream = '<turbo-stream action="append" target="items"><template><li>1</li></template></turbo-stream>'
    socket.receive({ identifier: streamId, message: stream })
    socket.receive({ identifier: CHAT_ID, message: { typing: true } })
    clock.advance(0) // the renderer hands a task's messages to Turbo together
    expect(rendered).toEqual([stream])
    expect(calls.at(-1)).toEqual(["received", { typing: true }])
  })
})
