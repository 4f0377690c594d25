// When the page catches up, on a fake line under a fake clock: after a reconnect, once every subscription is
// confirmed, one run for many requests, with live messages held and applied after it in order. No real
// timer: the catch-up's module loads on first use (vi.dynamicImportSettled), its steps are promises.
import { beforeEach, describe, expect, it, vi } from "vitest"
import { createPageCable, type PageCable } from "../../src/page_cable"
import { FakeClock } from "../support/fake_clock"
import { FakeLine, microtasks } from "../support/fake_line"

const A = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "a" })
const B = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "b" })
const source = { subscriptionConfirmed() {}, subscriptionLost() {}, subscriptionRejected() {} }
const stream = (n: number) => `<turbo-stream action="append" target="t"><template><i>${n}</i></template></turbo-stream>`

let clock: FakeClock
let line: FakeLine
let page: PageCable
let rendered: string[]
let runs: Array<{ reason: string; finish: () => void }>

beforeEach(() => {
  clock = new FakeClock()
  line = new FakeLine()
  rendered = []
  runs = []
  page = createPageCable({
    options: {
      url: "ws://cable.test/cable",
      // The app's own strategy: the test decides when the page is current.
      catchUp: (reason) => new Promise<void>((finish) => runs.push({ reason, finish })),
    },
    clock,
    line,
    turbo: () => ({ renderStreamMessage: (html: string) => void rendered.push(html) }),
    document: null,
    content: () => ({ renderedAt: clock.now() }),
  })
})

/** Lets the catch-up load and take its steps, and the renderer flush. */
async function settle(): Promise<void> {
  await vi.dynamicImportSettled()
  await microtasks()
  clock.advance(0)
}

function connect(): FakeLine {
  line.welcome()
  return line
}

function reconnect(socket: FakeLine): FakeLine {
  socket.drop()
  return connect()
}

describe("CatchUp", () => {
  it("costs nothing on a page's first, prompt confirmation", async () => {
    page.attachSource(A, source)
    const socket = connect()
    socket.confirm(A)
    await settle()
    expect(runs).toEqual([])
  })

  it("runs once after a reconnect, when every subscription is confirmed again", async () => {
    page.attachSource(A, source)
    page.attachSource(B, source)
    const first = connect()
    first.confirm(A)
    first.confirm(B)
    const second = reconnect(first)
    second.confirm(A)
    await settle()
    expect(runs).toEqual([]) // B is not confirmed yet: a refetch now could miss its broadcasts
    second.confirm(B)
    await settle()
    expect(runs.map((run) => run.reason)).toEqual(["reconnect"])
  })

  it("holds live messages while it runs and applies them after, in order, each once", async () => {
    page.attachSource(A, source)
    const first = connect()
    first.confirm(A)
    const second = reconnect(first)
    second.confirm(A)
    await settle()
    for (let n = 1; n <= 3; n++) second.message(A, stream(n))
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
    const first = connect()
    first.confirm(A)
    first.confirm(B)
    const second = reconnect(first)
    second.confirm(A)
    clock.advance(3_000)
    await settle()
    expect(runs).toEqual([])
    clock.advance(1_500)
    await settle()
    expect(runs).toHaveLength(1)
  })

  it("makes one more run, not many, for requests that come while one runs", async () => {
    page.attachSource(A, source)
    let socket = connect()
    socket.confirm(A)
    socket = reconnect(socket)
    socket.confirm(A)
    await settle()
    for (let i = 0; i < 5; i++) {
      socket = reconnect(socket)
      socket.confirm(A)
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
      line,
      turbo: () => ({ renderStreamMessage: () => {} }),
      document: null,
      content: () => ({ renderedAt: clock.now() - 5_000 }),
    })
    page.attachSource(A, source)
    const socket = connect()
    socket.confirm(A)
    await settle()
    expect(runs.map((run) => run.reason)).toEqual(["stale-page"])
  })
})
