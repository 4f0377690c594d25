// A small Action Cable server (protocol `actioncable-v1-json`) on top of `ws`, speaking to
// clients exactly as Rails does for Turbo::StreamsChannel, so the browser library can be tested
// against it. Deliberate differences from Rails: everything is in memory in one process and
// broadcasts of one stream are never reordered.
//
// To clients that offer it, it speaks AnyCable's extended protocol `actioncable-v1-ext-json` as
// anycable-go does with its memory broker (broker.ts): session ids and restore, stream offsets and
// history, whispers, presence and pongs. Where it differs from anycable-go, on purpose:
// - it picks the extended protocol whenever offered; anycable-go 1.5 picks the plain one when a
//   client offers both (`preferPlainProtocol` does that too);
// - to plain clients it stays Rails: no sid in the welcome, no history/whisper/presence commands;
// - a restored session calls `onSubscribe` again (anycable-go asks the app nothing on restore), so
//   the hooks stay balanced;
// - `closeAll`/`disconnectAll` forget the sessions at once: they stand for a restart, which loses
//   the memory broker (on its own `disconnect` anycable-go keeps the session, but the client forgets it);
// - one ping timer for every client; the `pi`/`ptp` query parameters are not read.

import { randomBytes } from "node:crypto"
import type { IncomingMessage, Server as HttpServer } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer, type RawData } from "ws"
import { Broker, type BrokerOptions } from "./broker"
import type { HistoryEntry, StreamPosition } from "./history"
import type { PresenceEvent } from "./presence"
import type { CachedSession } from "./session_cache"
import { verify, type Secret } from "./signed_stream"

/** Every string of the wire protocol, in one place. */
export const PROTOCOL = {
  subprotocol: "actioncable-v1-json",
  extendedSubprotocol: "actioncable-v1-ext-json",
  unsupportedSubprotocol: "actioncable-unsupported",
  defaultPath: "/cable",
  channel: "Turbo::StreamsChannel",
  signedStreamParam: "signed_stream_name",
  /** AnyCable's channel for streams named by the client: `{channel: "$pubsub", stream_name | signed_stream_name}`. */
  pubsubChannel: "$pubsub",
  publicStreamParam: "stream_name",
  /** Where a reconnecting client names the session to restore: the header wins over the query. */
  restoreSidHeader: "x-anycable-restore-sid",
  restoreSidParam: "sid",
  command: {
    subscribe: "subscribe",
    unsubscribe: "unsubscribe",
    message: "message",
    history: "history",
    pong: "pong",
    whisper: "whisper",
    join: "join",
    leave: "leave",
    presence: "presence",
  },
  type: {
    welcome: "welcome",
    ping: "ping",
    disconnect: "disconnect",
    confirm: "confirm_subscription",
    reject: "reject_subscription",
    confirmHistory: "confirm_history",
    rejectHistory: "reject_history",
    presence: "presence",
  },
  disconnectReason: {
    unauthorized: "unauthorized",
    invalidRequest: "invalid_request",
    serverRestart: "server_restart",
    remote: "remote",
    noPong: "no_pong",
  },
} as const

const DEFAULT_PING_INTERVAL_MS = 3000
const DEFAULT_MAX_FRAME_BYTES = 64 * 1024
// ws has to read a frame whole before we can ignore it; beyond this it closes the socket (1009).
const MIN_HARD_FRAME_LIMIT = 1024 * 1024
const COMMAND_LOG_CAP = 100_000
const MAX_SUBSCRIPTIONS_PER_CONNECTION = 10_000
// A client that stops reading must not make the server buffer without limit.
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024
const NORMAL_CLOSURE = 1000
// anycable-go's presence_ttl: a closed session's presence lasts this long, so a quick reconnect is no leave.
const DEFAULT_PRESENCE_TTL_SECONDS = 15

