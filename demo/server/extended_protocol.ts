// AnyCable's extended protocol `actioncable-v1-ext-json`, as anycable-go speaks it with its memory broker
// (broker.ts): session ids and restore, stream history (a position on each broadcast, `history` requests),
// whispers, presence and pongs. Only a client that chose this protocol at the handshake (a connection with a
// `sid`) reaches any of it; to the others the server stays Rails.

import { randomBytes } from "node:crypto"
import type { Broker } from "./broker"
import type { HistoryEntry, StreamPosition } from "./history"
import { subscriptionOf, type Connection, type Hub, type SessionFate, type Subscription } from "./hub"
import type { AppHooks, Settings } from "./options"
import type { PresenceEvent } from "./presence"
import { frames, isRecord, PROTOCOL, type JsonObject } from "./protocol"
import type { CachedSession } from "./session_cache"

/** A new session id, for a client on the extended protocol. */
export function newSid(): string {
  return randomBytes(15).toString("base64url")
}

export class ExtendedProtocol {
  private readonly pongTimers = new Map<Connection, NodeJS.Timeout>()

  constructor(
    private readonly settings: Settings,
    private readonly hub: Hub,
    private readonly broker: Broker,
    private readonly app: AppHooks,
  ) {}

  /** Welcome the client with its sid, or restore the session it asked for. */
  opened(conn: Connection, restoring: { sid: string; session: CachedSession } | null): void {
    const { pingIntervalMs, pongTimeoutMs } = this.settings
    if (pongTimeoutMs !== undefined) this.expectPong(conn, pingIntervalMs + pongTimeoutMs)
    if (restoring) return this.restore(conn, restoring.sid, restoring.session)
    this.hub.send(conn, frames.welcome(conn.sid))
  }

  /** A command from the client, any command: it counts as a pong. */
  heard(conn: Connection): void {
    if (this.settings.pongTimeoutMs !== undefined) this.expectPong(conn, this.settings.pongTimeoutMs)
  }

  /** Handle a command only this protocol has; false if `command` is none of them. */
  handle(conn: Connection, command: JsonObject): boolean {
    const identifier = command.identifier
    switch (command.command) {
      case PROTOCOL.command.pong:
        break // heard() has counted it
      case PROTOCOL.command.history:
        this.history(conn, identifier, command.history)
        break
      case PROTOCOL.command.whisper:
        this.whisper(conn, identifier, command.data)
        break
      case PROTOCOL.command.join:
        this.join(conn, identifier, command.presence)
        break
      case PROTOCOL.command.leave:
        this.leave(conn, identifier)
        break
      case PROTOCOL.command.presence:
        this.presenceInfo(conn, identifier)
        break
      default:
        return false
    }
    return true
  }

  /** As anycable-go after a confirmed subscribe: the session is kept, then history and presence asked with it are answered. */
  subscribed(conn: Connection, identifier: string, command: JsonObject): void {
    this.commitSession(conn)
    const history = command.history
    if (isRecord(history) && (isPositive(history.since) || history.streams != null)) this.history(conn, identifier, history)
    if (command.presence != null) this.join(conn, identifier, command.presence)
  }

  unsubscribed(conn: Connection, sub: Subscription): void {
    this.commitSession(conn)
    // anycable-go drops the presence of an unsubscribed channel without a `leave` to the others.
    if (sub.presence) this.broker.presence.remove(sub.stream, conn.sid!)
  }

  /** The connection is gone: its session kept for restore, or forgotten; its presence lasts the TTL. */
  closed(conn: Connection, fate: SessionFate): void {
    clearTimeout(this.pongTimers.get(conn))
    this.pongTimers.delete(conn)
    const sid = conn.sid!
    if (fate === "keep") this.broker.sessions.finish(sid)
    else this.broker.sessions.forget(sid)
    this.broker.changed()
    // Present a while longer, so a client back within the TTL (joining again with its new sid) is never seen leaving.
    const timer = setTimeout(() => {
      for (const { stream, event } of this.broker.presence.removeSession(sid)) this.broadcastPresence(stream, event)
    }, this.settings.presenceTtlMs)
    timer.unref()
  }

  /** Keep a broadcast in its stream's history; returns its offset. */
  store(stream: string, encodedMessage: string): number {
    const offset = this.broker.history.add(stream, encodedMessage)
    this.broker.changed()
    return offset
  }

  /** The position fields of a stream's message at `offset`. */
  position(stream: string, offset: number): string {
    return frames.position(stream, this.broker.history.epoch, offset)
  }

  // ---- sessions and pongs --------------------------------------------------------------------

  /** Take the old session's subscriptions back, keep the session under its new sid, and say so. */
  private restore(conn: Connection, previousSid: string, session: CachedSession): void {
    this.settings.log(`connection ${conn.info.id} restores session ${previousSid} as ${conn.sid}`)
    for (const cached of session.subscriptions) this.hub.addSubscription(conn, { ...cached })
    this.commitSession(conn)
    this.hub.send(conn, frames.welcome(conn.sid, session.subscriptions.map((sub) => sub.identifier)))
    // Unlike anycable-go, which asks the app nothing on restore, the hooks hear of the subscriptions
    // again, so an app that counts them (the demo's who's-online) stays right.
    for (const sub of conn.subscriptions.values()) this.app.subscribed(conn.info, sub.stream, sub.params)
  }

