// The one WebSocket: opened lazily, reconnected with jittered backoff, watched for liveness.
import ReconnectingWebSocket from "reconnecting-websocket"
import type { CableOptions } from "../config"
import { debug } from "../log"
import { reconnectDelay } from "./backoff"
import type { Clock } from "./clock"
import { guardedWebSocket } from "./guarded_websocket"
import { ConnectionMonitor } from "./monitor"
import { PageExit } from "./page_exit"
import { SUBPROTOCOLS, UNSUPPORTED_PROTOCOL, parseFrame, type ServerFrame } from "./protocol"
import { probeUrl, serverAnswers } from "./reachability"
import { refreshCredentials, refusalVerdict } from "./refusal"
import type { ConnectionState, StateChange } from "./status"
import { resolveCableUrl } from "./url"

/** How long after a wake signal a drop is retried without backoff (ms). */
const WAKE_WINDOW = 1_000

export interface ConnectionDelegate {
  /** The server welcomed a new socket: (re)send every subscribe. */
  welcomed(): void
  /** The socket is gone: the server has forgotten every subscription. */
  lost(): void
  /** A subscription frame: confirm, reject or message. */
  received(frame: Extract<ServerFrame, { identifier: string }>): void
  stateChanged(change: StateChange): void
  /** Called on every liveness poll. */
  poll(now: number): void
}

/** What the connection reads of the options, as it goes (the URL at every connect). */
export type ConnectionSettings = Pick<
  CableOptions,
  "url" | "refreshCredentials" | "backoff" | "staleAfter" | "pollInterval" | "connectTimeout" | "stableAfter"
>

export class Connection {
  state: ConnectionState = "idle"
  private socket: ReconnectingWebSocket | null = null
  /** Retries since the last stable connection; -1 before the first attempt. */
  private retries = -1
  private welcomedAt = 0
  private dropReason: string | undefined
  private wakeBackoff: (() => void) | null = null
  /** When the page last said the line may be back (online, visible, resumed); -Infinity before that. */
  private wokeAt = -Infinity
  /** The last socket closed without ever opening: the server may be unreachable (see reachability.ts). */
  private lastAttemptFailed = false
  private attemptOpened = false
  private pageExit: PageExit | undefined
  /** The current connect follows this page's own wake (resume, visible, online): no fleet rejoins with it. */
  rejoiningAfterWake = false
  /** Expiring credentials: welcomed at least once; a refusal retried since the last welcome; refresh before the next connect. */
  private refusal = { authorizedBefore: false, retried: false, refreshFirst: false }
  readonly monitor: ConnectionMonitor
  private readonly WebSocket: typeof WebSocket

  constructor(
    private readonly delegate: ConnectionDelegate,
    private readonly options: ConnectionSettings,
    private readonly clock: Clock,
    WebSocketClass: typeof WebSocket,
  ) {
    this.WebSocket = guardedWebSocket(WebSocketClass)
    this.monitor = new ConnectionMonitor(
      { lineIsDead: (why) => this.drop(why), poll: (now) => this.delegate.poll(now) },
      options,
      clock,
    )
  }

  /** Opens the socket if none is open or opening. Does nothing once stopped; `restart` undoes a stop. */
  open(): void {
    if (this.socket || this.state == "stopped") return
    const { options } = this
    const socket = new ReconnectingWebSocket(() => this.nextUrl(), [...SUBPROTOCOLS], {
      WebSocket: this.WebSocket,
      // turbo-cable waits out its own jittered backoff inside nextUrl(), so the library's own delays are zero.
      minReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      reconnectionDelayGrowFactor: 1,
      connectionTimeout: options.connectTimeout,
      minUptime: options.stableAfter,
      maxRetries: Infinity,
      // Subscribes are sent again after each welcome; nothing may be replayed from a queue.
      maxEnqueuedMessages: 0,
      startClosed: true,
      debug: false,
    })
    socket.addEventListener("open", () => this.opened())
    socket.addEventListener("message", (event) => this.receive(event.data))
    socket.addEventListener("close", (event) => this.closed(event.reason))
    this.socket = socket
    this.monitor.start()
    // Never reconnect from a page that is unloading (see page_exit.ts).
    if (typeof window != "undefined") this.pageExit ??= new PageExit(() => this.stop("page unloading"), this.clock)
    socket.reconnect()
  }

  /** Sends a command if the server has welcomed this socket; false otherwise (it is sent again after the next welcome). */
  send(command: string): boolean {
    if (this.state != "connected" || !this.socket) return false
    debug("send", command)
    this.socket.send(command)
    return true
  }

  /** Something suggests the line may be back or broken (online, visible, resumed): act now, not at the next backoff step. */
  checkNow(why: string): void {
    if (this.state == "stopped" || !this.socket) return
    this.wokeAt = this.clock.now()
    if (this.wakeBackoff) {
      debug("retrying now:", why)
      this.wakeBackoff()
    } else if (this.state == "connected" && this.clock.now() - this.monitor.lastFrameAt >= (this.options.staleAfter * 2) / 3) {
      // A healthy line had a ping within the last interval (staleAfter / 2); a third of an interval more is
      // slack for jitter, so a focus or a visibility change never drops a line that is fine.
      this.drop(why)
    }
  }

