// The worker's side of a shared connection: one line (one socket) for every tab that joins, and one registry
// (subscriptions/registry.ts, the same a tab runs) whose sources are the tabs: a subscribe goes on the wire only
// for the first tab that wants a stream, an unsubscribe only after the last one left it and it lingered, and a
// tab that joins a stream the connection holds gets what it lacks (feed.ts). This hub only routes: the tabs'
// commands to the registry and the line, the line's state, welcomes and drops to the tabs; and it keeps each
// tab's liveness.
import type { Clock } from "../../clock"
import { Emitter } from "../../events"
import type { HistoryAnchor, Line, LineChange, Welcome } from "../../line"
import { debug } from "../../log"
import type { PresenceEvent, SubscriptionFrame } from "../../protocol"
import type { FeedSource } from "../../subscriptions/feed"
import { Registry, type RegistryEvents } from "../../subscriptions/registry"
import type { RegistryTiming } from "../../config"
import { EVICT_AFTER, PING_INTERVAL, type LineSnapshot, type TabMessage, type WorkerMessage } from "../messages"

/** A tab as the worker sees it: where to post, and the subscriptions it holds (a source of the registry each). */
export class Tab {
  /** It asked for the line: it hears the line's state and welcomes. */
  wantsLine = false
  lastHeard: number
  readonly sources = new Map<string, TabSource>()

  constructor(
    readonly name: string,
    readonly post: (message: WorkerMessage) => void,
    now: number,
    /** It logs: the worker's debug lines are posted to it. */
    readonly debug = false,
  ) {
    this.lastHeard = now
  }
}

/** A tab's hold on one subscription: what the registry tells it goes to the tab as a frame. */
class TabSource implements FeedSource {
  constructor(
    private readonly tab: Tab,
    private readonly identifier: string,
    private readonly rejected: (source: TabSource) => void,
  ) {}

  subscriptionConfirmed(_confirmedBefore: boolean, missed: boolean): void {
    this.frame({ type: "confirm", identifier: this.identifier, ...(missed && { missed }) })
  }

  /** The tab hears the line's `lost` itself. */
  subscriptionLost(): void {}

  subscriptionRejected(): void {
    this.frame({ type: "reject", identifier: this.identifier })
    this.rejected(this)
  }

  receive(message: unknown): void {
    this.frame({ type: "message", identifier: this.identifier, message })
  }

  presenceChanged(event: PresenceEvent): void {
    this.frame({ type: "presence", identifier: this.identifier, message: event })
  }

  private frame(frame: SubscriptionFrame): void {
    this.tab.post({ type: "frame", frame })
  }
}

export class SharedConnection {
  private readonly tabs = new Set<Tab>()
  private readonly registry: Registry

  constructor(
    private readonly line: Line,
    private readonly clock: Clock,
    timing: RegistryTiming,
  ) {
    // No page here: the registry's page events have no listener.
    this.registry = new Registry(line, () => {}, new Emitter<RegistryEvents>(), timing, clock)
    line.on("state", (change) => this.stateChanged(change))
    line.on("welcome", (welcome) => this.welcomed(welcome))
    line.on("frame", this.registry.receive)
    line.on("lost", (willReconnect) => this.lost(willReconnect))
    line.on("history", (identifier, outcome) => this.toHolders(identifier, { type: "history", identifier, outcome }))
    // The worker lives as long as its tabs: so does this timer.
    clock.every(PING_INTERVAL, () => this.ping())
  }

  get tabCount(): number {
    return this.tabs.size
  }

  join(tab: Tab): void {
    this.tabs.add(tab)
    debug(`${tab.name} joined (${this.tabs.size} tab(s))`)
    tab.post({ type: "joined", line: this.snapshot(), tabs: this.tabs.size })
    this.announceTabs()
  }

  /** A message from `tab` (already joined). */
  heard(tab: Tab, message: TabMessage): void {
    tab.lastHeard = this.clock.now()
    if (!this.tabs.has(tab)) {
      if (message.type != "leave") tab.post({ type: "evicted" })
      return
    }
    switch (message.type) {
      case "open":
        return this.open(tab)
      case "send":
        if (this.line.send(message.command)) this.whispered(tab, message.command)
        return
      case "subscribe":
        return this.subscribe(tab, message.identifier, message.anchor)
      case "unsubscribe":
        return this.unsubscribe(tab, message.identifier)
      case "wake":
        return this.line.wake(message.why)
      case "leave":
        return this.leave(tab)
      case "probe":
        return tab.post({ type: "ping" })
    }
  }

  leave(tab: Tab): void {
    if (!this.tabs.delete(tab)) return
    for (const identifier of [...tab.sources.keys()]) this.unsubscribe(tab, identifier)
    debug(`${tab.name} left (${this.tabs.size} tab(s))`)
    this.announceTabs()
    // No tab left: nothing may keep a socket open for no page (a page that unloads opens none, and keeps none).
    if (this.tabs.size == 0) this.close()
  }

