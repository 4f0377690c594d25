// The seam between the registry and whatever carries its commands to the server: one WebSocket of this page
// (socket_line.ts), or the connection the tabs of a browser share through a worker (sharing/tab/shared_line.ts).
import { Emitter, type Unbind } from "./events"
import type { DisconnectReason, SubscriptionFrame, TOKEN_EXPIRED } from "./protocol"

/** A moment the page says the line may be back, or broken (socket/page_lifecycle.ts). */
export type PageWake = "online" | "visible" | "pageshow" | "resume" | "focus"

/** The line's state, as the page shows it (`data-turbo-cable-state` adds the catch-up's on top). */
export type LineState =
  | "idle" // nothing has asked for the line yet
  | "connecting" // the first socket is opening
  | "connected" // welcomed by the server
  | "disconnected" // the line dropped; waiting before the next attempt
  | "reconnecting" // a later attempt is under way
  | "stopped" // refused for good, or stopped by the app

/** A reason the server gave in its `disconnect` frame (Action Cable's, AnyCable's, or any other it sends). */
export type ServerReason = (typeof DisconnectReason)[keyof typeof DisconnectReason] | typeof TOKEN_EXPIRED | (string & {})

/** Why the line stopped for good. */
export type StopReason =
  | ServerReason // the server refused the connection (`reconnect: false`, or `unauthorized`)
  | "unsupported" // the server picked `actioncable-unsupported`
  | "bad-url" // the configured URL is not a WebSocket URL
  | "page unloading" // the page is going away: no new socket for it
  | "stopped by the app" // getCable().stop()
  | "disconnected by the app" // consumer.disconnect()

/** Why a working line was replaced or lost. */
export type DropReason =
  | ServerReason // the server disconnected us and allows a reconnect (`server_restart`, `remote`)
  | "stale" // no frame within staleAfter
  | "slept" // the machine slept or the page was frozen: the socket cannot be trusted
  | "closed" // the socket closed without a reason
  | "timeout" // the socket did not open within connectTimeout
  | PageWake // the page woke and the line had been silent too long to trust

export interface LineChange {
  state: LineState
  previous: LineState
  reason?: StopReason | DropReason
}

/** What a welcome says of the subscriptions the server still holds. */
export interface Welcome {
  /**
   * Subscriptions of a restored session (AnyCable's extended protocol): the server holds them already, with
   * no subscribe. Empty for a new session, and always on plain Action Cable.
   */
  restoredIds: readonly string[]
}

/** What a subscribe tells the line of the content its subscription feeds, so that nothing it lacks is lost. */
export interface HistoryAnchor {
  /**
   * Unix seconds (the server's clock, where the page says it) from which a new subscription asks its history on
   * AnyCable's extended protocol; absent when unknown (a page from a cache, a source made by script, an app channel).
   */
  since?: number
  /** Confirmed before a drop: it asks after the last position applied, and its page catches up. */
  confirmedBefore: boolean
  /**
   * When the content was requested (ms, this browser's clock): what the connection delivered after it may be
   * missing from it (subscriptions/feed.ts). Absent for content that has had everything (a source made by script).
   */
  requestedAt?: number
}

/** How a subscription's history request ended: replayed, refused (expired, another epoch), or none could be asked. */
export type HistoryOutcome = "confirmed" | "rejected" | "none"

export interface LineEvents {
  /** The server welcomed a connection: it holds no subscription but `restoredIds`. */
  welcome(welcome: Welcome): void
  /** A subscription's frame (confirm, reject, message), parsed. */
  frame(frame: SubscriptionFrame): void
  /** The connection is gone and with it every server subscription; `willReconnect` false once stopped. */
  lost(willReconnect: boolean): void
  state(change: LineChange): void
  /** Extended protocol: a subscription's history was answered; its missed messages, if any, came before this. */
  history(identifier: string, outcome: HistoryOutcome): void
  /** How many tabs share this connection (a shared line only: sharing/tab/shared_line.ts). */
  tabs(count: number): void
}

export interface Line {
  readonly state: LineState
  /**
   * The current connection needs no spread before its catch-up: it follows this page's own wake (resume,
   * visible, online: no fleet rejoins with it), or a probe that found a server back after it was down (the
   * probes' own jitter spread a fleet's rejoins over their gap: probe_schedule.ts).
   */
  readonly rejoiningAfterWake: boolean
  /** Connects if idle. Does nothing once stopped; `restart` undoes a stop. */
  open(): void
  /** The current connection speaks AnyCable's extended protocol (`actioncable-v1-ext-json`). */
  readonly extended: boolean
  /** The extended protocol's session id (`sid`) of the current connection; null on the plain protocol. */
  readonly sessionId: string | null
  /** Sends a command if the server has welcomed this connection; false otherwise. */
  send(command: string): boolean
  /** Sends a subscribe in the connection's protocol (with a history request on the extended one); false when not sent. */
  subscribe(identifier: string, anchor: HistoryAnchor): boolean
  unsubscribe(identifier: string): boolean
  /** The page says the line may be back, or broken: act now rather than at the next backoff step. */
  wake(why: PageWake): void
  /** Closes the connection for good. */
  stop(reason: StopReason): void
  /** Undoes `stop`: a fresh connection, backoff from its first step. */
  restart(): void
  on<Name extends keyof LineEvents>(name: Name, listener: LineEvents[Name]): Unbind
}

/** What a line that makes its own events has: the emitter, and `on()` to hear it. */
export abstract class EmittingLine {
  protected readonly events = new Emitter<LineEvents>()

  on<Name extends keyof LineEvents>(name: Name, listener: LineEvents[Name]): Unbind {
    return this.events.on(name, listener)
  }
}
