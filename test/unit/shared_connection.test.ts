// The shared worker's side of a shared connection, alone: a fake line as its socket (the test plays the
// server), tabs as inboxes of what the worker posted them, and the fake clock.
import { beforeEach, describe, expect, it } from "vitest"
import type { HistoryAnchor } from "../../src/line"
import { EVICT_AFTER, PING_INTERVAL, type TabMessage, type WorkerMessage } from "../../src/sharing/messages"
import { SharedConnection, Tab } from "../../src/sharing/worker/shared_connection"
import { FakeClock } from "../support/fake_clock"
import { FakeLine } from "../support/fake_line"

const UNSUBSCRIBE_DELAY = 500
const CONFIRM_TIMEOUT = 2_000
const MAX_SUBSCRIBE_RETRIES = 3
const ANCHOR = { confirmedBefore: false }

let clock: FakeClock
let line: FakeLine
let shared: SharedConnection

beforeEach(() => {
  clock = new FakeClock()
  line = new FakeLine()
  shared = new SharedConnection(line, clock, { unsubscribeDelay: UNSUBSCRIBE_DELAY, confirmTimeout: CONFIRM_TIMEOUT, maxSubscribeRetries: MAX_SUBSCRIBE_RETRIES })
})

/** A tab as a test drives it: what it tells the worker, and what the worker posted it since `clear`. */
class TestTab {
  readonly inbox: WorkerMessage[] = []
  readonly tab: Tab

  constructor(name: string) {
    this.tab = new Tab(name, (message) => this.inbox.push(message), clock.now())
  }

  join(): this {
    shared.join(this.tab)
    return this
  }

  say(message: TabMessage): void {
    shared.heard(this.tab, message)
  }

  open(): this {
    this.say({ type: "open" })
    return this
  }

  subscribe(identifier: string, anchor: HistoryAnchor = ANCHOR): void {
    this.say({ type: "subscribe", identifier, anchor })
  }

  unsubscribe(identifier: string): void {
    this.say({ type: "unsubscribe", identifier })
  }

  leave(): void {
    this.say({ type: "leave" })
  }

  /** What it heard of the subscriptions and the connection, one short line each (no pings, counts or states). */
  get heard(): string[] {
    return this.inbox.flatMap((message) => {
      switch (message.type) {
        case "frame": {
          const { frame } = message
          return [`${frame.type} ${frame.identifier}${"message" in frame ? ` ${JSON.stringify(frame.message)}` : ""}${"missed" in frame ? " (missed)" : ""}`]
        }
        case "history":
          return [`history ${message.identifier} ${message.outcome}`]
        case "welcome":
          return [`welcome [${message.restoredIds}]`]
        case "lost":
          return [`lost ${message.willReconnect}`]
        case "evicted":
          return ["evicted"]
        default:
          return []
      }
    })
  }

  of<Type extends WorkerMessage["type"]>(type: Type): Array<Extract<WorkerMessage, { type: Type }>> {
    return this.inbox.filter((message): message is Extract<WorkerMessage, { type: Type }> => message.type == type)
  }

  clear(): void {
    this.inbox.length = 0
  }
}

/** Tabs joined and opened on a welcomed line, their inboxes cleared. */
function openTabs(count: number): TestTab[] {
  const tabs = Array.from({ length: count }, (_, index) => new TestTab(`tab ${index + 1}`).join().open())
  if (line.state != "connected") line.welcome()
  tabs.forEach((tab) => tab.clear())
  return tabs
}

/** The commands on the wire, as "subscribe a", "unsubscribe a". */
function wire(): string[] {
  return line.sent.map((command) => `${command.command} ${command.identifier}`)
}

/** Identifiers and tabs subscribed and confirmed, the wire and inboxes cleared. */
function confirmed(tabs: TestTab[], ...identifiers: string[]): void {
  for (const identifier of identifiers) {
    tabs.forEach((tab) => tab.subscribe(identifier))
    line.confirm(identifier)
  }
  line.sent.length = 0
  tabs.forEach((tab) => tab.clear())
}

