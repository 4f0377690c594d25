// A tab's end of the connection its browser shares (the socket is in a shared worker: sharing/worker/). It is a
// line of its own to the tab's registry: the worker's line state mirrored, the frames of the subscriptions this
// tab holds, each once. One state machine says where the tab stands with its worker:
//
//   joining --joined--> joined --let go, back from the back/forward cache, worker silent, identity changed--> joining
//   joined --beforeunload--> leaving --stayed 5 s--> joining          (pagehide: the page is gone)
//   (let go by a worker that lives on: joining over the same port; no answer there: joining a new one)
//   joining --error, refused, forbidden, no answer--> gone            (the tab goes on with a socket of its own)
//   any --stop--> stopped --restart--> joining
//
// Rejoining holds nothing: the registry hears a drop, subscribes again after the welcome and catches up.
import type { Clock, TimerHandle } from "../../clock"
import type { TabLineOptions } from "../../config"
import { EmittingLine, type HistoryAnchor, type Line, type LineChange, type LineState, type PageWake, type StopReason } from "../../line"
import { debug, debugEnabled } from "../../log"
import { PageExit } from "../../socket/page_exit"
import { JOIN_TIMEOUT, PROBE_TIMEOUT, WORKER_SILENT_AFTER, type LineSnapshot, type TabMessage, type WorkerMessage } from "../messages"
import { pageIdentity, type OwnSocket, type SharedWorkerSpec } from "./policy"
import { sharedSettings, WorkerPort, workerFailed } from "./worker_port"

type TabState =
  | { name: "joining"; samePort?: boolean } // asked the worker to join; the answer, or JOIN_TIMEOUT
  | { name: "joined" } // on the worker's connection
  | { name: "leaving" } // the page started to go and left; it may stay after all
  | { name: "stopped"; reason: StopReason } // this tab's app stopped it (`getCable().stop()`), whatever the others do
  | { name: "gone" } // it gave up: the tab has a socket of its own now; nothing of this line is left listening

const IDLE: LineSnapshot = { state: "idle", extended: false, sessionId: null, rejoiningAfterWake: false }

export class SharedLine extends EmittingLine implements Line {
  private tab: TabState = { name: "joining" }
  private line: LineSnapshot = IDLE
  private port: WorkerPort | null = null
  /** The tab's registry asked for the line. */
  private wanted = false
  /** The worker welcomed this tab since it last joined or lost the line: only then is it connected. */
  private welcomed = false
  private everWelcomed = false
  private lastHeard: number
  /** When the tab last probed a silent worker; null when none is outstanding. */
  private probedAt: number | null = null
  private joinTimer: TimerHandle = null
  private readonly watchdog: TimerHandle
  private identity = pageIdentity()
  private tabs = 1
  /** Every page listener of this line: aborted when it is gone. */
  private readonly listening = new AbortController()

  /** Joins the worker; resolves with the line once joined, or with why the tab should keep a socket of its own. */
  static join(
    worker: (decided: boolean) => SharedWorkerSpec | OwnSocket,
    options: TabLineOptions,
    clock: Clock,
    gaveUp: (why: OwnSocket) => void,
  ): Promise<SharedLine | OwnSocket> {
    return new Promise((resolve) => new SharedLine(worker, options, clock, resolve, gaveUp).enter({ name: "joining" }))
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
    super()
    this.lastHeard = clock.now()
    this.watchdog = clock.every(PROBE_TIMEOUT, () => this.checkWorker())
    const { signal } = this.listening
    // A page leaves when it starts to go: WebKit suspends a shared worker whose last page enters the
    // back/forward cache, and a leave posted on pagehide would wait, with the socket open, until it came back.
    new PageExit(
      {
        leaving: () => this.tab.name == "joined" && this.enter({ name: "leaving" }),
        stayed: () => this.tab.name == "leaving" && this.rejoin("the page stayed after all"),
        exited: () => this.port?.post({ type: "leave" }),
      },
      clock,
      signal,
    )
    addEventListener("pageshow", (event) => event.persisted && this.rejoin("back from the back/forward cache"), { signal })
    // A Turbo visit may render the head of another identity (a sign-in, a sign-out): that tab leaves.
    addEventListener("turbo:load", () => this.identity != pageIdentity() && this.rejoin("the page's identity changed"), { signal })
  }

