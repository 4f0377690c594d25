// Who is connected and who follows which stream, as anycable-go's hub keeps them: the one place that adds and
// removes a subscription (so the app's hooks stay balanced, whoever ends it) and the one that writes to a socket.

import { WebSocket } from "ws"
import type { AppHooks, ConnectionInfo } from "./options"
import { NORMAL_CLOSURE } from "./protocol"

export interface Connection {
  info: ConnectionInfo
  socket: WebSocket
  subscriptions: Map<string, Subscription>
  open: boolean
  /** Set for a client on `actioncable-v1-ext-json`: its session id. */
  sid?: string
}

export interface Subscription {
  connection: Connection
  identifier: string
  /** JSON.stringify(identifier), computed once because broadcasts are the hot path. */
  encodedIdentifier: string
  stream: string
  params: Record<string, unknown>
  whisper: boolean
  presence: boolean
}

/** The connection's subscription to `identifier`, if it has one. */
export function subscriptionOf(conn: Connection, identifier: unknown): Subscription | undefined {
  return typeof identifier === "string" ? conn.subscriptions.get(identifier) : undefined
}

/** What happens to a closed connection's session: restorable for its TTL, or gone at once. */
export type SessionFate = "keep" | "drop"

// A client that stops reading must not make the server buffer without limit.
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024

export class Hub {
  private readonly connections = new Map<WebSocket, Connection>()
  // Every socket not yet closed, including refused and closing ones, so a stop can end them all
  // instead of waiting on a peer that never answers a close frame.
  private readonly sockets = new Set<WebSocket>()
  private readonly streams = new Map<string, Set<Subscription>>()
  private nextConnectionId = 1

  constructor(
    private readonly app: AppHooks,
    /** A connection is gone, its subscriptions removed; on the extended protocol its session ends so. */
    private readonly forgotten: (conn: Connection, fate: SessionFate) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** A socket past its handshake, accepted or not: until it closes, `dropAll` ends it. */
  track(socket: WebSocket): void {
    this.sockets.add(socket)
    socket.once("close", () => this.sockets.delete(socket))
  }

  newConnectionId(): number {
    return this.nextConnectionId++
  }

  add(socket: WebSocket, info: ConnectionInfo, sid: string | undefined): Connection {
    const conn: Connection = { info: Object.freeze(info), socket, subscriptions: new Map(), open: true, sid }
    this.connections.set(socket, conn)
    return conn
  }

  addSubscription(conn: Connection, target: Omit<Subscription, "connection" | "encodedIdentifier">): Subscription {
    const sub: Subscription = { ...target, connection: conn, encodedIdentifier: JSON.stringify(target.identifier) }
    conn.subscriptions.set(sub.identifier, sub)
    let subscribers = this.streams.get(sub.stream)
    if (!subscribers) this.streams.set(sub.stream, (subscribers = new Set()))
    subscribers.add(sub)
    return sub
  }

  removeSubscription(sub: Subscription): void {
    const conn = sub.connection
    conn.subscriptions.delete(sub.identifier)
    const subscribers = this.streams.get(sub.stream)
    subscribers?.delete(sub)
    if (subscribers?.size === 0) this.streams.delete(sub.stream)
    this.app.unsubscribed(conn.info, sub.stream, sub.params)
  }

  subscribers(stream: string): Iterable<Subscription> {
    return this.streams.get(stream) ?? []
  }

  /** Every open connection, as a copy: sending may forget one. */
  all(): Connection[] {
    return [...this.connections.values()]
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

  /** Returns whether the frame was handed to the socket. */
  send(conn: Connection, frame: string): boolean {
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

  /** Tell the client (a `disconnect` frame), forget it and its session, close cleanly. */
  disconnect(conn: Connection, frame: string): void {
    this.send(conn, frame)
    this.forget(conn, "drop")
    conn.socket.close(NORMAL_CLOSURE)
  }

  /** Remove a connection and its subscriptions at once, so counts never include a closing socket. */
  forget(conn: Connection, session: SessionFate): void {
    if (!conn.open) return
    conn.open = false
    this.connections.delete(conn.socket)
    for (const sub of [...conn.subscriptions.values()]) this.removeSubscription(sub)
    this.forgotten(conn, session)
  }

  /**
   * Drop every socket without a close frame, as a crashed server or dead line would; sessions stay
   * restorable. Resolves once every socket has closed.
   */
  dropAll(): Promise<void> {
    for (const conn of this.all()) this.forget(conn, "keep")
    const sockets = [...this.sockets]
    for (const socket of sockets) socket.terminate()
    return Promise.all(sockets.map((socket) => closed(socket))).then(() => {})
  }
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve()
    else socket.once("close", () => resolve())
  })
}
