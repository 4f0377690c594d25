// When the line connects: one explicit state machine on the injected clock, with one retry counter.
//
//   idle --open--> connecting --opened, welcomed--> connected --closed--> waiting --...--> connecting
//   any --stop--> stopped --restart--> idle
//
// Before each attempt after the first, the loop passes these steps in order, each either at once or after
// a wait (the `waiting` state names which): the page's exit grace (page_exit.ts), the backoff (skipped
// right after the page's own wake), the server asked over HTTP whether it listens, again and again on the
// probe schedule while it does not (reachability.ts, probe_schedule.ts), and the app's credential refresh
// after a refusal that a fresh URL may cure (refusal.ts). So no socket is opened to a server that is down.
import { debug, logError } from "../log"
import { reconnectDelay } from "./backoff"
import { type BackoffPolicy } from "../config"
import type { Clock, TimerHandle } from "../clock"
import type { DropReason, LineState, StopReason } from "../line"
import { PROBE_POLICY, probeGap, type ProbePolicy } from "./probe_schedule"

/** How long after a wake signal a drop is retried without backoff (ms). */
export const WAKE_WINDOW = 1_000

/** What a wait before the next attempt is for. */
export type WaitReason =
  | "page-exit" // the page said it is leaving: no socket until the grace has passed
  | "backoff" // the jittered delay after a drop
  | "unreachable" // the server is asked over HTTP whether it listens, and again on the probe schedule until it does
  | "fresh-credentials" // the app's refresh hook runs before the one retry of a refused connection

export type LoopState =
  | { name: "idle" }
  | { name: "waiting"; reason: WaitReason }
  | { name: "connecting"; first: boolean }
  | { name: "connected" }
  | { name: "stopped"; reason: StopReason }

/** What the loop asks of the line it schedules. */
export interface LoopPorts {
  /** Opens a socket to `url`. */
  connect(url: string): void
  /** Gives up on a socket that did not open within `connectTimeout` (it closes, and the loop hears `closed`). */
  abandon(): void
  /** The URL to connect to now; throws a clear error on a bad one. */
  url(): string
  /** Resolves whether the server answers over HTTP; true when it cannot be asked. */
  serverAnswers(): Promise<boolean>
  /** Resolves when the app's credential refresh hook is done (bounded). */
  refreshCredentials(): Promise<void>
  /** How much longer (ms) a page that said it is leaving must not connect; 0 when it may. */
  leavingFor(): number
  changed(state: LineState, previous: LineState, reason?: StopReason | DropReason): void
}

export interface LoopSettings {
  backoff: BackoffPolicy
  connectTimeout: number
  stableAfter: number
}

export class ReconnectLoop {
  state: LoopState = { name: "idle" }
  /** Attempts since the last stable connection; -1 before the first. */
  private retries = -1
  private timer: TimerHandle = null
  /** Bumped by every transition: an answer (probe, refresh) that comes after one is stale. */
  private generation = 0
  private welcomedAt = 0
  private wokeAt = -Infinity
  private backoffDue = true
  private socketWasOpened = false
  /** Ask the server over HTTP before the next socket: after every drop. */
  private askFirst = false
  /** When the first probe since the last welcome found the server down (null: none did): where the probe schedule stands. */
  private downSince: number | null = null
  private refreshFirst = false
  /**
   * The current attempt needs no spread before its catch-up: it follows this page's own wake (resume, visible,
   * online), or a probe that found the server back after finding it down (the probes' jitter spread the fleet).
   */
  rejoiningAfterWake = false

  constructor(
    private readonly ports: LoopPorts,
    private readonly settings: LoopSettings,
    private readonly clock: Clock,
    private readonly probes: ProbePolicy = PROBE_POLICY,
  ) {}

  /** The page-facing state. */
  get lineState(): LineState {
    return lineState(this.state, this.retries)
  }

  /** The first attempt; does nothing unless idle. */
  begin(): void {
    if (this.state.name != "idle") return
    this.proceed()
  }

  /** The socket completed its handshake. */
  socketOpened(): void {
    this.socketWasOpened = true
  }

  welcomed(): void {
    this.welcomedAt = this.clock.now()
    this.downSince = null
    this.enter({ name: "connected" })
  }

  /** The socket closed (or was abandoned): wait, then try again. */
  closed(reason: DropReason): void {
    if (this.state.name != "connecting" && this.state.name != "connected") return
    this.askFirst = true
    if (this.state.name == "connected" && this.clock.now() - this.welcomedAt >= this.settings.stableAfter) this.retries = 0
    this.backoffDue = true
    this.enter({ name: "waiting", reason: "backoff" }, reason)
    // The next step runs in a task of its own, after the line has told everyone it was lost.
    this.timer = this.clock.after(0, () => this.proceed())
  }

