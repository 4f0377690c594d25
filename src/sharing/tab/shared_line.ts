// A tab's end of the connection its browser shares (the socket is in a shared worker: worker_hub.ts). It behaves
// as a line of its own to the tab's registry: state mirrored from the worker, frames of the subscriptions
// this tab holds, each once. A page that goes (pagehide) leaves; back from the back/forward cache, woken
// after a freeze, let go by the worker, or facing a silent worker, it joins again and its registry
// subscribes again and catches up, as after any drop. When a worker cannot be joined (it fails to load, the
// browser refuses it, it does not answer) or the page may share no more, it gives up, once, and the tab
// goes on with a socket of its own (tab_line.ts); it then leaves nothing behind, no listener, no timer.
import type { Clock, TimerHandle } from "../../clock"
import type { HistoryAnchor, Line, LineEvents, LineState, StateChange, StopReason } from "../../line"
import type { PageWake } from "../../line"
import { sinceOf } from "../../extended/history_since"
import { Emitter } from "../../events"
import { debug, debugEnabled } from "../../log"
import { JOIN_TIMEOUT, PROBE_TIMEOUT, WORKER_SILENT_AFTER, type LineSnapshot, type SharedSettings, type TabMessage, type WorkerMessage } from "../messages"
import { pageIdentity, WORKER_META, type OwnSocket, type SharedWorkerSpec } from "./policy"
import type { TabLineOptions } from "../../config"
import { startSharedWorker } from "./worker_script"

/** A page still here this long after its beforeunload did not go (a navigation answered by a download or a 204). */
const STAYED_AFTER = 5_000

const IDLE: LineSnapshot = { state: "idle", extended: false, sessionId: null, rejoiningAfterWake: false }

/** What the worker is told of the tab's settings: the cable URL resolved, no functions. */
function sharedSettings(options: TabLineOptions, { cableUrl: url }: SharedWorkerSpec): SharedSettings {
  const { backoff, staleAfter, pollInterval, connectTimeout, stableAfter, extendedProtocol, debug, unsubscribeDelay } = options
  return { url, backoff, staleAfter, pollInterval, connectTimeout, stableAfter, extendedProtocol, debug, unsubscribeDelay }
}

/** Why a worker could not be started or joined, with what fixes it. */
function workerFailed(spec: SharedWorkerSpec, what: string): OwnSocket {
  const where = spec.url ?? "turbo-cable-worker.js (beside turbo-cable's module)"
  return {
    why: `the shared worker ${where} ${what}. Serve it from the page's origin as JavaScript, allow it in worker-src, or name it with <meta name="${WORKER_META}">`,
    expected: false,
  }
}

export class SharedLine implements Line {
  private readonly events = new Emitter<LineEvents>()
  private line: LineSnapshot = IDLE
  private port: MessagePort | null = null
  /** This tab's app stopped it (`getCable().stop()`, `consumer.disconnect()`): it left, whatever the others do. */
  private stoppedHere: StopReason | null = null
  private opened = false
  /** The worker welcomed this tab since it last joined or lost the line: only then is it connected. */
  private welcomed = false
  private everWelcomed = false
  private joined = false
  private lastHeard: number
  /** When the tab last probed a silent worker; null when none is outstanding. */
  private probedAt: number | null = null
  private joinTimer: TimerHandle = null
  private readonly watchdog: TimerHandle
  private identity = pageIdentity()
  private tabs = 1
  /** A navigation away started (beforeunload) and the tab left: if no pagehide follows, the page stayed (a download, a 204). */
  private stayed: TimerHandle = null
  /** The watch for a Content-Security-Policy that forbids the worker, while a join is under way. */
  private policyWatch: AbortController | null = null
  /** Every page listener of this line: aborted when it gives up. */
  private readonly listening = new AbortController()
  /** It gave up: the tab has a socket of its own now, and this line does nothing more. */
  private disposed = false

  /** Joins the worker; resolves with the line once joined, or with why the tab should keep a socket of its own. */
  static join(
    worker: (decided: boolean) => SharedWorkerSpec | OwnSocket,
    options: TabLineOptions,
    clock: Clock,
    gaveUp: (why: OwnSocket) => void,
  ): Promise<SharedLine | OwnSocket> {
    return new Promise((resolve) => new SharedLine(worker, options, clock, resolve, gaveUp).connect())
  }