export interface CableServerOptions {
  /** Key for signed stream names (see signed_stream.ts). */
  secret: Secret
  /** Default 3000, as Rails. */
  pingIntervalMs?: number
  /** Default "/cable". */
  path?: string
  /** Identity for the connection, or null to refuse it as Rails does (`unauthorized`, no reconnect). */
  authenticate?: (req: IncomingMessage) => string | null
  /** Default 64 KiB; larger client frames are ignored. */
  maxFrameBytes?: number
  /**
   * App channels beside Turbo::StreamsChannel, by name: each gives the stream a subscription follows
   * (`stream_from`), or null to reject it.
   */
  channels?: Record<string, (params: Record<string, unknown>, conn: ConnectionInfo) => ChannelStream | null>
  /** Speak `actioncable-v1-ext-json` to clients that offer it; default true. False: a plain Action Cable server. */
  extendedProtocol?: boolean
  /**
   * Pick `actioncable-v1-json` when a client offers both protocols, as anycable-go 1.5 does (gorilla/websocket
   * 1.5.3 picks by the server's list, which has the plain one first); default false: the extended one.
   */
  preferPlainProtocol?: boolean
  /** History and session cache of the extended protocol (limits, TTLs, a file to outlive the process). */
  broker?: BrokerOptions
  /** Seconds a closed session stays present before its `leave`; default 15, as anycable-go. */
  presenceTtlSeconds?: number
  /**
   * Disconnect (`no_pong`, reconnect) an extended-protocol client that sends nothing, not even a `pong`,
   * for this long; off by default, as anycable-go's `pong_timeout`.
   */
  pongTimeoutMs?: number
  /**
   * Serve AnyCable's `$pubsub` channel: signed streams, and with `public` unsigned ones. Whispers and
   * presence are on for public streams and, when asked, for signed ones (anycable-go's `streams` config).
   */
  pubsub?: { public?: boolean; whisper?: boolean; presence?: boolean }
  log?: (line: string) => void
}

/** The stream a channel follows, and whether its subscribers may whisper to it and join its presence. */
export type ChannelStream = string | { stream: string; whisper?: boolean; presence?: boolean }

/** Options of one broadcast. */
export interface BroadcastOptions {
  /** Not stored in the history and sent without an offset (anycable-go's transient broadcasts). */
  transient?: boolean
}

export interface ConnectionInfo {
  readonly id: number
  readonly identity: string
}

export interface CommandLogEntry {
  connection: number
  command: string
  identifier: string
  at: number
}

export type SubscriptionHook = (
  conn: ConnectionInfo,
  stream: string,
  params: Record<string, unknown>,
) => void

export type MessageHook = (
  conn: ConnectionInfo,
  identifierParams: Record<string, unknown>,
  data: Record<string, unknown>,
) => void

interface Connection {
  info: ConnectionInfo
  socket: WebSocket
  subscriptions: Map<string, Subscription>
  open: boolean
  /** Set for a client on `actioncable-v1-ext-json`: its session id. */
  sid?: string
  pongTimer?: NodeJS.Timeout
}

interface Subscription {
  connection: Connection
  identifier: string
  /** JSON.stringify(identifier), computed once because broadcasts are the hot path. */
  encodedIdentifier: string
  stream: string
  params: Record<string, unknown>
  whisper: boolean
  presence: boolean
}

/** What happens to a closed connection's session: restorable for its TTL, or gone at once. */
type SessionFate = "keep" | "drop"

type JsonObject = Record<string, unknown>

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function isPositive(value: unknown): value is number {
  return typeof value === "number" && value > 0
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function rawToBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw
  if (Array.isArray(raw)) return Buffer.concat(raw)
  return Buffer.from(raw)
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"]
  if (!header) return []
  return header.split(",").map((p) => p.trim()).filter((p) => p !== "")
}

/** The session a reconnecting client asks to restore: AnyCable's header, else the `sid` query parameter. */
function restoreSid(req: IncomingMessage): string | null {
  const header = req.headers[PROTOCOL.restoreSidHeader]
  if (typeof header === "string" && header !== "") return header
  try {
    return new URL(req.url ?? "/", "http://localhost").searchParams.get(PROTOCOL.restoreSidParam) || null
  } catch {
    return null
  }
}

function newSid(): string {
  return randomBytes(15).toString("base64url")
}

function normalizeStream(value: ChannelStream | null): { stream: string; whisper: boolean; presence: boolean } | null {
  if (value === null) return null
  if (typeof value === "string") return { stream: value, whisper: false, presence: false }
  return { stream: value.stream, whisper: value.whisper === true, presence: value.presence === true }
}

/** A client's `{epoch, offset}` for a stream, or null if it is not one. */
function streamPosition(value: unknown): StreamPosition | null {
  if (!isRecord(value) || typeof value.epoch !== "string") return null
  const offset = value.offset
  return typeof offset === "number" && Number.isInteger(offset) && offset >= 0 ? { epoch: value.epoch, offset } : null
}

