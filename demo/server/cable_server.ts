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
// - `controls.closeAll`/`disconnectAll` forget the sessions at once: they stand for a restart, which loses
//   the memory broker (on its own `disconnect` anycable-go keeps the session, but the client forgets it);
// - one ping timer for every client; the `pi`/`ptp` query parameters are not read.
//
// The parts: handshake.ts (upgrade, subprotocol, authentication), action_cable.ts (Rails' commands, pings,
// broadcasts), extended_protocol.ts (AnyCable's), channels.ts (which stream a subscription follows), hub.ts
// (connections and subscriptions), protocol.ts (the wire), test_controls.ts (what only tests use).

import type { Server as HttpServer } from "node:http"
import { ActionCable } from "./action_cable"
import { Broker } from "./broker"
import { Channels } from "./channels"
import { ExtendedProtocol, newSid } from "./extended_protocol"
import { Handshake, type Accepted } from "./handshake"
import { Hub, type Connection, type SessionFate } from "./hub"
import { settingsFrom, type AppHooks, type BroadcastOptions, type CableServerOptions, type MessageHook, type SubscriptionHook } from "./options"
import { frames } from "./protocol"
import { CommandLog, TestControls } from "./test_controls"

export class CableServer {
  onSubscribe?: SubscriptionHook
  /** Also called for every subscription of a connection that goes away, as Rails' `unsubscribed`. */
  onUnsubscribe?: SubscriptionHook
  onMessage?: MessageHook
  /** Counts, the command log, the broker's history, `closeAll` and `killAll`: for tests only. */
  readonly controls: TestControls

  private readonly hub: Hub
  private readonly broker: Broker
  private readonly handshake: Handshake
  private readonly actionCable: ActionCable
  private readonly extended: ExtendedProtocol
  private readonly attached = new Set<HttpServer>()

  constructor(options: CableServerOptions) {
    const settings = settingsFrom(options)
    const log = settings.log
    const app = this.appHooks(log)
    this.broker = new Broker(settings.broker, log)
    // A connection gone on the extended protocol ends its session too, kept for restore or dropped.
    const forgotten = (conn: Connection, fate: SessionFate) => {
      if (conn.sid) this.extended.closed(conn, fate)
    }
    this.hub = new Hub(app, forgotten, log)
    this.extended = new ExtendedProtocol(settings, this.hub, this.broker, app)
    const commands = new CommandLog()
    this.actionCable = new ActionCable(settings, { hub: this.hub, channels: new Channels(settings), extended: this.extended, app, commands })
    this.handshake = new Handshake(settings, {
      hub: this.hub,
      restorable: (sid) => this.broker.sessions.restore(sid),
      serving: () => this.attached.size > 0,
      accepted: (connection) => this.open(connection),
    })
    this.controls = new TestControls(this.hub, this.broker, commands)
  }

  /** Serve WebSocket upgrades on `path` of this HTTP server; upgrades elsewhere get a 404. */
  attach(httpServer: HttpServer): void {
    if (this.attached.has(httpServer)) return
    this.attached.add(httpServer)
    httpServer.on("upgrade", this.handshake.upgrade)
    this.actionCable.startPings()
  }

  /**
   * Stop pings, detach from every HTTP server and terminate every socket. The command log is
   * kept and `attach` may be called again, so a test can "restart" the same server. The broker is
   * kept too (sessions stay restorable), as one backed by Redis outlives an AnyCable restart;
   * `controls.resetBroker()` loses it.
   */
  async close(): Promise<void> {
    this.actionCable.stopPings()
    for (const httpServer of this.attached) httpServer.off("upgrade", this.handshake.upgrade)
    this.attached.clear()
    const closed = this.hub.dropAll()
    this.broker.flush()
    await closed
  }

  /**
   * Send `message` to every subscription of `stream`; returns how many it went to. On the extended
   * protocol it is stored in the stream's history first and carries its position, unless it is transient.
   */
  broadcast(stream: string, message: unknown, options: BroadcastOptions = {}): number {
    return this.actionCable.broadcast(stream, message, options)
  }

  /**
   * What Rails does on `server.restart` or a remote disconnect: tell the client, then close. The
   * sessions are forgotten (an AnyCable client forgets its sid on `disconnect` anyway).
   */
  disconnectAll(reason: string, reconnect: boolean): void {
    this.actionCable.disconnectAll(reason, reconnect)
  }

  private open({ socket, id, identity, extended, restoring }: Accepted): void {
    const conn = this.hub.add(socket, { id, identity }, extended ? newSid() : undefined)
    socket.on("message", (raw, isBinary) => this.actionCable.receive(conn, raw, isBinary))
    socket.on("close", () => this.hub.forget(conn, "keep"))
    if (conn.sid) this.extended.opened(conn, restoring)
    else this.hub.send(conn, frames.welcome())
  }

  /** The app's hooks, each guarded: an application hook must never take the server down with it. */
  private appHooks(log: (line: string) => void): AppHooks {
    const guard = (name: string, call: () => void) => {
      try {
        call()
      } catch (err) {
        log(`${name} hook threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
      }
    }
    return {
      subscribed: (conn, stream, params) => guard("onSubscribe", () => this.onSubscribe?.(conn, stream, params)),
      unsubscribed: (conn, stream, params) => guard("onUnsubscribe", () => this.onUnsubscribe?.(conn, stream, params)),
      performed: (conn, params, data) => guard("onMessage", () => this.onMessage?.(conn, params, data)),
    }
  }
}
