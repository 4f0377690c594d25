// A tab's end of the shared connection for unit tests, as sharing/tab/shared_line.ts is (that one needs a browser:
// ports, page events): a line to the tab's registry whose calls become TabMessages and whose events are the
// worker's messages. The test carries the messages both ways (`TabPorts`), so that it chooses when each arrives.
// And a page's clock, whose timers wait while the page is frozen.
import type { Clock, TimerHandle } from "../../src/clock"
import { EmittingLine, type HistoryAnchor, type Line, type LineState } from "../../src/line"
import type { LineSnapshot, TabMessage, WorkerMessage } from "../../src/sharing/messages"
import { Tab } from "../../src/sharing/worker/shared_connection"

/** A tab's first message on a new port (the settings it carries do not matter to the hub). */
export type Join = { type: "join" }

/** How the test carries messages between a tab and the worker, each on the port (a `Tab`) it was posted to. */
export interface TabPorts {
  toWorker(tab: Tab, message: TabMessage | Join): void
  toTab(tab: Tab, message: WorkerMessage): void
}

/**
 * Mirrors the worker's line state; connected for the registry once welcomed since it joined or lost the line;
 * answers pings; tells the worker of every unsubscribe, returning false (a tab puts nothing on a wire); joins
 * again on a new port, holding nothing, when let go or back from the back/forward cache.
 */
export class TabEnd extends EmittingLine implements Pick<Line, "open" | "send" | "subscribe" | "unsubscribe" | "extended" | "on"> {
  readonly extended = false
  /** The port it is joined on now. */
  tab!: Tab
  private line: LineSnapshot["state"] = "idle"
  private wanted = false
  private welcomed = false
  private everWelcomed = false
  private joins = 0

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly ports: TabPorts,
  ) {
    super()
    this.join()
  }

  get state(): LineState {
    if (!this.wanted) return "idle"
    if (this.line == "connected" && !this.welcomed) return this.everWelcomed ? "reconnecting" : "connecting"
    return this.line
  }

  open(): void {
    if (this.wanted) return
    this.wanted = true
    this.post({ type: "open" })
  }

  send(command: string): boolean {
    return this.postConnected({ type: "send", command })
  }

  subscribe(identifier: string, anchor: HistoryAnchor): boolean {
    return this.postConnected({ type: "subscribe", identifier, anchor })
  }

  /** Told to the worker whatever the state, so that it lets this tab's hold go; false: a tab puts nothing on a wire. */
  unsubscribe(identifier: string): boolean {
    this.post({ type: "unsubscribe", identifier })
    return false
  }

  /** The page goes (pagehide). */
  leave(): void {
    this.post({ type: "leave" })
  }

  /** A message from the worker on the port it is joined on. */
  heard(message: WorkerMessage): void {
    switch (message.type) {
      case "joined":
        this.line = message.line.state
        if (this.wanted) this.post({ type: "open" })
        return
      case "line":
        this.line = message.line.state
        return
      case "welcome":
        this.welcomed = this.everWelcomed = true
        return this.events.emit("welcome", { restoredIds: message.restoredIds })
      case "frame":
        return this.events.emit("frame", message.frame)
      case "lost":
        this.welcomed = false
        return this.events.emit("lost", message.willReconnect)
      case "ping":
        this.post({ type: "pong" })
        return
      case "evicted":
        return this.rejoin()
    }
  }

  /** Leaves the port it is on and joins on a new one, holding nothing: the registry hears a drop now. */
  rejoin(): void {
    this.leave()
    const wasWelcomed = this.welcomed
    this.welcomed = false
    this.line = "reconnecting"
    if (wasWelcomed) this.events.emit("lost", true)
    this.join()
  }

  private join(): void {
    const tab: Tab = new Tab(`${this.name} join ${++this.joins}`, (message) => this.ports.toTab(tab, message), this.clock.now())
    this.tab = tab
    this.ports.toWorker(tab, { type: "join" })
  }

  /** What the worker would put on the wire: posted only once this tab is welcomed on a connected line. */
  private postConnected(message: TabMessage): boolean {
    return this.state == "connected" && this.post(message)
  }

  private post(message: TabMessage): boolean {
    this.ports.toWorker(this.tab, message)
    return true
  }
}

/** A page's clock: while the page is frozen its timers wait, and they run when it thaws. */
export class PageClock implements Clock {
  private readonly held: Array<{ callback: () => void; cancelled: boolean }> = []
  frozen = false

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now()
  }

  after(ms: number, callback: () => void): TimerHandle {
    const timer = { callback, cancelled: false, handle: null as TimerHandle }
    timer.handle = this.clock.after(ms, () => (this.frozen ? this.held.push(timer) : callback()))
    return timer
  }

  every(ms: number, callback: () => void): TimerHandle {
    return this.after(ms, () => {
      callback()
      this.every(ms, callback)
    })
  }

  cancel(handle: TimerHandle): void {
    const timer = handle as { cancelled: boolean; handle: TimerHandle } | null
    if (!timer) return
    timer.cancelled = true
    this.clock.cancel(timer.handle)
  }

  thaw(): void {
    this.frozen = false
    for (const timer of this.held.splice(0)) if (!timer.cancelled) timer.callback()
  }
}