describe("SharedConnection: subscriptions", () => {
  it("sends one subscribe for two tabs that want one identifier, and gives each the confirmation once", () => {
    const [a, b] = openTabs(2)
    a.subscribe("x")
    b.subscribe("x")
    expect(wire()).toEqual(["subscribe x"])
    line.confirm("x")
    expect(a.heard).toEqual(["confirm x"])
    expect(b.heard).toEqual(["confirm x"])
  })

  it("confirms a tab that joins a confirmed subscription at once, with nothing on the wire", () => {
    const [a, b, c] = openTabs(3)
    confirmed([a, b], "x")
    c.subscribe("x")
    expect(c.heard).toEqual(["confirm x"])
    expect(wire()).toEqual([])
    expect([...a.heard, ...b.heard]).toEqual([])
  })

  it("tells a tab that joins a confirmed subscription on the extended protocol that there is no history to wait for", () => {
    line.extended = true
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    b.subscribe("x")
    expect(b.heard).toEqual(["confirm x", "history x none"])
  })

  it("gives the history outcome of a subscription to each tab that holds it", () => {
    line.extended = true
    const [a, b, c] = openTabs(3)
    a.subscribe("x")
    b.subscribe("x")
    line.confirm("x")
    line.history("x", "confirmed")
    expect(a.heard).toEqual(["confirm x", "history x confirmed"])
    expect(b.heard).toEqual(["confirm x", "history x confirmed"])
    expect(c.heard).toEqual([])
  })

  it("gives each message to every tab that holds its subscription once, and to no other tab", () => {
    const [a, b, c] = openTabs(3)
    confirmed([a, b], "x")
    confirmed([c], "y")
    line.message("x", 1)
    expect(a.heard).toEqual(["message x 1"])
    expect(b.heard).toEqual(["message x 1"])
    expect(c.heard).toEqual([])
  })

  it("sends the unsubscribe only when the last tab that holds the subscription unsubscribes", () => {
    const [a, b] = openTabs(2)
    confirmed([a, b], "x")
    a.unsubscribe("x")
    expect(wire()).toEqual([])
    line.message("x", 1)
    expect(a.heard).toEqual([])
    expect(b.heard).toEqual(["message x 1"])
    b.unsubscribe("x")
    // It lingers as a page's registry lets a source linger: a reloaded page asks again in a moment.
    clock.advance(UNSUBSCRIBE_DELAY - 1)
    expect(wire()).toEqual([])
    clock.advance(1)
    expect(wire()).toEqual(["unsubscribe x"])
  })

  it("gives a subscription its last holder left back at once to a tab that asks within unsubscribeDelay (a reload): nothing on the wire", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    a.unsubscribe("x")
    clock.advance(UNSUBSCRIBE_DELAY - 100)
    b.subscribe("x")
    expect(b.heard).toEqual(["confirm x"])
    clock.advance(UNSUBSCRIBE_DELAY)
    expect(wire()).toEqual([])
  })

  it("sends the unsubscribe when the last tab that holds the subscription leaves", () => {
    const [a, b] = openTabs(3)
    confirmed([a, b], "x")
    a.leave()
    b.leave()
    clock.advance(UNSUBSCRIBE_DELAY)
    expect(wire()).toEqual(["unsubscribe x"])
  })

  it("unsubscribes once confirmed and its linger is over, never before, when the last tab holding it leaves while the subscribe is in flight", () => {
    const [a] = openTabs(2)
    a.subscribe("x")
    a.leave()
    clock.advance(UNSUBSCRIBE_DELAY)
    expect(wire()).toEqual(["subscribe x"])
    line.confirm("x")
    expect(wire()).toEqual(["subscribe x", "unsubscribe x"])
    expect(a.heard).toEqual([])
  })

  it("keeps the subscription when a tab subscribes again after the last one left while it was in flight", () => {
    const [a, b] = openTabs(2)
    a.subscribe("x")
    a.unsubscribe("x")
    b.subscribe("x")
    line.confirm("x")
    expect(wire()).toEqual(["subscribe x"])
    expect(b.heard).toEqual(["confirm x"])
  })

  it("holds back a subscribe right behind an unsubscribe for unsubscribeDelay, so that it cannot overtake it", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    a.unsubscribe("x")
    clock.advance(UNSUBSCRIBE_DELAY)
    expect(wire()).toEqual(["unsubscribe x"])
    clock.advance(100)
    b.subscribe("x")
    expect(wire()).toEqual(["unsubscribe x"])
    clock.advance(UNSUBSCRIBE_DELAY - 101)
    expect(wire()).toEqual(["unsubscribe x"])
    clock.advance(1)
    expect(wire()).toEqual(["unsubscribe x", "subscribe x"])
    line.confirm("x")
    expect(b.heard).toEqual(["confirm x"])
  })

  it("drops a subscribe held back behind an unsubscribe when a new connection forgets the subscription meanwhile", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    a.unsubscribe("x")
    clock.advance(UNSUBSCRIBE_DELAY)
    line.drop()
    b.subscribe("x") // sent before the tab heard of the drop
    line.welcome()
    b.subscribe("x")
    line.confirm("x")
    clock.advance(UNSUBSCRIBE_DELAY)
    expect(wire()).toEqual(["unsubscribe x", "subscribe x"])
  })

  it("puts nothing on the wire for a tab's retry (the worker retries a subscribe itself), and answers the tab when the server does", () => {
    const [a, b] = openTabs(2)
    a.subscribe("x")
    b.subscribe("x")
    a.subscribe("x")
    b.subscribe("x")
    expect(wire()).toEqual(["subscribe x"])
    clock.advance(CONFIRM_TIMEOUT)
    expect(wire()).toEqual(["subscribe x", "subscribe x"])
    line.confirm("x")
    expect(a.heard).toEqual(["confirm x"])
    expect(b.heard).toEqual(["confirm x"])
  })

  it("gives a rejection to the tabs waiting for the answer only, and they hold the subscription no more", () => {
    const [a, b, c] = openTabs(3)
    a.subscribe("x")
    b.subscribe("x")
    line.frame({ type: "reject", identifier: "x" })
    expect(a.heard).toEqual(["reject x"])
    expect(b.heard).toEqual(["reject x"])
    expect(c.heard).toEqual([])
    a.clear()
    line.message("x", 1)
    expect(a.heard).toEqual([])
  })

  it("gives a tab that asks for a subscription rejected moments ago the rejection at once, and asks the server again later", () => {
    const [a, b] = openTabs(2)
    a.subscribe("x")
    line.frame({ type: "reject", identifier: "x" })
    b.subscribe("x")
    expect(b.heard).toEqual(["reject x"])
    expect(wire()).toEqual(["subscribe x"])
    b.clear()
    clock.advance(UNSUBSCRIBE_DELAY)
    b.subscribe("x")
    expect(b.heard).toEqual([])
    expect(wire()).toEqual(["subscribe x", "subscribe x"])
  })
})

