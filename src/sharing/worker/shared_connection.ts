// The worker's side of a shared connection: one line (one socket) for every tab that joins, and one server
// subscription per identifier however many tabs want it. Each tab keeps its own registry (subscriptions/registry.ts),
// which still decides when to subscribe, retry and unsubscribe; this is where the tabs' commands meet.
import type { Clock, TimerHandle } from "../../clock"
import type { Line, StateChange, Welcome } from "../../line"
import type { SubscriptionFrame } from "../../protocol"
import { debug } from "../../log"
import { EVICT_AFTER, PING_INTERVAL, type LineSnapshot, type TabMessage, type WorkerMessage } from "../messages"

/** A tab as the worker sees it: where to post, and what it holds. */
export class Tab {
  /** It opened the line: it hears the line's state and welcomes. */
  opened = false
  lastHeard: number
  /** Identifiers it subscribed to (or asked for) and has not unsubscribed. */
  readonly holds = new Set<string>()

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

/** One server subscription and the tabs that share it. */
class ServerSubscription {
  phase: "idle" | "pending" | "confirmed" | "rejected" = "idle"
  readonly holders = new Set<Tab>()
  /** Tabs waiting for the server's answer. */
  readonly waiting = new Set<Tab>()
  /** Its last holder left while the subscribe was in flight: unsubscribe once confirmed. */
  retireOnConfirm = false
  /** The tab whose subscribe went out: its registry's retries reach the server, the other waiting tabs' would repeat them. */
  asker: Tab | null = null
  /** Its last holder left: it is unsubscribed when this fires, unless a tab asks for it first. */
  lingering: TimerHandle = null
}

export class SharedConnection {
  private readonly tabs = new Set<Tab>()
  private readonly subscriptions = new Map<string, ServerSubscription>()
  /** When an unsubscribe went out: a subscribe right behind it could overtake it on a threaded server (see registry.ts). */
  private readonly unsubscribedAt = new Map<string, number>()

  constructor(
    private readonly line: Line,
    private readonly clock: Clock,
    private readonly unsubscribeDelay: () => number,
  ) {
    line.on("state", (change) => this.stateChanged(change))
    line.on("welcome", (welcome) => this.welcomed(welcome))
    line.on("frame", (frame) => this.receive(frame))
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
    for (const identifier of [...tab.holds]) this.unsubscribe(tab, identifier)
    debug(`${tab.name} left (${this.tabs.size} tab(s))`)
    this.announceTabs()
    // No tab left: nothing may keep a socket open for no page (a page that unloads opens none, and keeps none).
    if (this.tabs.size == 0) this.close()
  }

  private open(tab: Tab): void {
    // A tab that opened already heard every welcome since: another would make its registry subscribe everything again.
    const openedBefore = tab.opened
    tab.opened = true
    if (this.line.state == "stopped") this.line.restart()
    else this.line.open()
    tab.post({ type: "line", line: this.snapshot() })
    if (this.line.state == "connected" && !openedBefore) tab.post({ type: "welcome", restoredIds: [] })
  }

  private subscribe(tab: Tab, identifier: string, anchor: Parameters<Line["subscribe"]>[1]): void {
    let subscription = this.subscriptions.get(identifier)
    if (!subscription) this.subscriptions.set(identifier, (subscription = new ServerSubscription()))
    subscription.holders.add(tab)
    subscription.retireOnConfirm = false
    this.clock.cancel(subscription.lingering)
    tab.holds.add(identifier)
    if (subscription.phase == "confirmed") {
      tab.post({ type: "frame", frame: { type: "confirm", identifier } })
      // A tab's catch-up on the extended protocol waits for a history outcome after each confirmation.
      if (this.line.extended) tab.post({ type: "history", identifier, outcome: "none" })
      return
    }
    // A second subscribe from a tab already waiting is its registry's retry: the server is asked again, once for all
    // the tabs waiting (each registry retries on its own timer), so by the asker's retries while it waits.
    const asker = subscription.asker
    const retry = subscription.waiting.has(tab) && (tab == asker || !asker || !subscription.waiting.has(asker))
    subscription.waiting.add(tab)
    if (subscription.phase == "pending" && !retry) return
    const unsubscribedAt = this.unsubscribedAt.get(identifier)
    const wait = unsubscribedAt === undefined ? 0 : unsubscribedAt + this.unsubscribeDelay() - this.clock.now()
    if (wait > 0) {
      subscription.phase = "idle"
      // A welcome in the meantime forgets the subscription: the tabs subscribe again, and this one must not go.
      this.clock.after(wait, () => this.subscriptions.get(identifier) == subscription && subscription.phase == "idle" && subscription.waiting.size && this.send(identifier, subscription, tab, anchor))
      return
    }
    this.send(identifier, subscription, tab, anchor)
  }

  private send(identifier: string, subscription: ServerSubscription, tab: Tab, anchor: Parameters<Line["subscribe"]>[1]): void {
    if (!this.line.subscribe(identifier, anchor)) return
    subscription.phase = "pending"
    subscription.asker = tab
  }

