// The line as one WebSocket of this page: reconnecting-websocket holds the socket, the reconnect loop says
// when to connect, the monitor says when a silent socket is dead.
//
// What reconnecting-websocket does for us: one event target across every socket (listeners bound once),
// closing the old socket and making the next one on `reconnect()`, and asking for the next socket's URL
// through a callback after each close. The loop answers that callback when its wait is over, so the
// library's own delays, retry limits, queue and timeouts are all turned off (see `createSocket`).
import ReconnectingWebSocket from "reconnecting-websocket"
import type { CableOptions } from "../config"
import { Emitter } from "../events"
import { debug, logError } from "../log"
import { withTimeout, type Clock } from "./clock"
import { guardedWebSocket } from "./guarded_websocket"
import type { DropReason, Line, LineEvents, LineState, StopReason } from "./line"
import { ConnectionMonitor } from "./monitor"
import type { PageWake } from "./page_lifecycle"
import { PageExit } from "./page_exit"
import { SUBPROTOCOLS, UNSUPPORTED_PROTOCOL, parseFrame } from "./protocol"
import { probeUrl, serverAnswers } from "./reachability"
import { REFRESH_TIMEOUT, refusalVerdict } from "./refusal"
import { ReconnectLoop } from "./reconnect_loop"
import { resolveCableUrl } from "./url"

/** What the line reads of the options, as it goes (the URL at every connect). */
export type LineSettings = Pick<
  CableOptions,
  "url" | "refreshCredentials" | "backoff" | "staleAfter" | "pollInterval" | "connectTimeout" | "stableAfter"
>

/** reconnecting-websocket's timers run on the platform's clock: this one is longer than any page lives. */
const NEVER = 2 ** 31 - 1

export class SocketLine implements Line {
  private readonly events = new Emitter<LineEvents>()
  private readonly loop: ReconnectLoop
  private readonly monitor: ConnectionMonitor
  private readonly WebSocket: typeof WebSocket
  private socket: ReconnectingWebSocket | null = null
  /** reconnecting-websocket is waiting for the next socket's URL. */
  private answerUrl: ((url: string) => void) | null = null
  private nextUrl: string | null = null
  private dropReason: DropReason | undefined
  private pageExit: PageExit | undefined
  /** Expiring credentials: welcomed at least once; a refusal retried since the last welcome. */
  private refusal = { authorizedBefore: false, retried: false }

  constructor(
    private readonly settings: LineSettings,
    private readonly clock: Clock,
    WebSocketClass: typeof WebSocket,
  ) {
    this.WebSocket = guardedWebSocket(WebSocketClass)
    this.monitor = new ConnectionMonitor((why) => this.drop(why), settings, clock)
    this.loop = new ReconnectLoop(
      {
        connect: (url) => this.connect(url),
        abandon: () => this.socket?.reconnect(),
        url: () => resolveCableUrl(this.settings.url),
        serverAnswers: () => this.serverAnswers(),
        refreshCredentials: () => this.refreshCredentials(),
        leavingFor: () => this.pageExit?.remaining() ?? 0,
        changed: (state, previous, reason) => {
          debug("state", previous, "->", state, reason ?? "")
          this.events.emit("state", { state, previous, reason })
        },
      },
      settings,
      clock,
    )
  }

  get state(): LineState {
    return this.loop.lineState
  }

  get rejoiningAfterWake(): boolean {
    return this.loop.rejoiningAfterWake
  }

  on<Name extends keyof LineEvents>(name: Name, listener: LineEvents[Name]) {
    return this.events.on(name, listener)
  }

  open(): void {
    if (this.loop.state.name != "idle") return
    this.monitor.start()
    // Never reconnect from a page that is unloading (see page_exit.ts).
    if (typeof window != "undefined") this.pageExit ??= new PageExit(() => this.stop("page unloading"), this.clock)
    this.loop.begin()
  }

  send(command: string): boolean {
    if (this.loop.state.name != "connected" || !this.socket) return false
    debug("send", command)
    this.socket.send(command)
    return true
  }

  wake(why: PageWake): void {
    if (!this.socket || this.loop.wake()) return
    // A healthy line had a ping within the last interval (staleAfter / 2); a third of an interval more is
    // slack for jitter, so a focus or a visibility change never drops a line that is fine.
    if (this.loop.state.name == "connected" && this.clock.now() - this.monitor.lastFrameAt >= (this.settings.staleAfter * 2) / 3) {
      this.drop(why)
    }
  }

