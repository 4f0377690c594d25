// Action Cable's protocol as Rails speaks it: the commands a client sends (subscribe, unsubscribe, message),
// one ping timer for every client, broadcasts to a stream's subscribers, and `disconnect`. A command only
// AnyCable's extended protocol has goes on to it (extended_protocol.ts), for a client that speaks it.

import type { RawData } from "ws"
import type { Channels } from "./channels"
import type { ExtendedProtocol } from "./extended_protocol"
import { subscriptionOf, type Connection, type Hub } from "./hub"
import type { AppHooks, BroadcastOptions, Settings } from "./options"
import { frames, isRecord, parseJson, PROTOCOL, type JsonObject } from "./protocol"
import type { CommandLog } from "./test_controls"

const MAX_SUBSCRIPTIONS_PER_CONNECTION = 10_000

export interface ActionCableParts {
  hub: Hub
  channels: Channels
  extended: ExtendedProtocol
  app: AppHooks
  commands: CommandLog
}

export class ActionCable {
  private pingTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly settings: Settings,
    private readonly parts: ActionCableParts,
  ) {}

  /** A frame from the client: one command, routed in one step. */
  receive(conn: Connection, raw: RawData, isBinary: boolean): void {
    if (!conn.open) return
    const log = this.settings.log
    const who = `connection ${conn.info.id}`
    if (isBinary) return log(`${who}: binary frame ignored`)
    const bytes = rawToBuffer(raw)
    if (bytes.length > this.settings.maxFrameBytes) {
      return log(`${who}: ${bytes.length}-byte frame over ${this.settings.maxFrameBytes} ignored`)
    }
    const text = bytes.toString("utf8")
    const command = parseJson(text)
    if (!isRecord(command)) return log(`${who}: not a JSON object, ignored: ${text.slice(0, 200)}`)
    if (conn.sid) this.parts.extended.heard(conn)

    switch (command.command) {
      case PROTOCOL.command.subscribe:
        return this.subscribe(conn, command)
      case PROTOCOL.command.unsubscribe:
        return this.unsubscribe(conn, command.identifier)
      case PROTOCOL.command.message:
        return this.message(conn, command.identifier, command.data)
    }
    // Plain Action Cable clients know none of the others; to them the server stays Rails.
    if (conn.sid && this.parts.extended.handle(conn, command)) return
    return log(`${who}: unknown command ${JSON.stringify(command.command)} ignored`)
  }

  /**
   * Send `message` to every subscription of `stream`; returns how many it went to. On the extended
   * protocol it is stored in the stream's history first (even with no subscriber, as anycable-go does)
   * and carries its position, unless it is transient.
   */
  broadcast(stream: string, message: unknown, options: BroadcastOptions): number {
    const { hub, extended } = this.parts
    const encodedMessage = JSON.stringify(message) ?? "null"
    const offset = this.settings.extendedProtocol && !options.transient ? extended.store(stream, encodedMessage) : undefined
    const position = offset === undefined ? "" : extended.position(stream, offset)
    let delivered = 0
    for (const sub of hub.subscribers(stream)) {
      if (hub.send(sub.connection, frames.message(sub.encodedIdentifier, encodedMessage, sub.connection.sid ? position : ""))) delivered++
    }
    return delivered
  }

  /** Tell every client why (`disconnect`), then close. */
  disconnectAll(reason: string, reconnect: boolean): void {
    const frame = frames.disconnect(reason, reconnect)
    for (const conn of this.parts.hub.all()) this.parts.hub.disconnect(conn, frame)
  }

  startPings(): void {
    if (this.pingTimer) return
    this.pingTimer = setInterval(() => this.ping(), this.settings.pingIntervalMs)
    this.pingTimer.unref()
  }

  stopPings(): void {
    clearInterval(this.pingTimer)
    this.pingTimer = undefined
  }

  private ping(): void {
    const frame = frames.ping(Date.now())
    for (const conn of this.parts.hub.all()) this.parts.hub.send(conn, frame)
  }

  private subscribe(conn: Connection, command: JsonObject): void {
    const { hub, channels, extended, app, commands } = this.parts
    const identifier = command.identifier
    commands.record(conn, PROTOCOL.command.subscribe, identifier)
    const who = `connection ${conn.info.id}`
    if (typeof identifier !== "string") return this.settings.log(`${who}: subscribe without a string identifier`)
    // Rails never confirms twice; clients must not wait for a second confirmation.
    if (conn.subscriptions.has(identifier)) return this.settings.log(`${who}: already subscribed to ${identifier}`)

    const params = parseJson(identifier)
    if (!isRecord(params)) return this.settings.log(`${who}: identifier is not a JSON object: ${identifier}`)

    const target = channels.streamFor(params, conn.info)
    if (target === null || conn.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      this.settings.log(`${who}: rejected ${identifier}`)
      hub.send(conn, frames.reject(identifier))
      return
    }

    const sub = hub.addSubscription(conn, { identifier, params, ...target })
    hub.send(conn, frames.confirm(identifier))
    if (conn.sid) extended.subscribed(conn, identifier, command)
    // After the confirmation, so anything the hook broadcasts reaches the new subscriber after it.
    app.subscribed(conn.info, sub.stream, params)
  }

  private unsubscribe(conn: Connection, identifier: unknown): void {
    this.parts.commands.record(conn, PROTOCOL.command.unsubscribe, identifier)
    const sub = subscriptionOf(conn, identifier)
    if (!sub) return this.settings.log(`connection ${conn.info.id}: unsubscribe from unknown ${String(identifier)}`)
    this.parts.hub.removeSubscription(sub)
    if (conn.sid) this.parts.extended.unsubscribed(conn, sub)
  }

  private message(conn: Connection, identifier: unknown, data: unknown): void {
    const who = `connection ${conn.info.id}`
    const sub = subscriptionOf(conn, identifier)
    if (!sub) return this.settings.log(`${who}: message for unknown subscription ${String(identifier)}`)
    const payload = typeof data === "string" ? parseJson(data) : undefined
    if (!isRecord(payload)) return this.settings.log(`${who}: message data is not a JSON object string`)
    this.parts.app.performed(conn.info, sub.params, payload)
  }
}

function rawToBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw
  if (Array.isArray(raw)) return Buffer.concat(raw)
  return Buffer.from(raw)
}