describe("SharedConnection: a tab that joins a subscription the connection holds", () => {
  it("is told, on Action Cable, when messages went by after its page was requested: its page catches up", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    const requestedAt = clock.now()
    clock.advance(100)
    line.message("x", 1)
    b.subscribe("x", { confirmedBefore: false, requestedAt })
    expect(b.heard).toEqual(["confirm x (missed)"])
  })

  it("is current, with nothing to catch up, when nothing went by after its page was requested", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    line.message("x", 1)
    clock.advance(100)
    b.subscribe("x", { confirmedBefore: false, requestedAt: clock.now() })
    expect(b.heard).toEqual(["confirm x"])
  })

  it("gets, on AnyCable's extended protocol, what went by after its page was requested, then its history outcome", () => {
    line.extended = true
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    line.message("x", "before")
    clock.advance(100)
    const requestedAt = clock.now()
    clock.advance(100)
    line.message("x", "after 1")
    line.message("x", "after 2")
    b.subscribe("x", { confirmedBefore: false, requestedAt })
    expect(b.heard).toEqual(["confirm x", 'message x "after 1"', 'message x "after 2"', "history x none"])
  })

  it("is left to its own catch-up when asked again after a drop of its own (its registry knows it was confirmed before)", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    const requestedAt = clock.now()
    line.message("x", 1)
    b.subscribe("x", { confirmedBefore: true, requestedAt })
    expect(b.heard).toEqual(["confirm x"])
  })

  it("is left to its own catch-up when its page was requested before the connection held the subscription", () => {
    const [a, b] = openTabs(2)
    const requestedAt = clock.now()
    clock.advance(100)
    confirmed([a], "x")
    line.message("x", 1)
    b.subscribe("x", { confirmedBefore: false, requestedAt })
    expect(b.heard).toEqual(["confirm x"])
  })
})