  private unsubscribe(tab: Tab, identifier: string): void {
    tab.holds.delete(identifier)
    const subscription = this.subscriptions.get(identifier)
    if (!subscription) return
    subscription.holders.delete(tab)
    subscription.waiting.delete(tab)
    if (subscription.holders.size > 0) return
    if (subscription.phase == "pending") {
      subscription.retireOnConfirm = true
      return
    }
    if (subscription.phase != "confirmed") return this.retire(identifier, subscription)
    // A reloaded page, or a tab's next page showing the same stream, asks for it again in a moment: it lingers,
    // as a page's registry lets a source's churn linger. Unsubscribed at once, the subscribe would wait out the
    // unsubscribe delay, and what was broadcast between the new page's render and that confirmation is lost.
    subscription.lingering = this.clock.after(this.unsubscribeDelay(), () => {
      if (this.subscriptions.get(identifier) == subscription && subscription.holders.size == 0) this.retire(identifier, subscription)
    })
  }

  private retire(identifier: string, subscription: ServerSubscription): void {
    if (subscription.phase == "confirmed" && this.line.unsubscribe(identifier)) this.unsubscribedAt.set(identifier, this.clock.now())
    this.subscriptions.delete(identifier)
  }

  private receive(frame: SubscriptionFrame): void {
    const subscription = this.subscriptions.get(frame.identifier)
    if (!subscription) return debug(`${frame.type} for a subscription no tab holds ignored:`, frame.identifier)
    switch (frame.type) {
      case "confirm":
        if (subscription.phase != "pending") return
        subscription.phase = "confirmed"
        if (subscription.retireOnConfirm) return this.retire(frame.identifier, subscription)
        return this.answerWaiting(subscription, frame)
      case "reject":
        subscription.phase = "rejected"
        for (const tab of subscription.waiting) {
          subscription.holders.delete(tab)
          tab.holds.delete(frame.identifier)
        }
        this.answerWaiting(subscription, frame)
        if (subscription.holders.size == 0) this.subscriptions.delete(frame.identifier)
        return
      default:
        return this.toHolders(frame.identifier, { type: "frame", frame })
    }
  }

  /** The server sends a whisper to every connection but the sender's: the other tabs on this one hear it here. */
  private whispered(from: Tab, command: string): void {
    if (!command.includes('"whisper"')) return
    const { command: name, identifier, data } = JSON.parse(command)
    if (name != "whisper") return
    const message: WorkerMessage = { type: "frame", frame: { type: "message", identifier, message: data } }
    for (const tab of this.subscriptions.get(identifier)?.holders ?? []) if (tab != from) tab.post(message)
  }

  private answerWaiting(subscription: ServerSubscription, frame: SubscriptionFrame): void {
    for (const tab of subscription.waiting) tab.post({ type: "frame", frame })
    subscription.waiting.clear()
  }

  private toHolders(identifier: string, message: WorkerMessage): void {
    const subscription = this.subscriptions.get(identifier)
    if (subscription) for (const tab of subscription.holders) tab.post(message)
  }

  /**
   * A new connection holds nothing, and each tab's registry subscribes again; a restored session (AnyCable)
   * still holds `restoredIds`: each tab hears of those it holds, and those no tab holds are unsubscribed.
   */
  private welcomed({ restoredIds }: Welcome): void {
    this.unsubscribedAt.clear()
    const restored = new Set(restoredIds)
    for (const [identifier, subscription] of this.subscriptions) {
      if (restored.has(identifier) && subscription.holders.size > 0) {
        subscription.phase = "confirmed"
        continue
      }
      for (const tab of subscription.holders) tab.holds.delete(identifier)
      this.subscriptions.delete(identifier)
    }
    for (const identifier of restored) {
      if (!this.subscriptions.has(identifier) && this.line.unsubscribe(identifier)) this.unsubscribedAt.set(identifier, this.clock.now())
    }
    for (const tab of this.tabs) {
      if (tab.opened) tab.post({ type: "welcome", restoredIds: restoredIds.filter((identifier) => tab.holds.has(identifier)) })
    }
  }

  private lost(willReconnect: boolean): void {
    // Holders stay: a restored session (AnyCable) gives their subscriptions back without a subscribe.
    for (const subscription of this.subscriptions.values()) {
      if (subscription.phase != "rejected") subscription.phase = "idle"
      subscription.waiting.clear()
    }
    this.toOpened({ type: "lost", willReconnect })
    // Stopped (refused, signed out): the tabs stay stopped, as with sockets of their own, until each opens it
    // again; a tab that opens it now (another sign-in) does not bring the others back onto its connection.
    if (!willReconnect) for (const tab of this.tabs) tab.opened = false
  }

  private stateChanged({ reason }: StateChange): void {
    this.toOpened({ type: "line", line: this.snapshot(), reason })
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

  private toOpened(message: WorkerMessage): void {
    for (const tab of this.tabs) if (tab.opened) tab.post(message)
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
