// The registry alone, with a fake line and the fake clock: no socket, no real timer.
import { beforeEach, describe, expect, it } from "vitest"
import { Emitter } from "../../src/events"
import { Registry, type RegistryEvents } from "../../src/subscriptions/registry"
import { type FeedSource } from "../../src/subscriptions/feed"
import { FakeClock } from "../support/fake_clock"
import { sendingLine } from "../support/fake_line"

const timing = { confirmTimeout: 2_000, maxSubscribeRetries: 3, unsubscribeDelay: 500 }

function source(): FeedSource & { log: string[] } {
  const log: string[] = []
  return {
    log,
    subscriptionConfirmed: () => log.push("confirmed"),
    subscriptionLost: () => log.push("lost"),
    subscriptionRejected: () => log.push("rejected"),
  }
}

function setup(open = true) {
  const wire: string[] = []
  const delivered: unknown[] = []
  const state = { open }
  const line = sendingLine((command: string) => (state.open ? (wire.push(JSON.parse(command).command), true) : false))
  const registry = new Registry(line, (message) => delivered.push(message), new Emitter<RegistryEvents>(), timing, clock)
  const subscriptions = {
    attach: (identifier: string, s: FeedSource) => registry.attach(identifier, s),
    detach: (identifier: string, s: FeedSource) => registry.detach(identifier, s),
    confirm: (identifier: string) => registry.receive({ type: "confirm", identifier }),
    reject: (identifier: string) => registry.receive({ type: "reject", identifier }),
    message: (identifier: string, message: unknown) => registry.receive({ type: "message", identifier, message }),
    welcomed: () => registry.welcomed(),
    lost: (willReconnect: boolean) => registry.lost(willReconnect),
    get size() {
      return registry.size
    },
  }
  return { subscriptions, wire, delivered, state }
}

let clock: FakeClock
beforeEach(() => (clock = new FakeClock()))

describe("Registry", () => {
  it("shares one server subscription between sources of one identifier", () => {
    const { subscriptions, wire } = setup()
    const a = source(), b = source()
    subscriptions.attach("s", a)
    subscriptions.attach("s", b)
    expect(wire).toEqual(["subscribe"])
    subscriptions.confirm("s")
    expect(a.log).toEqual(["confirmed"])
    expect(b.log).toEqual(["confirmed"])
  })

  it("delivers each message once, however many sources", () => {
    const { subscriptions, delivered } = setup()
    subscriptions.attach("s", source())
    subscriptions.attach("s", source())
    subscriptions.confirm("s")
    subscriptions.message("s", "m1")
    expect(delivered).toEqual(["m1"])
  })

  it("unsubscribes only when the last source has been gone for the grace period", () => {
    const { subscriptions, wire } = setup()
    const a = source(), b = source()
    subscriptions.attach("s", a)
    subscriptions.attach("s", b)
    subscriptions.confirm("s")
    subscriptions.detach("s", a)
    clock.advance(1_000)
    expect(wire).toEqual(["subscribe"])
    subscriptions.detach("s", b)
    clock.advance(499)
    expect(wire).toEqual(["subscribe"])
    clock.advance(1)
    expect(wire).toEqual(["subscribe", "unsubscribe"])
    expect(subscriptions.size).toBe(0)
  })

  it("sends nothing for a source removed and re-added within the grace period", () => {
    const { subscriptions, wire } = setup()
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.confirm("s")
    for (let i = 0; i < 30; i++) {
      subscriptions.detach("s", a)
      subscriptions.attach("s", a)
    }
    clock.advance(5_000)
    expect(wire).toEqual(["subscribe"])
  })

  it("waits for the confirmation before unsubscribing a source removed while pending", () => {
    const { subscriptions, wire } = setup()
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.detach("s", a)
    clock.advance(1_000)
    expect(wire).toEqual(["subscribe"])
    subscriptions.confirm("s")
    expect(wire).toEqual(["subscribe", "unsubscribe"])
    expect(a.log).toEqual([])
    expect(subscriptions.size).toBe(0)
  })

  it("a confirmation that arrives while the source is briefly away keeps the subscription", () => {
    const { subscriptions, wire } = setup()
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.detach("s", a)
    subscriptions.confirm("s")
    subscriptions.attach("s", a)
    clock.advance(5_000)
    expect(wire).toEqual(["subscribe"])
    expect(a.log).toEqual(["confirmed"])
  })

  it("sends nothing at all for a source gone before the socket opened", () => {
    const { subscriptions, wire, state } = setup(false)
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.detach("s", a)
    clock.advance(1_000)
    state.open = true
    subscriptions.welcomed()
    expect(wire).toEqual([])
    expect(subscriptions.size).toBe(0)
  })

  it("subscribes everything again after a welcome, and marks sources lost on a drop", () => {
    const { subscriptions, wire } = setup()
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.attach("t", source())
    subscriptions.confirm("s")
    subscriptions.lost(true)
    expect(a.log).toEqual(["confirmed", "lost"])
    subscriptions.welcomed()
    expect(wire).toEqual(["subscribe", "subscribe", "subscribe", "subscribe"])
  })

  it("sends an unconfirmed subscribe again, a bounded number of times", () => {
    const { subscriptions, wire } = setup()
    subscriptions.attach("s", source())
    for (let i = 0; i < 20; i++) {
      clock.advance(2_000)
    }
    expect(wire).toEqual(["subscribe", "subscribe", "subscribe", "subscribe"])
  })

  it("does not retry a rejected subscription and leaves the others alone", () => {
    const { subscriptions, wire } = setup()
    const bad = source(), good = source()
    subscriptions.attach("bad", bad)
    subscriptions.attach("good", good)
    subscriptions.reject("bad")
    subscriptions.confirm("good")
    for (let i = 0; i < 10; i++) {
      clock.advance(2_000)
    }
    subscriptions.lost(true)
    subscriptions.welcomed()
    expect(bad.log).toEqual(["rejected"])
    expect(good.log).toEqual(["confirmed", "lost"])
    expect(wire.filter((c) => c == "subscribe")).toHaveLength(3)
  })

  it("keeps messages that arrive between the last source leaving and the next arriving", () => {
    const { subscriptions, delivered } = setup()
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.confirm("s")
    subscriptions.detach("s", a)
    subscriptions.message("s", "m1")
    subscriptions.message("s", "m2")
    expect(delivered).toEqual([])
    subscriptions.attach("s", source())
    expect(delivered).toEqual(["m1", "m2"])
  })

  it("does not let a subscribe overtake the unsubscribe just sent for the same identifier", () => {
    const { subscriptions, wire } = setup()
    const a = source()
    subscriptions.attach("s", a)
    subscriptions.confirm("s")
    subscriptions.detach("s", a)
    clock.advance(500)
    subscriptions.attach("s", a)
    expect(wire).toEqual(["subscribe", "unsubscribe"])
    clock.advance(500)
    expect(wire).toEqual(["subscribe", "unsubscribe", "subscribe"])
  })

  it("a source a callback adds during a delivery hears the next message, one it removes hears no more", () => {
    const { subscriptions } = setup()
    const heard: string[] = []
    const late = { ...source(), receive: (message: unknown) => void heard.push(`late ${message}`) }
    const removed = { ...source(), receive: (message: unknown) => void heard.push(`removed ${message}`) }
    const first = {
      ...source(),
      receive: (message: unknown) => {
        heard.push(`first ${message}`)
        subscriptions.attach("s", late)
        subscriptions.detach("s", removed)
      },
    }
    subscriptions.attach("s", first)
    subscriptions.attach("s", removed)
    subscriptions.confirm("s")
    subscriptions.message("s", "m1")
    subscriptions.message("s", "m2")
    expect(heard).toEqual(["first m1", "first m2", "late m2"])
  })

  it("ignores frames for identifiers it does not hold", () => {
    const { subscriptions, delivered } = setup()
    subscriptions.confirm("nope")
    subscriptions.reject("nope")
    subscriptions.message("nope", "m")
    expect(delivered).toEqual([])
  })
})