function requestPath(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? "/", "http://localhost").pathname
  } catch {
    return null
  }
}

function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  )
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.on("error", () => {})
  socket.once("finish", () => socket.destroy())
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

export class CableServer {
  onSubscribe?: SubscriptionHook
  /** Also called for every subscription of a connection that goes away, as Rails' `unsubscribed`. */
  onUnsubscribe?: SubscriptionHook
  onMessage?: MessageHook

  private readonly secret: Secret
  private readonly pingIntervalMs: number
  private readonly path: string
  private readonly authenticate?: (req: IncomingMessage) => string | null
  private readonly maxFrameBytes: number
  private readonly channels: NonNullable<CableServerOptions["channels"]>
  private readonly extendedProtocol: boolean
  private readonly pubsub?: CableServerOptions["pubsub"]
  private readonly presenceTtlMs: number
  private readonly pongTimeoutMs?: number
  private readonly logLine: (line: string) => void
  private readonly wss: WebSocketServer
  private readonly broker: Broker

  private readonly connections = new Map<WebSocket, Connection>()
  // Every socket not yet closed, including refused and closing ones, so close() can end them all
  // instead of waiting on a peer that never answers a close frame.
  private readonly sockets = new Set<WebSocket>()
  private readonly streams = new Map<string, Set<Subscription>>()
  private readonly attached = new Set<HttpServer>()
  private commands: CommandLogEntry[] = []
  private nextConnectionId = 1
  private pingTimer: NodeJS.Timeout | undefined