describe("SharedConnection: the connection", () => {
  it("tells a tab that opens a connected line that it is welcomed", () => {
    const [a] = openTabs(1)
    const b = new TestTab("late").join().open()
    expect(b.heard).toEqual(["welcome []"])
    expect(b.of("line").at(-1)?.line.state).toBe("connected")
    expect(a.heard).toEqual([])
  })

  it("does not welcome a tab again when it opens the line a second time: its registry would subscribe everything again", () => {
    const [a] = openTabs(1)
    confirmed([a], "x")
    a.open()
    expect(a.heard).toEqual([])
    expect(a.of("line").at(-1)?.line.state).toBe("connected")
  })

  it("tells every tab that opened the line of a drop, then of the welcome, and a tab that did not open of neither", () => {
    const [a, b] = openTabs(2)
    const idle = new TestTab("idle").join()
    line.drop()
    line.welcome()
    expect(a.heard).toEqual(["lost true", "welcome []"])
    expect(b.heard).toEqual(["lost true", "welcome []"])
    expect(idle.heard).toEqual([])
  })

  it("forgets every subscription on a new connection: each tab's registry subscribes again, and the wire sees one subscribe", () => {
    const [a, b] = openTabs(2)
    confirmed([a, b], "x")
    line.drop()
    line.welcome()
    a.subscribe("x")
    b.subscribe("x")
    expect(wire()).toEqual(["subscribe x"])
    line.confirm("x")
    expect(a.heard).toEqual(["lost true", "welcome []", "confirm x"])
    expect(b.heard).toEqual(["lost true", "welcome []", "confirm x"])
  })

  it("tells each tab of a restored session only the restored subscriptions it holds, and unsubscribes those no tab holds", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    confirmed([b], "y")
    confirmed([a, b], "z")
    line.drop()
    line.welcome(["x", "y", "z", "gone"])
    // The worker's registry confirms what was restored too; a tab's registry, told by the welcome, needs neither.
    expect(a.heard).toEqual(["lost true", "welcome [x,z]", "confirm x", "confirm z"])
    expect(b.heard).toEqual(["lost true", "welcome [y,z]", "confirm y", "confirm z"])
    expect(wire()).toEqual(["unsubscribe gone"])
    a.clear()
    line.message("x", 1)
    expect(a.heard).toEqual(["message x 1"])
  })

  it("lets a tab that subscribes to a restored subscription have it at once", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    line.drop()
    line.welcome(["x"])
    b.clear()
    b.subscribe("x")
    expect(b.heard).toEqual(["confirm x"])
    expect(wire()).toEqual([])
  })

  it("sends a whisper of one tab to the other tabs that hold its subscription as a message, not to the sender", () => {
    line.extended = true
    const [a, b, c] = openTabs(3)
    confirmed([a, b], "x")
    a.say({ type: "send", command: JSON.stringify({ command: "whisper", identifier: "x", data: { typing: true } }) })
    expect(wire()).toEqual(["whisper x"])
    expect(a.heard).toEqual([])
    expect(b.heard).toEqual(['message x {"typing":true}'])
    expect(c.heard).toEqual([])
  })

  it("gives a tab's other commands to the server alone", () => {
    const [a, b] = openTabs(2)
    confirmed([a, b], "x")
    a.say({ type: "send", command: JSON.stringify({ command: "message", identifier: "x", data: '{"action":"whisper"}' }) })
    expect(wire()).toEqual(["message x"])
    expect(b.heard).toEqual([])
  })
})

describe("SharedConnection: tabs", () => {
  it("announces the number of tabs to every tab when one joins or leaves", () => {
    const a = new TestTab("a").join()
    expect(a.of("joined").map((joined) => joined.tabs)).toEqual([1])
    const b = new TestTab("b").join()
    expect(b.of("joined").map((joined) => joined.tabs)).toEqual([2])
    expect(a.of("tabs").at(-1)?.count).toBe(2)
    b.leave()
    expect(a.of("tabs").at(-1)?.count).toBe(1)
    expect(shared.tabCount).toBe(1)
  })

  it("lets a tab silent for EVICT_AFTER go: it is told, and what it held is released", () => {
    const [a, b] = openTabs(2)
    confirmed([a], "x")
    confirmed([a, b], "y")
    for (let waited = PING_INTERVAL; waited < EVICT_AFTER; waited += PING_INTERVAL) {
      clock.advance(PING_INTERVAL)
      b.say({ type: "pong" })
    }
    expect(a.heard).toEqual([])
    clock.advance(PING_INTERVAL)
    expect(a.heard).toEqual(["evicted"])
    expect(b.heard).toEqual([])
    clock.advance(UNSUBSCRIBE_DELAY)
    expect(wire()).toEqual(["unsubscribe x"])
    expect(shared.tabCount).toBe(1)
    expect(b.of("ping")).toHaveLength(EVICT_AFTER / PING_INTERVAL)
  })

  it("tells a tab it let go that it was, when it speaks again", () => {
    const [a] = openTabs(1)
    clock.advance(EVICT_AFTER + PING_INTERVAL)
    a.clear()
    a.subscribe("x")
    expect(a.heard).toEqual(["evicted"])
    expect(wire()).toEqual([])
  })

  it("closes the line as soon as the last tab left: no socket stays open for no page", () => {
    const [a, b] = openTabs(2)
    a.leave()
    expect(line.state).toBe("connected")
    b.leave()
    expect(line.state).toBe("stopped")
  })

  it("starts the line again when a tab opens it once closed", () => {
    const [a] = openTabs(1)
    a.leave()
    const b = new TestTab("next").join().open()
    expect(line.state).toBe("connecting")
    line.welcome()
    expect(b.heard).toEqual(["welcome []"])
  })
  it("tells every tab of a line stopped for good (refused, signed out), and keeps them stopped when another tab opens it again", () => {
    const [a, b] = openTabs(2)
    confirmed([a, b], "x")
    a.clear()
    b.clear()
    line.stop("unauthorized")
    expect(a.heard).toEqual(["lost false"])
    expect(b.heard).toEqual(["lost false"])
    b.clear()
    a.open() // another sign-in, in tab a
    line.welcome()
    expect(a.heard).toContain("welcome []")
    expect(b.heard).toEqual([])
  })
})