  /** Closes the socket for good, e.g. on `unauthorized`. */
  stop(reason: string): void {
    if (this.state == "stopped") return
    debug("stopped:", reason)
    const socket = this.socket
    this.socket = null
    this.monitor.stop()
    this.wakeBackoff?.()
    this.setState("stopped", reason)
    socket?.close()
    this.delegate.lost()
  }

  /** Undoes `stop`: a fresh socket, backoff from its first step. */
  restart(): void {
    if (this.state != "stopped") return
    this.state = "idle"
    this.retries = -1
    this.open()
  }

  private async nextUrl(): Promise<string> {
    // Jitter spreads a fleet dropped at once by a server; a drop seen right after this page's own wake
    // (a resumed tab learns of its closed socket after `resume`) is this page's alone: retry at once.
    // One retry per wake: a server still down must not be hammered.
    await this.pageExit?.settled()
    const justWoke = this.clock.now() - this.wokeAt < WAKE_WINDOW
    this.rejoiningAfterWake = justWoke
    this.wokeAt = -Infinity
    if (this.retries >= 0 && !justWoke) {
      const delay = reconnectDelay(this.retries, this.options.backoff)
      debug(`retry ${this.retries + 1} in ${Math.round(delay)} ms`)
      await this.waitOrWake(delay)
    }
    if (this.lastAttemptFailed) await this.untilServerAnswers()
    this.attemptOpened = false
    const first = this.retries < 0
    this.retries++
    if (this.refusal.refreshFirst) {
      this.refusal.refreshFirst = false
      await refreshCredentials(this.options.refreshCredentials)
    }
    if (this.state == "stopped") return new Promise(() => {})
    try {
      const url = resolveCableUrl(this.options.url)
      this.setState(first ? "connecting" : "reconnecting")
      return url
    } catch (error) {
      console.error(error)
      this.stop("bad-url")
      return new Promise(() => {})
    }
  }

  /** While the server is unreachable, asks it over HTTP on the backoff schedule instead of opening sockets. */
  private async untilServerAnswers(): Promise<void> {
    for (;;) {
      if (this.state == "stopped") return
      let url: string | null
      try {
        url = probeUrl(resolveCableUrl(this.options.url), globalThis.location?.origin ?? "")
      } catch {
        return // a bad URL is reported by the connect that follows
      }
      if (!url || (await serverAnswers(url, this.options.connectTimeout))) return
      this.retries++
      const delay = reconnectDelay(this.retries, this.options.backoff)
      debug(`server unreachable; asking again in ${Math.round(delay)} ms`)
      await this.waitOrWake(delay)
    }
  }

  private waitOrWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(wake, ms)
      const self = this
      function wake() {
        self.clock.clearTimeout(timer)
        self.wakeBackoff = null
        resolve()
      }
      this.wakeBackoff = wake
    })
  }

  private opened(): void {
    this.attemptOpened = true
    if (this.socket?.protocol == UNSUPPORTED_PROTOCOL) return this.stop("unsupported")
    // A server that completes the handshake but never welcomes is as dead as a silent one.
    this.monitor.watch(true)
  }

  private receive(data: unknown): void {
    this.monitor.recordFrame()
    const frame = parseFrame(data)
    if ("error" in frame) return debug("frame ignored:", frame.error, data)

    switch (frame.type) {
      case "ping":
        return
      case "welcome":
        debug("welcome")
        this.welcomedAt = this.clock.now()
        this.refusal = { authorizedBefore: true, retried: false, refreshFirst: false }
        this.setState("connected")
        return this.guard(() => this.delegate.welcomed())
      case "disconnect":
        debug("server disconnect:", frame.reason, "reconnect:", frame.reconnect)
        const verdict = refusalVerdict(frame, {
          urlIsFunction: typeof this.options.url == "function",
          authorizedBefore: this.refusal.authorizedBefore,
          retriedRefusal: this.refusal.retried,
        })
        if (verdict == "stop") return this.stop(frame.reason)
        // Credentials that worked before may only have expired: one more try, the URL read again after the app's hook.
        if (verdict == "retry-fresh") this.refusal = { authorizedBefore: true, retried: true, refreshFirst: true }
        return this.drop(frame.reason || "remote")
      default:
        return this.guard(() => this.delegate.received(frame))
    }
  }

  private closed(reason: string): void {
    this.monitor.watch(false)
    this.lastAttemptFailed = !this.attemptOpened
    if (this.state == "stopped") return
    if (this.state == "connected" && this.clock.now() - this.welcomedAt >= this.options.stableAfter) this.retries = 0
    const why = this.dropReason ?? (reason || "closed")
    this.dropReason = undefined
    debug("socket closed:", why)
    this.setState("disconnected", why)
    this.guard(() => this.delegate.lost())
  }

  /** Replaces the socket: closes it (never while connecting) and reconnects after the next backoff step. */
  private drop(why: string): void {
    if (!this.socket || this.state == "stopped") return
    debug("dropping the line:", why)
    this.dropReason = why
    this.socket.reconnect()
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (state == this.state) return
    const previous = this.state
    this.state = state
    debug("state", previous, "->", state, reason ?? "")
    this.guard(() => this.delegate.stateChanged({ state, previous, reason }))
  }

  /** Nothing an app or a delegate throws may escape into a socket callback. */
  private guard(work: () => void): void {
    try {
      work()
    } catch (error) {
      console.error("turbo-cable:", error)
    }
  }
}
