// A small Action Cable server (protocol `actioncable-v1-json`) on top of `ws`, speaking to
// clients exactly as Rails does for Turbo::StreamsChannel, so the browser library can be tested
// against it. Deliberate differences from Rails: everything is in memory in one process and
// broadcasts of one stream are never reordered.

import type { IncomingMessage, Server as HttpServer } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer, type RawData } from "ws"
import { verify, type Secret } from "./signed_stream"

/** Every string of the wire protocol, in one place. */
export const PROTOCOL = {
  subprotocol: "actioncable-v1-json",
  unsupportedSubprotocol: "actioncable-unsupported",
  defaultPath: "/cable",
  channel: "Turbo::StreamsChannel",
  signedStreamParam: "signed_stream_name",
  command: {
    subscribe: "subscribe",
    unsubscribe: "unsubscribe",
    message: "message",
  },
  type: {
    welcome: "welcome",
    ping: "ping",
    disconnect: "disconnect",
    confirm: "confirm_subscription",
    reject: "reject_subscription",
  },
  disconnectReason: {
    unauthorized: "unauthorized",
    invalidRequest: "invalid_request",
    serverRestart: "server_restart",
    remote: "remote",
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
  channels?: Record<string, (params: Record<string, unknown>, conn: ConnectionInfo) => string | null>
  log?: (line: string) => void
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
}

interface Subscription {
  connection: Connection
  identifier: string
  /** JSON.stringify(identifier), computed once because broadcasts are the hot path. */
  encodedIdentifier: string
  stream: string
  params: Record<string, unknown>
}

type JsonObject = Record<string, unknown>

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value)
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
  private readonly logLine: (line: string) => void
  private readonly wss: WebSocketServer

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
    this.logLine = options.log ?? (() => {})
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Rails' websocket-driver negotiates no extensions; match it so frame timings are comparable.
      perMessageDeflate: false,
      maxPayload: Math.max(this.maxFrameBytes * 16, MIN_HARD_FRAME_LIMIT),
      handleProtocols: (protocols) => {
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
   * kept and `attach` may be called again, so a test can "restart" the same server.
   */
  async close(): Promise<void> {
    this.stopPings()
    for (const httpServer of this.attached) httpServer.off("upgrade", this.handleUpgrade)
    this.attached.clear()
    const sockets = [...this.sockets]
    this.killAll()
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

  /** Send `message` to every subscription of `stream`; returns how many it went to. */
  broadcast(stream: string, message: unknown): number {
    const subscriptions = this.streams.get(stream)
    if (!subscriptions) return 0
    const encodedMessage = JSON.stringify(message) ?? "null"
    let delivered = 0
    for (const sub of subscriptions) {
      // Key order as Rails: identifier, then message.
      const frame = `{"identifier":${sub.encodedIdentifier},"message":${encodedMessage}}`
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

  commandLog(): CommandLogEntry[] {
    return this.commands.slice(-COMMAND_LOG_CAP)
  }

  clearCommandLog(): void {
    this.commands = []
  }

  /** Clean close (close frame with `code`) of every client socket. */
  closeAll(code: number = NORMAL_CLOSURE): void {
    if (!isValidCloseCode(code)) throw new RangeError(`invalid WebSocket close code: ${code}`)
    for (const conn of [...this.connections.values()]) {
      this.forget(conn)
      conn.socket.close(code)
    }
  }

  /** Drop every client socket without a close frame, as a crashed server or dead line would. */
  killAll(): void {
    for (const conn of [...this.connections.values()]) this.forget(conn)
    for (const socket of [...this.sockets]) socket.terminate()
  }

  /** What Rails does on `server.restart` or a remote disconnect: tell the client, then close. */
  disconnectAll(reason: string, reconnect: boolean): void {
    const frame = this.disconnectFrame(reason, reconnect)
    for (const conn of [...this.connections.values()]) {
      this.send(conn, frame)
      this.forget(conn)
      conn.socket.close(NORMAL_CLOSURE)
    }
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
    if (offeredProtocols(req).length > 0 && socket.protocol !== PROTOCOL.subprotocol) {
      this.log(`unsupported subprotocol offered: ${offeredProtocols(req).join(", ")}`)
      socket.close(NORMAL_CLOSURE)
      return
    }

    const id = this.nextConnectionId++
    const identity = this.identify(req, id)
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
    }
    this.connections.set(socket, conn)
    socket.on("message", (raw, isBinary) => this.receive(conn, raw, isBinary))
    socket.on("close", () => this.forget(conn))
    this.send(conn, JSON.stringify({ type: PROTOCOL.type.welcome }))
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
  private forget(conn: Connection): void {
    if (!conn.open) return
    conn.open = false
    this.connections.delete(conn.socket)
    for (const sub of [...conn.subscriptions.values()]) this.removeSubscription(sub)
  }

  /** Returns whether the frame was handed to the socket. */
  private send(conn: Connection, frame: string): boolean {
    const socket = conn.socket
    if (socket.readyState !== WebSocket.OPEN) return false
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log(`connection ${conn.info.id} is not reading; terminating it`)
      this.forget(conn)
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

    switch (command.command) {
      case PROTOCOL.command.subscribe:
        return this.subscribe(conn, command.identifier)
      case PROTOCOL.command.unsubscribe:
        return this.unsubscribe(conn, command.identifier)
      case PROTOCOL.command.message:
        return this.message(conn, command.identifier, command.data)
      default:
        return this.log(`${who}: unknown command ${JSON.stringify(command.command)} ignored`)
    }
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

  private subscribe(conn: Connection, identifier: unknown): void {
    this.record(conn, PROTOCOL.command.subscribe, identifier)
    const who = `connection ${conn.info.id}`
    if (typeof identifier !== "string") return this.log(`${who}: subscribe without a string identifier`)
    // Rails never confirms twice; clients must not wait for a second confirmation.
    if (conn.subscriptions.has(identifier)) return this.log(`${who}: already subscribed to ${identifier}`)

    const params = parseJson(identifier)
    if (!isRecord(params)) return this.log(`${who}: identifier is not a JSON object: ${identifier}`)

    const stream = this.streamFor(params, conn.info)
    if (stream === null || conn.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      this.log(`${who}: rejected ${identifier}`)
      this.send(conn, JSON.stringify({ identifier, type: PROTOCOL.type.reject }))
      return
    }

    const sub: Subscription = {
      connection: conn,
      identifier,
      encodedIdentifier: JSON.stringify(identifier),
      stream,
      params,
    }
    conn.subscriptions.set(identifier, sub)
    let subscribers = this.streams.get(stream)
    if (!subscribers) this.streams.set(stream, (subscribers = new Set()))
    subscribers.add(sub)
    this.send(conn, JSON.stringify({ identifier, type: PROTOCOL.type.confirm }))
    // After the confirmation, so anything the hook broadcasts reaches the new subscriber after it.
    this.callHook("onSubscribe", () => this.onSubscribe?.(conn.info, stream, params))
  }

  private streamFor(params: JsonObject, conn: ConnectionInfo): string | null {
    if (params.channel === PROTOCOL.channel) return verify(this.secret, params[PROTOCOL.signedStreamParam])
    const channel = typeof params.channel === "string" && Object.hasOwn(this.channels, params.channel) ? this.channels[params.channel] : null
    if (!channel) return null
    try {
      return channel(params, conn)
    } catch (err) {
      this.log(`channel ${String(params.channel)} threw, rejecting: ${String(err)}`)
      return null
    }
  }

  private unsubscribe(conn: Connection, identifier: unknown): void {
    this.record(conn, PROTOCOL.command.unsubscribe, identifier)
    const sub = typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
    if (!sub) {
      return this.log(`connection ${conn.info.id}: unsubscribe from unknown ${String(identifier)}`)
    }
    this.removeSubscription(sub)
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