  private commitSession(conn: Connection): void {
    const subscriptions = [...conn.subscriptions.values()].map(({ identifier, stream, params, whisper, presence }) => ({ identifier, stream, params, whisper, presence }))
    this.broker.sessions.commit(conn.sid!, { identity: conn.info.identity, subscriptions })
    this.broker.changed()
  }

  /** anycable-go's pong timeout: any command from the client, a `pong` or another, restarts it. */
  private expectPong(conn: Connection, withinMs: number): void {
    clearTimeout(this.pongTimers.get(conn))
    const timer = setTimeout(() => {
      this.settings.log(`connection ${conn.info.id} sent no pong in ${withinMs} ms`)
      this.hub.disconnect(conn, frames.disconnect(PROTOCOL.disconnectReason.noPong, true))
    }, withinMs)
    timer.unref()
    this.pongTimers.set(conn, timer)
  }

  // ---- history -------------------------------------------------------------------------------

  /**
   * Replay what the subscription's stream kept after the client's position (or since a time), then
   * `confirm_history`; if the position cannot be honoured, only `reject_history`.
   */
  private history(conn: Connection, identifier: unknown, request: unknown): void {
    const who = `connection ${conn.info.id}`
    const sub = subscriptionOf(conn, identifier)
    if (!sub) return this.settings.log(`${who}: history for unknown subscription ${String(identifier)}`)
    if (!isRecord(request) || (!isPositive(request.since) && request.streams == null)) {
      return this.settings.log(`${who}: history request without since or streams: ${JSON.stringify(request)}`)
    }
    const entries = this.historyEntries(sub.stream, request)
    if (typeof entries === "string") {
      this.settings.log(`${who}: history rejected for ${sub.identifier}: ${entries}`)
      this.hub.send(conn, frames.rejectHistory(sub.identifier))
      return
    }
    for (const entry of entries) this.hub.send(conn, frames.message(sub.encodedIdentifier, entry.encoded, this.position(sub.stream, entry.offset)))
    this.hub.send(conn, frames.confirmHistory(sub.identifier))
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

  // ---- whisper and presence ------------------------------------------------------------------

  /** To the stream's other subscribers, not the sender; never stored. Only where the channel allows it. */
  private whisper(conn: Connection, identifier: unknown, data: unknown): void {
    const sub = subscriptionOf(conn, identifier)
    if (!sub?.whisper || data === undefined) return this.settings.log(`connection ${conn.info.id}: whisper ignored for ${String(identifier)}`)
    const encodedData = JSON.stringify(data)
    for (const other of this.hub.subscribers(sub.stream)) {
      if (other.connection !== conn) this.hub.send(other.connection, frames.message(other.encodedIdentifier, encodedData))
    }
  }

  private join(conn: Connection, identifier: unknown, presence: unknown): void {
    const sub = this.presenceSubscription(conn, identifier, "join")
    if (!sub) return
    if (!isRecord(presence) || typeof presence.id !== "string") {
      return this.settings.log(`connection ${conn.info.id}: join without a presence id`)
    }
    const result = this.broker.presence.add(sub.stream, conn.sid!, presence.id, presence.info)
    if (!result.ok) return this.settings.log(`connection ${conn.info.id}: join refused: ${result.reason}`)
    if (result.event) this.broadcastPresence(sub.stream, result.event)
  }

  private leave(conn: Connection, identifier: unknown): void {
    const sub = this.presenceSubscription(conn, identifier, "leave")
    if (!sub) return
    const result = this.broker.presence.remove(sub.stream, conn.sid!)
    if (!result.ok) return this.settings.log(`connection ${conn.info.id}: leave refused: ${result.reason}`)
    if (result.event) this.broadcastPresence(sub.stream, result.event)
  }

  private presenceInfo(conn: Connection, identifier: unknown): void {
    const sub = this.presenceSubscription(conn, identifier, "presence")
    if (sub) this.hub.send(conn, frames.presence(sub.encodedIdentifier, JSON.stringify(this.broker.presence.info(sub.stream))))
  }

  private presenceSubscription(conn: Connection, identifier: unknown, command: string): Subscription | null {
    const sub = subscriptionOf(conn, identifier)
    if (sub?.presence) return sub
    this.settings.log(`connection ${conn.info.id}: ${command} ignored, no presence for ${String(identifier)}`)
    return null
  }

  /** A `join` or `leave` to every subscriber of the stream, the one who joined too; never stored. */
  private broadcastPresence(stream: string, event: PresenceEvent): void {
    const encodedEvent = JSON.stringify(event)
    for (const sub of this.hub.subscribers(stream)) this.hub.send(sub.connection, frames.presence(sub.encodedIdentifier, encodedEvent))
  }
}

function isPositive(value: unknown): value is number {
  return typeof value === "number" && value > 0
}

/** A client's `{epoch, offset}` for a stream, or null if it is not one. */
function streamPosition(value: unknown): StreamPosition | null {
  if (!isRecord(value) || typeof value.epoch !== "string") return null
  const offset = value.offset
  return typeof offset === "number" && Number.isInteger(offset) && offset >= 0 ? { epoch: value.epoch, offset } : null
}