describe("Registry: a page's new content joining a subscription it holds (a Turbo visit)", () => {
  /** A page source on a confirmed feed that delivered "m1" after the visit was requested, and the visit's new source. */
  function visit(extended: boolean) {
    const wire: string[] = []
    const delivered: unknown[] = []
    const confirmations: Array<{ missed: boolean }> = []
    const line = { ...sendingLine((command: string) => (wire.push(JSON.parse(command).command), true)), extended }
    const events = new Emitter<RegistryEvents>()
    events.on("confirmed", (_identifier, _before, _renderedAt, missed) => confirmations.push({ missed }))
    const registry = new Registry(line, (message) => delivered.push(message), events, timing, clock)
    const old = source()
    registry.attach("s", old, { requestedAt: clock.now() })
    registry.receive({ type: "confirm", identifier: "s" })
    registry.receive({ type: "message", identifier: "s", message: "m0" })
    clock.advance(100)
    const requestedAt = clock.now()
    clock.advance(100)
    registry.receive({ type: "message", identifier: "s", message: "m1" })
    // Turbo renders the new body: the old source leaves, the new one joins, in one task.
    registry.detach("s", old)
    const next = source()
    registry.attach("s", next, { requestedAt, renderedAt: clock.now() })
    return { wire, delivered, confirmations, next }
  }

  it("on Action Cable, says a message went by after the new content was requested: the page catches up", () => {
    const { wire, delivered, confirmations, next } = visit(false)
    expect(confirmations).toEqual([{ missed: false }, { missed: true }])
    expect(next.log).toEqual(["confirmed"])
    expect(delivered).toEqual(["m0", "m1"])
    expect(wire).toEqual(["subscribe"])
  })

  it("on AnyCable's extended protocol, applies what went by after the new content was requested, once more, with no catch-up", () => {
    const { delivered, confirmations } = visit(true)
    expect(confirmations).toEqual([{ missed: false }])
    expect(delivered).toEqual(["m0", "m1", "m1"])
  })

  it("gives a source added by script (content that had everything) only what arrived while no source held the feed", () => {
    const { subscriptions, delivered } = setup()
    const first = source()
    subscriptions.attach("s", first)
    subscriptions.confirm("s")
    subscriptions.message("s", "seen")
    subscriptions.detach("s", first)
    subscriptions.message("s", "kept")
    subscriptions.attach("s", source())
    expect(delivered).toEqual(["seen", "kept"])
  })
})
