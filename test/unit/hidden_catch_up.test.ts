// A hidden tab's catch-up waits until the tab is shown, then runs once for all it put off; Turbo's refresh
// broadcasts wait too, and fold into that one catch-up. The document is a small stand-in (visibility, <meta>,
// events): the real one is in test/browser/hidden_catch_up.spec.ts.
import { beforeEach, describe, expect, it } from "vitest"
import { PageStatus } from "../../src/status"
import { HiddenCatchUp } from "../../src/catch_up/hidden_catch_up"
import type { CatchUpReason, CatchUpStrategy, HiddenCatchUpMode } from "../../src/config"
import { waitsUntilShown } from "../../src/catch_up/policy"

class FakeDocument extends EventTarget {
  visibilityState: DocumentVisibilityState = "visible"
  readonly defaultView = new EventTarget()
  readonly meta = new Map<string, string>()
  readonly head = { querySelector: (selector: string) => ({ content: this.meta.get(selector.match(/name="(.+)"/)![1]) }) }

  hide(): void {
    this.visibilityState = "hidden"
    this.dispatchEvent(new Event("visibilitychange"))
  }

  show(): void {
    this.visibilityState = "visible"
    this.dispatchEvent(new Event("visibilitychange"))
  }

  /** A `<turbo-stream action="refresh">` connecting: Turbo dispatches this on the element, and it bubbles here. */
  refreshBroadcast(requestId: string | null, rendered: string[]): void {
    const stream = { getAttribute: (name: string) => ({ action: "refresh", "request-id": requestId })[name] ?? null }
    const detail = { render: () => void rendered.push(requestId ?? "refresh") }
    const event = new (class extends CustomEvent<typeof detail> {
      override get target() {
        return stream as unknown as EventTarget
      }
    })("turbo:before-stream-render", { cancelable: true, detail })
    this.dispatchEvent(event)
    // Turbo then awaits the render the listeners left in the detail.
    void event.detail.render()
  }
}

let doc: FakeDocument
let status: PageStatus
let settings: { mode: HiddenCatchUpMode; strategy: CatchUpStrategy }
let ownRequests: Set<string>
let catchUps: CatchUpReason[]
let refreshes: string[]
let hidden: HiddenCatchUp

const microtasks = () => new Promise((done) => setTimeout(done, 0))

beforeEach(() => {
  doc = new FakeDocument()
  status = new PageStatus(undefined)
  status.lineChanged({ state: "connected", previous: "connecting" })
  settings = { mode: "defer", strategy: "morph" }
  ownRequests = new Set()
  catchUps = []
  refreshes = []
  hidden = new HiddenCatchUp({
    document: doc as unknown as Document,
    mode: () => settings.mode,
    strategy: () => settings.strategy,
    status,
    ownRequest: (id) => ownRequests.has(id),
    catchUp: (reason) => void catchUps.push(reason),
  })
})

describe("waitsUntilShown", () => {
  it("is true for a hidden tab in defer mode only", () => {
    const page = new FakeDocument()
    expect(waitsUntilShown("defer", page as unknown as Document)).toBe(false)
    page.visibilityState = "hidden"
    expect(waitsUntilShown("defer", page as unknown as Document)).toBe(true)
    expect(waitsUntilShown("now", page as unknown as Document)).toBe(false)
  })

  it("lets the page's <meta name=turbo-cable-hidden-catch-up> win over the option", () => {
    const page = new FakeDocument()
    page.visibilityState = "hidden"
    page.meta.set("turbo-cable-hidden-catch-up", "now")
    expect(waitsUntilShown("defer", page as unknown as Document)).toBe(false)
    page.meta.set("turbo-cable-hidden-catch-up", "defer")
    expect(waitsUntilShown("now", page as unknown as Document)).toBe(true)
    page.meta.set("turbo-cable-hidden-catch-up", "sometimes")
    expect(waitsUntilShown("now", page as unknown as Document)).toBe(false)
  })
})

describe("HiddenCatchUp", () => {
  it("lets a visible tab catch up at once", () => {
    expect(hidden.defers("reconnect")).toBe(false)
    expect(status.catchUp).toBe("none")
  })

  it("puts a hidden tab's catch-up off, marked behind, and runs it when the tab is shown", () => {
    doc.hide()
    expect(hidden.defers("reconnect")).toBe(true)
    expect(status.state).toBe("behind")
    expect(catchUps).toEqual([])
    doc.show()
    expect(catchUps).toEqual(["reconnect"])
  })

  it("makes one catch-up of every need put off while hidden, with the first one's reason", () => {
    doc.hide()
    for (const reason of ["reconnect", "overflow", "stale-page", "reconnect"] as const) hidden.defers(reason)
    doc.show()
    doc.dispatchEvent(new Event("visibilitychange"))
    doc.defaultView.dispatchEvent(new Event("pageshow"))
    expect(catchUps).toEqual(["reconnect"])
  })

  it("catches up when a page comes back from the back/forward cache (pageshow)", () => {
    doc.visibilityState = "hidden"
    hidden.defers("stale-page")
    doc.visibilityState = "visible"
    doc.defaultView.dispatchEvent(new Event("pageshow"))
    expect(catchUps).toEqual(["stale-page"])
  })

  it("catches up at once in a hidden tab when the mode is now, by option or by <meta>", () => {
    doc.hide()
    settings.mode = "now"
    expect(hidden.defers("reconnect")).toBe(false)
    settings.mode = "defer"
    doc.meta.set("turbo-cable-hidden-catch-up", "now")
    expect(hidden.defers("reconnect")).toBe(false)
    expect(status.state).toBe("connected")
  })

  it("puts nothing off for a page whose strategy is none, nor while a catch-up runs", () => {
    doc.hide()
    settings.strategy = "none"
    expect(hidden.defers("reconnect")).toBe(false)
    settings.strategy = "morph"
    status.catchUpChanged("catching-up")
    expect(hidden.defers("overflow")).toBe(false)
  })

  it("puts a hidden tab's refresh broadcast off and hands it to Turbo when shown", async () => {
    status.catchUpChanged("caught-up")
    doc.hide()
    doc.refreshBroadcast("someone-else", refreshes)
    expect(refreshes).toEqual([])
    expect(status.state).toBe("behind")
    doc.show()
    await microtasks()
    expect(refreshes).toEqual(["someone-else"])
    expect(catchUps).toEqual([])
    expect(status.state).toBe("caught-up")
  })

  it("leaves a refresh this document's own request caused to Turbo, which ignores it", () => {
    ownRequests.add("mine")
    doc.hide()
    doc.refreshBroadcast("mine", refreshes)
    expect(refreshes).toEqual(["mine"])
    expect(status.state).toBe("connected")
  })

  it("folds a refresh broadcast into the catch-up put off with it: one request", async () => {
    doc.hide()
    doc.refreshBroadcast("someone-else", refreshes)
    hidden.defers("reconnect")
    doc.refreshBroadcast("another", refreshes)
    doc.show()
    await microtasks()
    expect(catchUps).toEqual(["reconnect"])
    expect(refreshes).toEqual([])
  })

  it("still hands the refresh to Turbo when the app's own strategy catches up", async () => {
    settings.strategy = async () => {}
    doc.hide()
    hidden.defers("reconnect")
    doc.refreshBroadcast("someone-else", refreshes)
    doc.show()
    await microtasks()
    expect(catchUps).toEqual(["reconnect"])
    expect(refreshes).toEqual(["someone-else"])
  })

  it("renders a refresh at once in a visible tab", () => {
    doc.refreshBroadcast("someone-else", refreshes)
    expect(refreshes).toEqual(["someone-else"])
  })
})
