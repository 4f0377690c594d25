// When the page catches up, under a fake clock: after a reconnect, once every subscription is confirmed,
// one run for many requests, with live messages held and applied after it in order.
import { beforeEach, describe, expect, it } from "vitest"
import { createPageCable, type PageCable } from "../../src/page_cable"
import { FakeClock } from "../support/fake_clock"
import { FakeWebSocket, settle } from "../support/fake_socket"

const A = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "a" })
const B = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "b" })
const source = { subscriptionConfirmed() {}, subscriptionLost() {}, subscriptionRejected() {} }
const stream = (n: number) => `<turbo-stream action="append" target="t"><template><i>${n}</i></template></turbo-stream>`

let clock: FakeClock
let page: PageCable
let rendered: string[]
let runs: Array<{ reason: string; finish: () => void }>

beforeEach(() => {
  FakeWebSocket.reset()
  clock = new FakeClock()
  rendered = []
  runs = []
  page = createPageCable({
    options: {
      url: "ws://cable.test/cable",
      // The app's own strategy: the test decides when the page is current.
      catchUp: (reason) => new Promise<void>((finish) => runs.push({ reason, finish })),
    },
    clock,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    turbo: () => ({ renderStreamMessage: (html: string) => void rendered.push(html) }),
    document: null,
    renderedAt: () => clock.now(),
  })
})

async function connect(): Promise<FakeWebSocket> {
  await settle()
  const socket = FakeWebSocket.latest
  socket.accept()
  socket.welcome()
  return socket
}

async function reconnect(socket: FakeWebSocket): Promise<FakeWebSocket> {
  socket.drop()
  await settle()
  clock.advance(10_000) // past any backoff step
  return connect()
}

describe("CatchUp", () => {
  it("costs nothing on a page's first, prompt confirmation", async () => {
    page.attachSource(A, source)
    const socket = await connect()
    socket.receive({ identifier: A, type: "confirm_subscription" })
    await settle()
    expect(runs).toEqual([])
  })

  it("runs once after a reconnect, when every subscription is confirmed again", async () => {
    page.attachSource(A, source)
    page.attachSource(B, source)
    const first = await connect()
    first.receive({ identifier: A, type: "confirm_subscription" })
    first.receive({ identifier: B, type: "confirm_subscription" })
    const second = await reconnect(first)
    second.receive({ identifier: A, type: "confirm_subscription" })
    await settle()
    expect(runs).toEqual([]) // B is not confirmed yet: a refetch now could miss its broadcasts
    second.receive({ identifier: B, type: "confirm_subscription" })
    await settle()
    expect(runs.map((run) => run.reason)).toEqual(["reconnect"])
  })

  it("holds live messages while it runs and applies them after, in order, each once", async () => {
    page.attachSource(A, source)
    const first = await connect()
    first.receive({ identifier: A, type: "confirm_subscription" })
    const second = await reconnect(first)
    second.receive({ identifier: A, type: "confirm_subscription" })
    await settle()
    for (let n = 1; n <= 3; n++) second.receive({ identifier: A, message: stream(n) })
    await settle()
    expect(rendered).toEqual([])
    expect(page.handle.state).toBe("catching-up")
    runs[0].finish()
    await settle()
    expect(rendered.join("")).toBe(stream(1) + stream(2) + stream(3))
    expect(page.handle.state).toBe("caught-up")
  })

  it("catches up anyway when a subscription never confirms, after the settle timeout", async () => {
    page.attachSource(A, source)
    page.attachSource(B, source)
    const first = await connect()
    first.receive({ identifier: A, type: "confirm_subscription" })
    first.receive({ identifier: B, type: "confirm_subscription" })
    const second = await reconnect(first)
    second.receive({ identifier: A, type: "confirm_subscription" })
    clock.advance(3_000)
    await settle()
    expect(runs).toEqual([])
    clock.advance(1_500)
    await settle()
    expect(runs).toHaveLength(1)
  })

  it("makes one more run, not many, for requests that come while one runs", async () => {
    page.attachSource(A, source)
    let socket = await connect()
    socket.receive({ identifier: A, type: "confirm_subscription" })
    socket = await reconnect(socket)
    socket.receive({ identifier: A, type: "confirm_subscription" })
    await settle()
    for (let i = 0; i < 5; i++) {
      socket = await reconnect(socket)
      socket.receive({ identifier: A, type: "confirm_subscription" })
      page.catchUpNow()
    }
    await settle()
    expect(runs).toHaveLength(1)
    runs[0].finish()
    await settle()
    expect(runs).toHaveLength(2)
    runs[1].finish()
    await settle()
    expect(runs).toHaveLength(2)
  })

  it("a page whose first confirmation comes late (born stale) catches up", async () => {
    page = createPageCable({
      options: { url: "ws://cable.test/cable", catchUp: (reason) => new Promise<void>((finish) => runs.push({ reason, finish })) },
      clock,
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      turbo: () => ({ renderStreamMessage: () => {} }),
      document: null,
      renderedAt: () => clock.now() - 5_000,
    })
    page.attachSource(A, source)
    const socket = await connect()
    socket.receive({ identifier: A, type: "confirm_subscription" })
    await settle()
    expect(runs.map((run) => run.reason)).toEqual(["stale-page"])
  })
})