  /** The next attempt reads the URL only after the app's refresh hook (a refused connection's one retry). */
  refreshBeforeNextAttempt(): void {
    this.refreshFirst = true
  }

  /** The page woke: a backoff or reachability wait ends now. Returns whether one did. */
  wake(): boolean {
    if (this.state.name == "stopped" || this.state.name == "idle") return false
    this.wokeAt = this.clock.now()
    if (this.state.name != "waiting" || (this.state.reason != "backoff" && this.state.reason != "unreachable")) return false
    debug("retrying now: the page woke")
    this.proceed()
    return true
  }

  stop(reason: StopReason): void {
    if (this.state.name == "stopped") return
    this.enter({ name: "stopped", reason }, reason)
  }

  restart(): void {
    if (this.state.name != "stopped") return
    this.retries = -1
    this.backoffDue = true
    this.askFirst = false
    this.downSince = null
    // As at the first open, the page hears `connecting` next (from `idle`), not a state in between.
    this.state = { name: "idle" }
    this.proceed()
  }

  private proceed(): void {
    if (this.state.name == "stopped") return
    const leaving = this.ports.leavingFor()
    if (leaving > 0) return this.wait("page-exit", leaving)
    if (this.backoffDue) {
      this.backoffDue = false
      // Jitter spreads a fleet dropped at once by a server; a drop seen right after this page's own wake
      // (a resumed tab learns of its closed socket after `resume`) is this page's alone: retry at once.
      // One retry per wake: a server still down must not be hammered.
      const justWoke = this.clock.now() - this.wokeAt < WAKE_WINDOW
      this.rejoiningAfterWake = justWoke
      this.wokeAt = -Infinity
      if (this.retries >= 0 && !justWoke) {
        const delay = reconnectDelay(this.retries, this.settings.backoff)
        debug(`retry ${this.retries + 1} in ${Math.round(delay)} ms`)
        return this.wait("backoff", delay)
      }
    }
    if (this.askFirst) return this.ask()
    if (this.refreshFirst) return this.refresh()
    this.connect()
  }

  private wait(reason: WaitReason, ms: number): void {
    this.enter({ name: "waiting", reason })
    this.timer = this.clock.after(ms, () => this.proceed())
  }

  /** Asks whether the server listens; opens nothing until it does (Firefox's delay for failed sockets never grows). */
  private ask(): void {
    this.enter({ name: "waiting", reason: "unreachable" })
    const generation = this.generation
    const askedAt = this.clock.now()
    this.ports.serverAnswers().then((answers) => {
      if (generation != this.generation) return
      if (answers) {
        this.askFirst = false
        if (this.downSince !== null) this.rejoiningAfterWake = true
        return this.proceed()
      }
      this.downSince ??= askedAt
      // The gap runs from this probe's start: one that hung until its timeout is followed at once.
      const delay = Math.max(0, probeGap(askedAt - this.downSince, this.probes) - (this.clock.now() - askedAt))
      debug(`server unreachable; asking again in ${Math.round(delay)} ms`)
      this.wait("unreachable", delay)
    })
  }

  private refresh(): void {
    this.refreshFirst = false
    this.enter({ name: "waiting", reason: "fresh-credentials" })
    const generation = this.generation
    this.ports.refreshCredentials().then(() => generation == this.generation && this.proceed())
  }

  private connect(): void {
    this.socketWasOpened = false
    const first = this.retries < 0
    this.retries++
    let url: string
    try {
      url = this.ports.url()
    } catch (error) {
      logError("no WebSocket URL:", error)
      return this.stop("bad-url")
    }
    this.enter({ name: "connecting", first })
    // Left to itself a socket may hang in CONNECTING for minutes; it is never closed while connecting (the
    // line's socket waits for it to open), only given up on.
    this.timer = this.clock.after(this.settings.connectTimeout, () => {
      if (this.state.name == "connecting" && !this.socketWasOpened) this.ports.abandon()
    })
    this.ports.connect(url)
  }

  private enter(state: LoopState, reason?: StopReason | DropReason): void {
    this.clock.cancel(this.timer)
    this.timer = null
    this.generation++
    const previous = this.lineState
    this.state = state
    const next = this.lineState
    if (next != previous) this.ports.changed(next, previous, reason)
  }
}

/** Waits before the very first attempt still show `idle`; every later wait shows `disconnected`. */
function lineState(state: LoopState, retries: number): LineState {
  switch (state.name) {
    case "waiting":
      return retries < 0 ? "idle" : "disconnected"
    case "connecting":
      return state.first ? "connecting" : "reconnecting"
    default:
      return state.name
  }
}