  private constructor(
    private readonly worker: (decided: boolean) => SharedWorkerSpec | OwnSocket,
    private readonly options: TabLineOptions,
    private readonly clock: Clock,
    /** Answers `join` once: with this line when first joined, or with why it could not be. */
    private firstJoin: ((outcome: SharedLine | OwnSocket) => void) | null,
    /** It cannot go on after it was in use (a worker that cannot be joined again, a page that may share no more). */
    private readonly gaveUp: (why: OwnSocket) => void,
  ) {
    this.lastHeard = clock.now()
    this.watchdog = clock.every(PROBE_TIMEOUT, () => this.checkWorker())
    const { signal } = this.listening
    // A page leaves when it starts to go: WebKit suspends a shared worker whose last page enters the
    // back/forward cache, and a leave posted on pagehide would wait, with the socket open, until it came back.
    addEventListener("beforeunload", () => this.leaveEarly(), { signal })
    addEventListener(
      "pagehide",
      () => {
        this.clock.cancel(this.stayed)
        this.post({ type: "leave" })
      },
      { signal },
    )
    addEventListener("pageshow", (event) => event.persisted && this.rejoin("back from the back/forward cache"), { signal })
    // A Turbo visit may render the head of another identity (a sign-in, a sign-out): that tab leaves.
    addEventListener("turbo:load", () => this.identity != pageIdentity() && this.rejoin("the page's identity changed"), { signal })
  }

  get state(): LineState {
    if (this.stoppedHere) return "stopped"
    if (!this.opened) return "idle"
    // Connected for this tab once its welcome came (its registry subscribes then), as a socket of its own is.
    if (this.line.state == "connected" && !this.welcomed) return this.everWelcomed ? "reconnecting" : "connecting"
    return this.line.state
  }
  get extended(): boolean {
    return this.line.extended
  }
  get sessionId(): string | null {
    return this.line.sessionId
  }
  get rejoiningAfterWake(): boolean {
    return this.line.rejoiningAfterWake
  }

  on<Name extends keyof LineEvents>(name: Name, listener: LineEvents[Name]) {
    return this.events.on(name, listener)
  }

  open(): void {
    if (this.opened || this.stoppedHere) return
    this.update(() => (this.opened = true))
    this.post({ type: "open" })
    this.events.emit("tabs", this.tabs)
  }

  send(command: string): boolean {
    return this.state == "connected" && this.post({ type: "send", command })
  }

  subscribe(identifier: string, anchor: HistoryAnchor): boolean {
    // The worker has no <meta>: the render time goes to it as the server's clock says (stream_history.ts).
    const since = sinceOf(anchor.renderedAt)
    const sent = { ...anchor, renderedAt: since === undefined ? -Infinity : since * 1000 }
    return this.state == "connected" && this.post({ type: "subscribe", identifier, anchor: sent })
  }

  /** Always told to the worker, so that it lets the subscription go whatever the line's state. */
  unsubscribe(identifier: string): boolean {
    const connected = this.state == "connected"
    this.post({ type: "unsubscribe", identifier })
    return connected
  }

  wake(why: PageWake): void {
    if (this.checkWorker()) this.post({ type: "wake", why })
  }

  stop(reason: StopReason): void {
    if (this.stoppedHere || this.disposed) return
    this.post({ type: "leave" })
    debug("stopped:", reason, "(this tab left the shared connection)")
    this.update(() => {
      this.stoppedHere = reason
      this.welcomed = false
    }, reason)
    this.events.emit("lost", false)
  }

  restart(): void {
    if (this.stoppedHere) {
      this.update(() => {
        this.stoppedHere = null
        this.opened = true
        this.line = { ...IDLE, state: "connecting" }
      })
      return this.connect()
    }
    if (this.line.state == "stopped") this.post({ type: "open" })
  }

  /** Applies a change to what the state is made of, and announces the state if it changed. */
  private update(change: () => void, reason?: StateChange["reason"]): void {
    const previous = this.state
    change()
    if (this.state != previous) this.events.emit("state", { state: this.state, previous, reason })
  }

  private connect(): void {
    // The worker lets go of what the old port held (it may be the same worker: a rejoin).
    this.post({ type: "leave" })
    this.port?.close()
    this.port = null
    this.joined = false
    const spec = this.worker(!this.firstJoin)
    if ("why" in spec) return this.failed(spec)
    this.watchPolicy(spec)
    let worker: SharedWorker
    try {
      worker = startSharedWorker(spec.url, spec.name)
    } catch (error) {
      return this.failed(workerFailed(spec, `was refused by the browser (${error instanceof Error ? error.message : error})`))
    }
    worker.addEventListener("error", () => this.failed(workerFailed(spec, "failed to load (a 404, a 403, a script error)")))
    const port = (this.port = worker.port)
    port.onmessage = ({ data }: MessageEvent<WorkerMessage>) => port == this.port && this.heard(data)
    port.start()
    this.identity = pageIdentity()
    this.post({ type: "join", settings: sharedSettings(this.options, spec) })
    this.clock.cancel(this.joinTimer)
    this.joinTimer = this.clock.after(JOIN_TIMEOUT, () => this.failed(workerFailed(spec, `did not answer within ${JOIN_TIMEOUT} ms`)))
    debug(`joining the shared connection to ${spec.cableUrl} (worker ${spec.url ?? "beside the module"}, "${spec.name}")`)
  }

