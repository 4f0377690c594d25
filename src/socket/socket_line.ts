// The line as one WebSocket of this page at a time: the reconnect loop says when to open the next, the
// monitor says when a silent one is dead. Only the current socket is heard: a replaced one may still be
// closing (never while connecting: see guarded_websocket.ts), and what it reports no longer counts.
import { withTimeout, type Clock } from "../clock"
import type { LineSettings } from "../config"
import { ExtendedProtocol } from "../extended/extended_protocol"
import { EmittingLine, type DropReason, type HistoryAnchor, type Line, type LineState, type PageWake, type StopReason } from "../line"
import { debug, logError } from "../log"
import { EXTENDED_PROTOCOL, UNSUPPORTED_PROTOCOL, parseFrame, subprotocols, subscribeCommand, unsubscribeCommand, type SubscriptionFrame } from "../protocol"
import { guardedWebSocket } from "./guarded_websocket"
import { ConnectionMonitor } from "./monitor"
import { PageExit } from "./page_exit"
import { probeUrl, serverAnswers } from "./reachability"
import { ReconnectLoop } from "./reconnect_loop"
import { REFRESH_TIMEOUT, refusalVerdict } from "./refusal"
import { resolveCableUrl } from "./url"

export class SocketLine extends EmittingLine implements Line {
  private readonly loop: ReconnectLoop
  private readonly monitor: ConnectionMonitor
  /** The WebSocket class, made safe to close (guarded_websocket.ts) when the first socket opens. */
  private WebSocket: typeof WebSocket | null = null
  private socket: WebSocket | null = null
  private pageExit: PageExit | undefined
  /** Expiring credentials: welcomed at least once; a refusal retried since the last welcome. */
  private refusal = { authorizedBefore: false, retried: false }
  /** What this connection holds (subscribed, or restored): an unsubscribe for anything else is not sent. */
  private readonly held = new Set<string>()
  /** AnyCable's extended protocol: the session and the histories, kept across connections, used while `extended`. */
  private readonly ext: ExtendedProtocol
  /** The current connection speaks the extended protocol (the server chose it). */
  extended = false

  get sessionId(): string | null {
    return this.extended ? this.ext.sessionId : null
  }