  stop(reason: StopReason): void {
    if (this.loop.state.name == "stopped") return
    debug("stopped:", reason)
    const socket = this.socket
    this.socket = null
    this.monitor.stop()
    this.loop.stop(reason)
    socket?.close()
    // reconnecting-websocket may be waiting for a URL: answer, so that nothing waits for ever (a closed
    // one opens nothing).
    this.answer("")
    this.nextUrl = null
    this.events.emit("lost", false)
  }

  restart(): void {
    if (this.loop.state.name != "stopped") return
    this.monitor.start()
    this.loop.restart()
  }

  private connect(url: string): void {
    if (this.answerUrl) return this.answer(url)
    this.nextUrl = url
    // A socket that closed asks for its next URL by itself; only a new one is started here.
    if (this.socket) return
    this.socket = this.createSocket()
    this.socket.reconnect()
  }

  private answer(url: string): void {
    const answer = this.answerUrl
    this.answerUrl = null
    answer?.(url)
  }

  private createSocket(): ReconnectingWebSocket {
    const socket: ReconnectingWebSocket = new ReconnectingWebSocket(
      () =>
        new Promise<string>((resolve) => {
          // A socket closed by `stop` opens nothing with what it gets.
          if (socket != this.socket) return resolve("")
          if (this.nextUrl === null) return (this.answerUrl = resolve)
          resolve(this.nextUrl)
          this.nextUrl = null
        }),
      [...SUBPROTOCOLS],
      {
        WebSocket: this.WebSocket,
        // The loop decides when to connect; the library's own delays and retry limit stay out of the way.
        minReconnectionDelay: 0,
        maxReconnectionDelay: 0,
        reconnectionDelayGrowFactor: 1,
        maxRetries: Infinity,
        minUptime: 0,
        // The loop's connect timeout runs on our clock.
        connectionTimeout: NEVER,
        // Subscribes are sent again after each welcome; nothing may be replayed from a queue.
        maxEnqueuedMessages: 0,
        startClosed: true,
      },
    )
    // A socket replaced by `restart` may still report its close: only the current one speaks.
    socket.addEventListener("open", () => {
      if (socket == this.socket) this.opened()
    })
    socket.addEventListener("message", (event) => {
      if (socket == this.socket) this.receive(event.data)
    })
    socket.addEventListener("close", (event) => {
      if (socket == this.socket) this.closed(event.reason)
    })
    return socket
  }

  private opened(): void {
    this.loop.socketOpened()
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
        this.refusal = { authorizedBefore: true, retried: false }
        this.loop.welcomed()
        return this.events.emit("welcome")
      case "disconnect":
        debug("server disconnect:", frame.reason, "reconnect:", frame.reconnect)
        const verdict = refusalVerdict(frame, {
          urlIsFunction: typeof this.settings.url == "function",
          authorizedBefore: this.refusal.authorizedBefore,
          retriedRefusal: this.refusal.retried,
        })
        if (verdict == "stop") return this.stop(frame.reason)
        // Credentials that worked before may only have expired: one more try, the URL read again after the app's hook.
        if (verdict == "retry-fresh") {
          this.refusal = { authorizedBefore: true, retried: true }
          this.loop.refreshBeforeNextAttempt()
        }
        return this.drop(frame.reason || "remote")
      default:
        return this.events.emit("frame", frame)
    }
  }

  private closed(reason: string): void {
    this.monitor.watch(false)
    const why = this.dropReason ?? (reason || "closed")
    this.dropReason = undefined
    if (this.loop.state.name == "stopped") return
    debug("socket closed:", why)
    this.loop.closed(why)
    this.events.emit("lost", true)
  }

  /** Replaces the socket: closes it (never while connecting) and lets the loop schedule the next one. */
  private drop(why: DropReason): void {
    const { name } = this.loop.state
    if (!this.socket || (name != "connected" && name != "connecting")) return
    debug("dropping the line:", why)
    this.dropReason = why
    this.socket.reconnect()
  }

  /** While the server is unreachable, it is asked over HTTP instead of with sockets (see reachability.ts). */
  private async serverAnswers(): Promise<boolean> {
    let url: string | null
    try {
      url = probeUrl(resolveCableUrl(this.settings.url), globalThis.location?.origin ?? "")
    } catch {
      return true // a bad URL is reported by the connect that follows
    }
    return !url || serverAnswers(url, this.settings.connectTimeout, this.clock)
  }

  private async refreshCredentials(): Promise<void> {
    const hook = this.settings.refreshCredentials
    if (!hook) return
    const done = Promise.resolve()
      .then(hook)
      .catch((error) => logError("refreshCredentials failed", error))
    await withTimeout(this.clock, done, REFRESH_TIMEOUT, undefined)
  }
}