  constructor(options: CableServerOptions) {
    this.secret = options.secret
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS
    this.path = options.path ?? PROTOCOL.defaultPath
    this.authenticate = options.authenticate
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.channels = options.channels ?? {}
    this.extendedProtocol = options.extendedProtocol ?? true
    this.pubsub = options.pubsub
    this.presenceTtlMs = (options.presenceTtlSeconds ?? DEFAULT_PRESENCE_TTL_SECONDS) * 1000
    this.pongTimeoutMs = options.pongTimeoutMs
    this.logLine = options.log ?? (() => {})
    this.broker = new Broker(options.broker, (line) => this.log(line))
    const preferPlain = options.preferPlainProtocol ?? false
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Rails' websocket-driver negotiates no extensions; match it so frame timings are comparable.
      perMessageDeflate: false,
      maxPayload: Math.max(this.maxFrameBytes * 16, MIN_HARD_FRAME_LIMIT),
      handleProtocols: (protocols) => {
        const extended = this.extendedProtocol && protocols.has(PROTOCOL.extendedSubprotocol)
        if (extended && !(preferPlain && protocols.has(PROTOCOL.subprotocol))) return PROTOCOL.extendedSubprotocol
        if (protocols.has(PROTOCOL.subprotocol)) return PROTOCOL.subprotocol
        if (protocols.has(PROTOCOL.unsupportedSubprotocol)) return PROTOCOL.unsupportedSubprotocol
        return false
      },
    })
    this.wss.on("error", (err) => this.log(`server error: ${err.message}`))
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Serve WebSocket upgrades on `path` of this HTTP server; upgrades elsewhere get a 404. */
  attach(httpServer: HttpServer): void {
    if (this.attached.has(httpServer)) return
    this.attached.add(httpServer)
    httpServer.on("upgrade", this.handleUpgrade)
    this.startPings()
  }

  /**
   * Stop pings, detach from every HTTP server and terminate every socket. The command log is
   * kept and `attach` may be called again, so a test can "restart" the same server. The broker is
   * kept too (sessions stay restorable), as one backed by Redis outlives an AnyCable restart;
   * `resetBroker()` loses it.
   */
  async close(): Promise<void> {
    this.stopPings()
    for (const httpServer of this.attached) httpServer.off("upgrade", this.handleUpgrade)
    this.attached.clear()
    const sockets = [...this.sockets]
    this.killAll()
    this.broker.flush()
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) resolve()
            else socket.once("close", () => resolve())
          }),
      ),
    )
  }

  // ---- public operations -----------------------------------------------------------------

  /**
   * Send `message` to every subscription of `stream`; returns how many it went to. On the extended
   * protocol it is stored in the stream's history first (even with no subscriber, as anycable-go does)
   * and carries its position, unless it is transient.
   */
  broadcast(stream: string, message: unknown, options: BroadcastOptions = {}): number {
    const encodedMessage = JSON.stringify(message) ?? "null"
    const offset = this.extendedProtocol && !options.transient ? this.store(stream, encodedMessage) : undefined
    const subscriptions = this.streams.get(stream)
    if (!subscriptions) return 0
    const position = offset === undefined ? "" : this.positionFields(stream, offset)
    let delivered = 0
    for (const sub of subscriptions) {
      // Key order as Rails: identifier, then message; then anycable-go's stream_id, epoch, offset.
      const frame = `{"identifier":${sub.encodedIdentifier},"message":${encodedMessage}${sub.connection.sid ? position : ""}}`
      if (this.send(sub.connection, frame)) delivered++
    }
    return delivered
  }

  subscriptionCount(stream?: string): number {
    if (stream !== undefined) return this.streams.get(stream)?.size ?? 0
    let total = 0
    for (const conn of this.connections.values()) total += conn.subscriptions.size
    return total
  }

  connectionCount(): number {
    return this.connections.size
  }

  /** The history's epoch and how many messages of `stream` it keeps now. */
  historyOf(stream: string): { epoch: string; size: number } {
    return { epoch: this.broker.history.epoch, size: this.broker.history.size(stream) }
  }

  /** A new broker life: a new epoch, no history, no restorable session, no presence. */
  resetBroker(): void {
    this.broker.reset()
  }

  commandLog(): CommandLogEntry[] {
    return this.commands.slice(-COMMAND_LOG_CAP)
  }

  clearCommandLog(): void {
    this.commands = []
  }

  /**
   * Clean close (close frame with `code`) of every client socket. Their sessions are forgotten: this
   * stands for a restart, which loses anycable-go's memory broker.
   */
  closeAll(code: number = NORMAL_CLOSURE): void {
    if (!isValidCloseCode(code)) throw new RangeError(`invalid WebSocket close code: ${code}`)
    for (const conn of [...this.connections.values()]) {
      this.forget(conn, "drop")
      conn.socket.close(code)
    }
  }

  /**
   * Drop every client socket without a close frame, as a crashed server or dead line would. Their
   * sessions stay restorable: the server never told them anything.
   */
  killAll(): void {
    for (const conn of [...this.connections.values()]) this.forget(conn, "keep")
    for (const socket of [...this.sockets]) socket.terminate()
  }

  /**
   * What Rails does on `server.restart` or a remote disconnect: tell the client, then close. The
   * sessions are forgotten (an AnyCable client forgets its sid on `disconnect` anyway).
   */
  disconnectAll(reason: string, reconnect: boolean): void {
    const frame = this.disconnectFrame(reason, reconnect)
    for (const conn of [...this.connections.values()]) this.disconnect(conn, frame)
  }

  // ---- connection handling ---------------------------------------------------------------

  private readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (requestPath(req) !== this.path) {
      refuseUpgrade(socket, "404 Not Found")
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.handleOpen(ws, req))
  }

  private handleOpen(socket: WebSocket, req: IncomingMessage): void {
    socket.on("error", (err) => this.log(`socket error: ${err.message}`))
    this.sockets.add(socket)
    socket.once("close", () => this.sockets.delete(socket))
    if (this.attached.size === 0) {
      // The handshake finished after close(): the server is stopped.
      socket.terminate()
      return
    }
    // A client that offered protocols but not ours cannot talk to us. The Rails client closes by
    // itself when it sees `actioncable-unsupported`; closing here covers every other client.
    const extended = socket.protocol === PROTOCOL.extendedSubprotocol
    if (offeredProtocols(req).length > 0 && socket.protocol !== PROTOCOL.subprotocol && !extended) {
      this.log(`unsupported subprotocol offered: ${offeredProtocols(req).join(", ")}`)
      socket.close(NORMAL_CLOSURE)
      return
    }

    const id = this.nextConnectionId++
    // A restored session skips authentication, as anycable-go's does.
    const previousSid = extended ? restoreSid(req) : null
    const restored = previousSid === null ? null : this.broker.sessions.restore(previousSid)
    const identity = restored ? restored.identity : this.identify(req, id)
    if (identity === null) {
      this.log(`connection ${id} unauthorized`)
      socket.send(this.disconnectFrame(PROTOCOL.disconnectReason.unauthorized, false))
      socket.close(NORMAL_CLOSURE)
      return
    }

    const conn: Connection = {
      info: Object.freeze({ id, identity }),
      socket,
      subscriptions: new Map(),
      open: true,
      sid: extended ? newSid() : undefined,
    }
    this.connections.set(socket, conn)
    socket.on("message", (raw, isBinary) => this.receive(conn, raw, isBinary))
    socket.on("close", () => this.forget(conn, "keep"))
    if (extended && this.pongTimeoutMs !== undefined) this.expectPong(conn, this.pingIntervalMs + this.pongTimeoutMs)
    if (restored) return this.restore(conn, previousSid!, restored)
    if (!conn.sid) return void this.send(conn, JSON.stringify({ type: PROTOCOL.type.welcome }))
    this.send(conn, JSON.stringify({ type: PROTOCOL.type.welcome, sid: conn.sid }))
  }

  /** Take the old session's subscriptions back, keep the session under its new sid, and say so. */
  private restore(conn: Connection, previousSid: string, session: CachedSession): void {
    this.log(`connection ${conn.info.id} restores session ${previousSid} as ${conn.sid}`)
    for (const cached of session.subscriptions) this.addSubscription(conn, { ...cached })
    this.commitSession(conn)
    const ids = session.subscriptions.map((sub) => sub.identifier)
    // anycable-go leaves out an empty `restored_ids`; @anycable/core then takes all it knows as restored.
    this.send(conn, JSON.stringify({ type: PROTOCOL.type.welcome, sid: conn.sid, restored: true, ...(ids.length ? { restored_ids: ids } : {}) }))
    // Unlike anycable-go, which asks the app nothing on restore, the hooks hear of the subscriptions
    // again, so an app that counts them (the demo's who's-online) stays right.
    for (const sub of conn.subscriptions.values()) {
      this.callHook("onSubscribe", () => this.onSubscribe?.(conn.info, sub.stream, sub.params))
    }
  }

  private identify(req: IncomingMessage, id: number): string | null {
    if (!this.authenticate) return `guest-${id}`
    try {
      return this.authenticate(req)
    } catch (err) {
      this.log(`authenticate threw, refusing connection ${id}: ${String(err)}`)
      return null
    }
  }

  /** Remove a connection and its subscriptions at once, so counts never include a closing socket. */
  private forget(conn: Connection, session: SessionFate): void {
    if (!conn.open) return
    conn.open = false
    clearTimeout(conn.pongTimer)
    this.connections.delete(conn.socket)
    for (const sub of [...conn.subscriptions.values()]) this.removeSubscription(sub)
    if (conn.sid) this.endSession(conn.sid, session)
  }

  private endSession(sid: string, fate: SessionFate): void {
    if (fate === "keep") this.broker.sessions.finish(sid)
    else this.broker.sessions.forget(sid)
    this.broker.changed()
    // Present a while longer, so a client back within the TTL (joining again with its new sid) is never seen leaving.
    const timer = setTimeout(() => {
      for (const { stream, event } of this.broker.presence.removeSession(sid)) this.broadcastPresence(stream, event)
    }, this.presenceTtlMs)
    timer.unref()
  }

  private disconnect(conn: Connection, frame: string): void {
    this.send(conn, frame)
    this.forget(conn, "drop")
    conn.socket.close(NORMAL_CLOSURE)
  }

  /** Returns whether the frame was handed to the socket. */
  private send(conn: Connection, frame: string): boolean {
    const socket = conn.socket
    if (socket.readyState !== WebSocket.OPEN) return false
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log(`connection ${conn.info.id} is not reading; terminating it`)
      this.forget(conn, "keep")
      socket.terminate()
      return false
    }
    socket.send(frame)
    return true
  }

  private disconnectFrame(reason: string, reconnect: boolean): string {
    return JSON.stringify({ type: PROTOCOL.type.disconnect, reason, reconnect })
  }

  private startPings(): void {
    if (this.pingTimer) return
    this.pingTimer = setInterval(() => this.ping(), this.pingIntervalMs)
    this.pingTimer.unref()
  }

  private stopPings(): void {
    clearInterval(this.pingTimer)
    this.pingTimer = undefined
  }

  private ping(): void {
    const frame = JSON.stringify({ type: PROTOCOL.type.ping, message: Math.floor(Date.now() / 1000) })
    for (const conn of [...this.connections.values()]) this.send(conn, frame)
  }

  /** anycable-go's pong timeout: any command from the client, a `pong` or another, restarts it. */
  private expectPong(conn: Connection, withinMs: number): void {
    clearTimeout(conn.pongTimer)
    conn.pongTimer = setTimeout(() => {
      this.log(`connection ${conn.info.id} sent no pong in ${withinMs} ms`)
      this.disconnect(conn, this.disconnectFrame(PROTOCOL.disconnectReason.noPong, true))
    }, withinMs)
    conn.pongTimer.unref()
  }

  // ---- commands --------------------------------------------------------------------------

  private receive(conn: Connection, raw: RawData, isBinary: boolean): void {
    if (!conn.open) return
    const who = `connection ${conn.info.id}`
    if (isBinary) return this.log(`${who}: binary frame ignored`)
    const bytes = rawToBuffer(raw)
    if (bytes.length > this.maxFrameBytes) {
      return this.log(`${who}: ${bytes.length}-byte frame over ${this.maxFrameBytes} ignored`)
    }
    const text = bytes.toString("utf8")
    const command = parseJson(text)
    if (!isRecord(command)) return this.log(`${who}: not a JSON object, ignored: ${text.slice(0, 200)}`)
    if (conn.sid && this.pongTimeoutMs !== undefined) this.expectPong(conn, this.pongTimeoutMs)

    switch (command.command) {
      case PROTOCOL.command.subscribe:
        return this.subscribe(conn, command)
      case PROTOCOL.command.unsubscribe:
        return this.unsubscribe(conn, command.identifier)
      case PROTOCOL.command.message:
        return this.message(conn, command.identifier, command.data)
    }
    // Plain Action Cable clients know none of these; to them the server stays Rails.
    if (conn.sid) {
      switch (command.command) {
        case PROTOCOL.command.pong:
          return
        case PROTOCOL.command.history:
          return this.history(conn, command.identifier, command.history)
        case PROTOCOL.command.whisper:
          return this.whisper(conn, command.identifier, command.data)
        case PROTOCOL.command.join:
          return this.join(conn, command.identifier, command.presence)
        case PROTOCOL.command.leave:
          return this.leave(conn, command.identifier)
        case PROTOCOL.command.presence:
          return this.presenceInfo(conn, command.identifier)
      }
    }
    return this.log(`${who}: unknown command ${JSON.stringify(command.command)} ignored`)
  }

  private record(conn: Connection, command: string, identifier: unknown): void {
    this.commands.push({
      connection: conn.info.id,
      command,
      identifier: typeof identifier === "string" ? identifier : (JSON.stringify(identifier) ?? ""),
      at: Date.now(),
    })
    // Trim in chunks so a capped log costs amortised O(1) per entry.
    if (this.commands.length >= COMMAND_LOG_CAP + COMMAND_LOG_CAP / 4) {
      this.commands = this.commands.slice(-COMMAND_LOG_CAP)
    }
  }

  private subscribe(conn: Connection, command: JsonObject): void {
    const identifier = command.identifier
    this.record(conn, PROTOCOL.command.subscribe, identifier)
    const who = `connection ${conn.info.id}`
    if (typeof identifier !== "string") return this.log(`${who}: subscribe without a string identifier`)
    // Rails never confirms twice; clients must not wait for a second confirmation.
    if (conn.subscriptions.has(identifier)) return this.log(`${who}: already subscribed to ${identifier}`)

    const params = parseJson(identifier)
    if (!isRecord(params)) return this.log(`${who}: identifier is not a JSON object: ${identifier}`)

    const target = normalizeStream(this.streamFor(params, conn.info))
    if (target === null || conn.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      this.log(`${who}: rejected ${identifier}`)
      this.send(conn, JSON.stringify({ identifier, type: PROTOCOL.type.reject }))
      return
    }

    const sub = this.addSubscription(conn, { identifier, params, ...target })
    this.send(conn, JSON.stringify({ identifier, type: PROTOCOL.type.confirm }))
    if (conn.sid) {
      // As anycable-go: the session is kept, then history and presence asked with the subscribe are answered.
      this.commitSession(conn)
      const history = command.history
      if (isRecord(history) && (isPositive(history.since) || history.streams != null)) this.history(conn, identifier, history)
      if (command.presence != null) this.join(conn, identifier, command.presence)
    }
    // After the confirmation, so anything the hook broadcasts reaches the new subscriber after it.
    this.callHook("onSubscribe", () => this.onSubscribe?.(conn.info, sub.stream, params))
  }

  private streamFor(params: JsonObject, conn: ConnectionInfo): ChannelStream | null {
    if (params.channel === PROTOCOL.channel) return verify(this.secret, params[PROTOCOL.signedStreamParam])
    if (params.channel === PROTOCOL.pubsubChannel && this.pubsub) return this.pubsubStream(params)
    const channel = typeof params.channel === "string" && Object.hasOwn(this.channels, params.channel) ? this.channels[params.channel] : null
    if (!channel) return null
    try {
      return channel(params, conn)
    } catch (err) {
      this.log(`channel ${String(params.channel)} threw, rejecting: ${String(err)}`)
      return null
    }
  }

  /** anycable-go's streams controller: public streams get whispers and presence, signed ones when configured. */
  private pubsubStream(params: JsonObject): ChannelStream | null {
    const pubsub = this.pubsub!
    const signed = params[PROTOCOL.signedStreamParam]
    if (signed !== undefined) {
      const stream = verify(this.secret, signed)
      return stream === null ? null : { stream, whisper: pubsub.whisper === true, presence: pubsub.presence === true }
    }
    const name = params[PROTOCOL.publicStreamParam]
    if (!pubsub.public || typeof name !== "string" || name === "") return null
    return { stream: name, whisper: true, presence: true }
  }

  private addSubscription(conn: Connection, target: Omit<Subscription, "connection" | "encodedIdentifier">): Subscription {
    const sub: Subscription = { ...target, connection: conn, encodedIdentifier: JSON.stringify(target.identifier) }
    conn.subscriptions.set(sub.identifier, sub)
    let subscribers = this.streams.get(sub.stream)
    if (!subscribers) this.streams.set(sub.stream, (subscribers = new Set()))
    subscribers.add(sub)
    return sub
  }

  private unsubscribe(conn: Connection, identifier: unknown): void {
    this.record(conn, PROTOCOL.command.unsubscribe, identifier)
    const sub = typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
    if (!sub) {
      return this.log(`connection ${conn.info.id}: unsubscribe from unknown ${String(identifier)}`)
    }
    this.removeSubscription(sub)
    if (conn.sid) {
      this.commitSession(conn)
      // anycable-go drops the presence of an unsubscribed channel without a `leave` to the others.
      if (sub.presence) this.broker.presence.remove(sub.stream, conn.sid)
    }
  }

  private removeSubscription(sub: Subscription): void {
    const conn = sub.connection
    conn.subscriptions.delete(sub.identifier)
    const subscribers = this.streams.get(sub.stream)
    subscribers?.delete(sub)
    if (subscribers?.size === 0) this.streams.delete(sub.stream)
    this.callHook("onUnsubscribe", () => this.onUnsubscribe?.(conn.info, sub.stream, sub.params))
  }

  private message(conn: Connection, identifier: unknown, data: unknown): void {
    const who = `connection ${conn.info.id}`
    const sub = typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
    if (!sub) return this.log(`${who}: message for unknown subscription ${String(identifier)}`)
    const payload = typeof data === "string" ? parseJson(data) : undefined
    if (!isRecord(payload)) return this.log(`${who}: message data is not a JSON object string`)
    this.callHook("onMessage", () => this.onMessage?.(conn.info, sub.params, payload))
  }

  // ---- extended protocol: session, history, whisper, presence -----------------------------

  private commitSession(conn: Connection): void {
    const subscriptions = [...conn.subscriptions.values()].map(({ identifier, stream, params, whisper, presence }) => ({ identifier, stream, params, whisper, presence }))
    this.broker.sessions.commit(conn.sid!, { identity: conn.info.identity, subscriptions })
    this.broker.changed()
  }

  private store(stream: string, encodedMessage: string): number {
    const offset = this.broker.history.add(stream, encodedMessage)
    this.broker.changed()
    return offset
  }

  private positionFields(stream: string, offset: number): string {
    return `,"stream_id":${JSON.stringify(stream)},"epoch":${JSON.stringify(this.broker.history.epoch)},"offset":${offset}`
  }

  /**
   * Replay what the subscription's stream kept after the client's position (or since a time), then
   * `confirm_history`; if the position cannot be honoured, only `reject_history`.
   */
  private history(conn: Connection, identifier: unknown, request: unknown): void {
    const who = `connection ${conn.info.id}`
    const sub = typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
    if (!sub) return this.log(`${who}: history for unknown subscription ${String(identifier)}`)
    if (!isRecord(request) || (!isPositive(request.since) && request.streams == null)) {
      return this.log(`${who}: history request without since or streams: ${JSON.stringify(request)}`)
    }
    const entries = this.historyEntries(sub.stream, request)
    if (typeof entries === "string") {
      this.log(`${who}: history rejected for ${sub.identifier}: ${entries}`)
      this.send(conn, JSON.stringify({ type: PROTOCOL.type.rejectHistory, identifier: sub.identifier }))
      return
    }
    for (const entry of entries) {
      this.send(conn, `{"identifier":${sub.encodedIdentifier},"message":${entry.encoded}${this.positionFields(sub.stream, entry.offset)}}`)
    }
    this.send(conn, JSON.stringify({ type: PROTOCOL.type.confirmHistory, identifier: sub.identifier }))
  }

  /** The entries to replay, or why the request fails. */
  private historyEntries(stream: string, request: JsonObject): HistoryEntry[] | string {
    const positions = isRecord(request.streams) ? request.streams : {}
    if (Object.hasOwn(positions, stream)) {
      const position = streamPosition(positions[stream])
      if (!position) return `malformed position ${JSON.stringify(positions[stream])}`
      const result = this.broker.history.from(stream, position.epoch, position.offset)
      return result.ok ? result.entries : result.reason
    }
    return isPositive(request.since) ? this.broker.history.since(stream, request.since) : []
  }

  /** To the stream's other subscribers, not the sender; never stored. Only where the channel allows it. */
  private whisper(conn: Connection, identifier: unknown, data: unknown): void {
    const sub = typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
    if (!sub?.whisper || data === undefined) return this.log(`connection ${conn.info.id}: whisper ignored for ${String(identifier)}`)
    const encodedData = JSON.stringify(data)
    for (const other of this.streams.get(sub.stream) ?? []) {
      if (other.connection === conn) continue
      this.send(other.connection, `{"identifier":${other.encodedIdentifier},"message":${encodedData}}`)
    }
  }

  private presenceSubscription(conn: Connection, identifier: unknown, command: string): Subscription | null {
    const sub = typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
    if (sub?.presence) return sub
    this.log(`connection ${conn.info.id}: ${command} ignored, no presence for ${String(identifier)}`)
    return null
  }

  private join(conn: Connection, identifier: unknown, presence: unknown): void {
    const sub = this.presenceSubscription(conn, identifier, "join")
    if (!sub) return
    if (!isRecord(presence) || typeof presence.id !== "string") {
      return this.log(`connection ${conn.info.id}: join without a presence id`)
    }
    const result = this.broker.presence.add(sub.stream, conn.sid!, presence.id, presence.info)
    if (!result.ok) return this.log(`connection ${conn.info.id}: join refused: ${result.reason}`)
    if (result.event) this.broadcastPresence(sub.stream, result.event)
  }

  private leave(conn: Connection, identifier: unknown): void {
    const sub = this.presenceSubscription(conn, identifier, "leave")
    if (!sub) return
    const result = this.broker.presence.remove(sub.stream, conn.sid!)
    if (!result.ok) return this.log(`connection ${conn.info.id}: leave refused: ${result.reason}`)
    if (result.event) this.broadcastPresence(sub.stream, result.event)
  }

  private presenceInfo(conn: Connection, identifier: unknown): void {
    const sub = this.presenceSubscription(conn, identifier, "presence")
    if (!sub) return
    const info = this.broker.presence.info(sub.stream)
    this.send(conn, `{"type":"${PROTOCOL.type.presence}","identifier":${sub.encodedIdentifier},"message":${JSON.stringify(info)}}`)
  }

  /** A `join` or `leave` to every subscriber of the stream, the one who joined too; never stored. */
  private broadcastPresence(stream: string, event: PresenceEvent): void {
    const encodedEvent = JSON.stringify(event)
    for (const sub of this.streams.get(stream) ?? []) {
      this.send(sub.connection, `{"type":"${PROTOCOL.type.presence}","identifier":${sub.encodedIdentifier},"message":${encodedEvent}}`)
    }
  }

  /** Application hooks must never take the server down with them. */
  private callHook(name: string, call: () => void): void {
    try {
      call()
    } catch (err) {
      this.log(`${name} hook threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    }
  }

  private log(line: string): void {
    try {
      this.logLine(line)
    } catch {
      // A broken logger is not worth a crash.
    }
  }
}