  private open(tab: Tab): void {
    // A tab that asked already heard every welcome since: another would make its registry subscribe everything again.
    const askedBefore = tab.wantsLine
    tab.wantsLine = true
    if (this.line.state == "stopped") this.line.restart()
    else this.line.open()
    tab.post({ type: "line", line: this.snapshot() })
    if (this.line.state == "connected" && !askedBefore) tab.post({ type: "welcome", restoredIds: [] })
  }

  /**
   * A tab's subscribe: a source of the registry. Content it asks for the first time says when it was requested, so
   * that a subscription the connection holds already tells it, or hands it, what it lacks; one asked again after a
   * drop catches up by itself (its registry knows it was confirmed before).
   */
  private subscribe(tab: Tab, identifier: string, { since, requestedAt, confirmedBefore }: HistoryAnchor): void {
    const held = this.registry.holds(identifier)
    let source = tab.sources.get(identifier)
    if (!source) tab.sources.set(identifier, (source = new TabSource(tab, identifier, (rejected) => this.rejected(tab, identifier, rejected))))
    this.registry.attach(identifier, source, { since, ...(!confirmedBefore && { requestedAt }) })
    // Its catch-up on the extended protocol waits for a history outcome after each confirmation.
    if (held && this.line.extended) tab.post({ type: "history", identifier, outcome: "none" })
  }

  private unsubscribe(tab: Tab, identifier: string): void {
    const source = tab.sources.get(identifier)
    if (!source) return
    tab.sources.delete(identifier)
    this.registry.detach(identifier, source)
  }

  /** A rejected tab holds nothing: its registry never retries a rejection, nor says it leaves it. */
  private rejected(tab: Tab, identifier: string, source: TabSource): void {
    if (tab.sources.get(identifier) == source) this.unsubscribe(tab, identifier)
  }

  /** The server sends a whisper to every connection but the sender's: the other tabs on this one hear it here. */
  private whispered(from: Tab, command: string): void {
    if (!command.includes('"whisper"')) return
    const { command: name, identifier, data } = JSON.parse(command)
    if (name != "whisper") return
    for (const tab of this.tabs) if (tab != from) tab.sources.get(identifier)?.receive(data)
  }

  private toHolders(identifier: string, message: WorkerMessage): void {
    for (const tab of this.tabs) if (tab.sources.has(identifier)) tab.post(message)
  }

  /**
   * A new connection holds nothing: the registry subscribes again, and so does each tab's (its subscribes meet
   * the registry's). A restored session (AnyCable) still holds `restoredIds`: each tab hears of those it holds.
   */
  private welcomed(welcome: Welcome): void {
    for (const tab of this.tabs) {
      if (tab.wantsLine) tab.post({ type: "welcome", restoredIds: welcome.restoredIds.filter((identifier) => tab.sources.has(identifier)) })
    }
    this.registry.welcomed(welcome)
  }

  private lost(willReconnect: boolean): void {
    this.registry.lost(willReconnect)
    this.toAsking({ type: "lost", willReconnect })
    // Stopped (refused, signed out): the tabs stay stopped, as with sockets of their own, until each opens it
    // again; a tab that opens it now (another sign-in) does not bring the others back onto its connection.
    if (!willReconnect) for (const tab of this.tabs) tab.wantsLine = false
  }

  private stateChanged({ reason }: LineChange): void {
    this.toAsking({ type: "line", line: this.snapshot(), reason })
  }

  /** A debug line of the worker, for the tabs that log. */
  log(args: unknown[]): void {
    const message: WorkerMessage = { type: "log", args: args.map((arg) => (typeof arg == "string" ? arg : JSON.stringify(arg) ?? String(arg))) }
    for (const tab of this.tabs) if (tab.debug) tab.post(message)
  }

  private snapshot(): LineSnapshot {
    const { state, extended, sessionId, rejoiningAfterWake } = this.line
    return { state, extended, sessionId, rejoiningAfterWake }
  }

  private toAsking(message: WorkerMessage): void {
    for (const tab of this.tabs) if (tab.wantsLine) tab.post(message)
  }

  private announceTabs(): void {
    for (const tab of this.tabs) tab.post({ type: "tabs", count: this.tabs.size })
  }

  /** Pings every tab; one silent too long (frozen, crashed, gone without a pagehide) is let go. */
  private ping(): void {
    const now = this.clock.now()
    for (const tab of [...this.tabs]) {
      if (now - tab.lastHeard < EVICT_AFTER) tab.post({ type: "ping" })
      else {
        debug(`${tab.name} silent for ${Math.round((now - tab.lastHeard) / 1000)} s: let go`)
        this.leave(tab)
        tab.post({ type: "evicted" })
      }
    }
  }

  /** The socket closes, and the next tab to open starts a new one. */
  private close(): void {
    debug("no tab left: closing the shared connection")
    this.line.stop("page unloading")
  }
}