  constructor(
    private readonly settings: LineSettings,
    private readonly clock: Clock,
    /** Read when the first socket opens: a page that wraps WebSocket after turbo-cable starts is heard. */
    private readonly webSocketClass: () => typeof WebSocket,
  ) {
    super()
    this.ext = new ExtendedProtocol(clock, {
      frame: (frame) => this.events.emit("frame", frame),
      history: (identifier, outcome) => this.events.emit("history", identifier, outcome),
      send: (command) => this.send(command),
    })
    this.monitor = new ConnectionMonitor((why) => this.drop(why), settings, clock)
    this.loop = new ReconnectLoop(
      {
        connect: (url) => this.connect(url),
        abandon: () => this.drop("timeout"),
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

  open(): void {
    if (this.loop.state.name != "idle") return
    this.monitor.start()
    // Never reconnect from a page that is unloading (see page_exit.ts).
    if (typeof window != "undefined") this.pageExit ??= new PageExit({ exited: (persisted) => persisted || this.stop("page unloading") }, this.clock)
    // A socket of this tab's own: no other tab shares it.
    this.events.emit("tabs", 1)
    this.loop.begin()
  }

  send(command: string): boolean {
    if (this.loop.state.name != "connected" || this.socket?.readyState !== 1) return false
    debug("send", command)
    this.socket.send(command)
    return true
  }

  subscribe(identifier: string, anchor: HistoryAnchor): boolean {
    const sent = this.send(this.extended ? this.ext.subscribe(identifier, anchor) : subscribeCommand(identifier))
    if (sent) this.held.add(identifier)
    return sent
  }

  unsubscribe(identifier: string): boolean {
    this.ext.unsubscribed(identifier)
    return this.held.delete(identifier) && this.send(unsubscribeCommand(identifier))
  }

  wake(why: PageWake): void {
    if (this.loop.wake()) return
    // A healthy line had a ping within the last interval (staleAfter / 2); a third of an interval more is
    // slack for jitter, so a focus or a visibility change never drops a line that is fine.
    if (this.loop.state.name == "connected" && this.clock.now() - this.monitor.lastFrameAt >= (this.settings.staleAfter * 2) / 3) {
      this.drop(why)
    }
  }

  stop(reason: StopReason): void {
    if (this.loop.state.name == "stopped") return
    debug("stopped:", reason)
    this.ext.forgetSession()
    this.letGo()
    this.monitor.stop()
    this.loop.stop(reason)
    this.events.emit("lost", false)
  }

  restart(): void {
    if (this.loop.state.name != "stopped") return
    this.monitor.start()
    this.loop.restart()
  }

  private connect(url: string): void {
    let socket: WebSocket
    try {
      this.WebSocket ??= guardedWebSocket(this.webSocketClass())
      socket = new this.WebSocket(this.ext.url(url), subprotocols(this.settings.extendedProtocol))
    } catch (error) {
      // A port the browser blocks, a policy that forbids the URL: an attempt that failed at once.
      logError("the WebSocket could not be opened:", error)
      this.loop.closed("closed")
      return this.events.emit("lost", true)
    }
    this.socket = socket
    this.held.clear()
    socket.addEventListener("open", () => {
      if (socket == this.socket) this.opened()
    })
    socket.addEventListener("message", (event) => {
      if (socket == this.socket) this.receive(event.data)
    })
    socket.addEventListener("close", (event) => {
      if (socket == this.socket) this.closed(event.reason || "closed")
    })
  }

  /** Closes the current socket (once open, if still connecting) and stops hearing it. */
  private letGo(): void {
    const socket = this.socket
    this.socket = null
    socket?.close()
  }

  private opened(): void {
    this.loop.socketOpened()
    if (this.socket?.protocol == UNSUPPORTED_PROTOCOL) return this.stop("unsupported")
    this.extended = this.socket?.protocol == EXTENDED_PROTOCOL
    // A server that completes the handshake but never welcomes is as dead as a silent one.
    this.monitor.watch(true)
  }

  /** One frame of the current socket: the connection's own handled here, a subscription's handed on. */
  private receive(data: unknown): void {
    this.monitor.recordFrame()
    const frame = parseFrame(data)
    if ("error" in frame) return debug("frame ignored:", frame.error, data)
    switch (frame.type) {
      case "ping":
        if (this.extended) this.ext.pinged()
        return
      case "welcome": {
        debug("welcome", frame.restoredIds ? "(session restored)" : "")
        this.refusal = { authorizedBefore: true, retried: false }
        const welcome = this.extended ? this.ext.welcomed(frame) : { restoredIds: [] }
        welcome.restoredIds.forEach((identifier) => this.held.add(identifier))
        this.loop.welcomed()
        // The registry first lets go of what the page no longer wants; the rest is asked what it missed.
        this.events.emit("welcome", welcome)
        if (this.extended) this.ext.restored(welcome)
        return
      }
      case "disconnect":
        // The server ended the session: a restore would only be refused.
        this.ext.forgetSession()
        return this.disconnected(frame)
      case "reject":
        this.held.delete(frame.identifier)
    }
    this.subscriptionFrame(frame)
  }

  /** A subscription's frame: through the extended protocol when the connection speaks it (history, positions). */
  private subscriptionFrame(frame: SubscriptionFrame): void {
    if (this.extended) this.ext.receive(frame)
    // Only the extended protocol has history and presence frames.
    else if (frame.type != "history" && frame.type != "presence") this.events.emit("frame", frame)
  }

  private disconnected(frame: { reason: string; reconnect: boolean }): void {
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
    this.drop(frame.reason || "remote")
  }

  private closed(why: DropReason): void {
    this.socket = null
    this.ext.lost()
    this.monitor.watch(false)
    debug("socket closed:", why)
    this.loop.closed(why)
    this.events.emit("lost", true)
  }

  /** Replaces the socket: lets it go at once and lets the loop schedule the next one. */
  private drop(why: DropReason): void {
    const { name } = this.loop.state
    if (!this.socket || (name != "connected" && name != "connecting")) return
    debug("dropping the line:", why)
    this.letGo()
    this.closed(why)
  }

  /** After a drop the server is asked over HTTP before any socket, and while it is down (see reachability.ts). */
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