  get state(): LineState {
    if (this.tab.name == "stopped") return "stopped"
    if (!this.wanted) return "idle"
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

  open(): void {
    if (this.wanted || this.tab.name == "stopped") return
    this.update(() => (this.wanted = true))
    this.post({ type: "open" })
    this.events.emit("tabs", this.tabs)
  }

  send(command: string): boolean {
    return this.state == "connected" && this.post({ type: "send", command })
  }

  subscribe(identifier: string, anchor: HistoryAnchor): boolean {
    return this.state == "connected" && this.post({ type: "subscribe", identifier, anchor })
  }

  /**
   * Always told to the worker, whatever the line's state, so that it lets this tab's hold go. False: the tab puts
   * nothing on a wire (the worker keeps its own subscribe from overtaking its own unsubscribe).
   */
  unsubscribe(identifier: string): boolean {
    this.post({ type: "unsubscribe", identifier })
    return false
  }

  wake(why: PageWake): void {
    if (this.checkWorker()) this.post({ type: "wake", why })
  }

  stop(reason: StopReason): void {
    if (this.tab.name == "stopped" || this.tab.name == "gone") return
    debug("stopped:", reason, "(this tab left the shared connection)")
    this.update(() => this.enter({ name: "stopped", reason }), reason)
    this.events.emit("lost", false)
  }

  restart(): void {
    if (this.tab.name == "stopped") {
      this.update(() => {
        this.wanted = true
        this.line = { ...IDLE, state: "connecting" }
      })
      return this.enter({ name: "joining" })
    }
    if (this.line.state == "stopped") this.post({ type: "open" })
  }

  /** Where the tab stands with its worker: each state's entry does its work, and what the last one started ends. */
  private enter(next: TabState): void {
    const previous = this.tab
    this.tab = next
    this.clock.cancel(this.joinTimer)
    if (previous.name == "joining") this.port?.joinedOrFailed()
    switch (next.name) {
      case "joining":
        return this.join(next.samePort ?? false)
      case "stopped":
        this.welcomed = false
        return void this.post({ type: "leave" })
      case "leaving":
        return void this.post({ type: "leave" })
      case "gone":
        this.post({ type: "leave" })
        this.port?.close()
        this.port = null
        this.listening.abort()
        return this.clock.cancel(this.watchdog)
    }
  }

  /**
   * A port to the worker this tab's key names (another identity names another worker), and its join. A worker
   * that let this tab go is joined again over the same port (`samePort`): the browser holds every SharedWorker
   * object a page made, and its port, for as long as their worker lives.
   */
  private join(samePort: boolean): void {
    const spec = this.worker(!this.firstJoin)
    const port = samePort && !("why" in spec) && this.port?.reaches(spec) ? this.port : null
    if (!port) {
      // The worker lets go of what the old port held (it may be the same worker: a rejoin).
      this.port?.post({ type: "leave" })
      this.port?.close()
      this.port = null
    }
    if ("why" in spec) return this.failed(spec)
    this.identity = pageIdentity()
    const joining: WorkerPort = (this.port = port ?? new WorkerPort(spec, this.clock, ({ data }) => joining == this.port && this.heard(data), (why) => this.failed(why)))
    joining.post({ type: "join", settings: sharedSettings(this.options, spec) })
    // Over the same port, a worker that ended since it let this tab go: a new one.
    const noAnswer = () => (port ? this.enter({ name: "joining" }) : this.failed(workerFailed(spec, `did not answer within ${JOIN_TIMEOUT} ms`)))
    this.joinTimer = this.clock.after(JOIN_TIMEOUT, noAnswer)
    debug(`joining the shared connection to ${spec.cableUrl} (worker ${spec.url ?? "beside the module"}, "${spec.name}")`)
  }

  /** The worker cannot be joined, or the page may share no more: the tab goes on with a socket of its own. */
  private failed(why: OwnSocket): void {
    if (this.tab.name != "joining") return
    this.enter({ name: "gone" })
    if (this.firstJoin) this.firstJoin(why)
    else this.gaveUp(why)
    this.firstJoin = null
  }

  private heard(message: WorkerMessage): void {
    this.lastHeard = this.clock.now()
    if (this.tab.name == "stopped" && message.type != "ping") return
    switch (message.type) {
      case "joined":
        debug(`joined: the shared worker holds the socket (${message.tabs} tab(s) share it)`)
        this.enter({ name: "joined" })
        this.tabs = message.tabs
        this.events.emit("tabs", message.tabs)
        this.update(() => (this.line = message.line))
        if (this.wanted) this.post({ type: "open" })
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
        return void this.post({ type: "pong" })
      case "evicted":
        return this.rejoin("the shared worker let this tab go", true)
      case "log":
        if (debugEnabled()) console.debug("[turbo-cable worker]", ...message.args)
    }
  }

  /** Joins again, holding nothing: the registry hears a drop now and subscribes again after the welcome. */
  private rejoin(why: string, samePort = false): void {
    if (this.tab.name != "joined" && this.tab.name != "leaving") return
    debug("joining the shared connection again:", why)
    const wasWelcomed = this.welcomed
    this.update(() => {
      this.welcomed = false
      this.line = { ...IDLE, state: this.wanted ? "reconnecting" : "idle" }
    }, "closed")
    if (wasWelcomed) this.events.emit("lost", true)
    this.enter({ name: "joining", samePort })
  }

  /** A worker silent too long is gone (it crashed, or the browser ended it): join a new one. True when it is fine. */
  private checkWorker(): boolean {
    const now = this.clock.now()
    if (this.tab.name != "joined" || now - this.lastHeard < WORKER_SILENT_AFTER) return true
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

  /** Applies a change to what the state is made of, and announces the state if it changed. */
  private update(change: () => void, reason?: LineChange["reason"]): void {
    const previous = this.state
    change()
    if (this.state != previous) this.events.emit("state", { state: this.state, previous, reason })
  }

  private post(message: TabMessage): boolean {
    return this.port?.post(message) ?? false
  }
}