  /** A worker the page's Content-Security-Policy forbids fails with an `error` event that does not say so: this does. */
  private watchPolicy(spec: SharedWorkerSpec): void {
    this.policyWatch?.abort()
    const watch = (this.policyWatch = new AbortController())
    const forbidden = (event: SecurityPolicyViolationEvent) => {
      const directive = event.effectiveDirective || event.violatedDirective
      if (!/^(worker|child|script|default)-src/.test(directive) || !/^https?:/.test(event.blockedURI)) return
      this.failed(workerFailed(spec, `is forbidden by the page's Content-Security-Policy (${directive})`))
    }
    document.addEventListener("securitypolicyviolation", forbidden, { signal: watch.signal })
  }

  /** The worker cannot be joined, or the page may share no more: the tab goes on with a socket of its own. */
  private failed(why: OwnSocket): void {
    if (this.joined || this.disposed) return
    this.dispose()
    if (this.firstJoin) {
      this.firstJoin(why)
      this.firstJoin = null
    } else this.gaveUp(why)
  }

  private heard(message: WorkerMessage): void {
    this.lastHeard = this.clock.now()
    if (this.stoppedHere && message.type != "ping") return
    switch (message.type) {
      case "joined":
        this.joined = true
        this.clock.cancel(this.joinTimer)
        this.policyWatch?.abort()
        debug(`joined: the shared worker holds the socket (${message.tabs} tab(s) share it)`)
        this.tabs = message.tabs
        this.events.emit("tabs", message.tabs)
        this.update(() => (this.line = message.line))
        if (this.opened) this.post({ type: "open" })
        this.firstJoin?.(this)
        this.firstJoin = null
        return
      case "line":
        return this.update(() => (this.line = message.line), message.reason)
      case "welcome":
        this.update(() => (this.welcomed = this.everWelcomed = true))
        return this.events.emit("welcome", { restoredIds: message.restoredIds })
      case "frame":
        return this.events.emit("frame", message.frame)
      case "lost":
        this.update(() => (this.welcomed = false))
        return this.events.emit("lost", message.willReconnect)
      case "history":
        return this.events.emit("history", message.identifier, message.outcome)
      case "tabs":
        this.tabs = message.count
        return this.events.emit("tabs", message.count)
      case "ping":
        this.post({ type: "pong" })
        return
      case "evicted":
        return this.rejoin("the shared worker let this tab go")
      case "log":
        if (debugEnabled()) console.debug("[turbo-cable worker]", ...message.args)
    }
  }

  private leaveEarly(): void {
    if (this.disposed || !this.joined || this.stoppedHere) return
    this.post({ type: "leave" })
    this.clock.cancel(this.stayed)
    this.stayed = this.clock.after(STAYED_AFTER, () => this.rejoin("the page stayed after all"))
  }

  /** Joins again, holding nothing: the registry hears a drop now and subscribes again after the welcome. */
  private rejoin(why: string): void {
    if (this.stoppedHere || this.firstJoin || this.disposed) return
    debug("joining the shared connection again:", why)
    const wasWelcomed = this.welcomed
    this.update(() => {
      this.welcomed = false
      this.line = { ...IDLE, state: this.opened ? "reconnecting" : "idle" }
    }, "closed")
    if (wasWelcomed) this.events.emit("lost", true)
    // The key is read again in connect(): another identity names another worker.
    this.connect()
  }

  /** A worker silent too long is gone (it crashed, or the browser ended it): join a new one. True when it is fine. */
  private checkWorker(): boolean {
    const now = this.clock.now()
    if (!this.joined || this.stoppedHere || this.disposed || now - this.lastHeard < WORKER_SILENT_AFTER) return true
    if (this.probedAt === null || this.probedAt < this.lastHeard) {
      this.probedAt = now
      this.post({ type: "probe" })
      return true
    }
    if (now - this.probedAt < PROBE_TIMEOUT) return true
    this.probedAt = null
    this.rejoin("the shared worker does not answer")
    return false
  }

  private post(message: TabMessage): boolean {
    try {
      this.port?.postMessage(message)
      return !!this.port
    } catch (error) {
      debug("could not post to the shared worker:", error)
      return false
    }
  }

  private dispose(): void {
    this.post({ type: "leave" })
    this.disposed = true
    this.listening.abort()
    this.policyWatch?.abort()
    this.clock.cancel(this.watchdog)
    this.clock.cancel(this.joinTimer)
    this.clock.cancel(this.stayed)
    this.port?.close()
    this.port = null
  }
}
