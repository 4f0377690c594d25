// What an app gives the cable server (its options and hooks), and the settings the server's parts read: the
// options with every default filled in, here and nowhere else.

import type { IncomingMessage } from "node:http"
import type { BrokerOptions } from "./broker"
import { PROTOCOL } from "./protocol"
import type { Secret } from "./signed_stream"

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
  pubsub?: PubsubOptions
  log?: (line: string) => void
}

export interface PubsubOptions {
  public?: boolean
  whisper?: boolean
  presence?: boolean
}

/** The stream a channel follows, and whether its subscribers may whisper to it and join its presence. */
export type ChannelStream = string | { stream: string; whisper?: boolean; presence?: boolean }

/** Options of one broadcast. */
export interface BroadcastOptions {
  /** Not stored in the history and sent without an offset (anycable-go's transient broadcasts). */
  transient?: boolean
}

/** Who a connection is, as the app's channels and hooks see it. */
export interface ConnectionInfo {
  readonly id: number
  readonly identity: string
}

export type SubscriptionHook = (conn: ConnectionInfo, stream: string, params: Record<string, unknown>) => void

export type MessageHook = (conn: ConnectionInfo, identifierParams: Record<string, unknown>, data: Record<string, unknown>) => void

/** The app's hooks as the server's parts call them: each call guarded, so a hook that throws is only logged. */
export interface AppHooks {
  subscribed: SubscriptionHook
  /** Also for every subscription of a connection that goes away, as Rails' `unsubscribed`. */
  unsubscribed: SubscriptionHook
  performed: MessageHook
}

/** The options with their defaults, and a log that never throws. */
export interface Settings {
  secret: Secret
  pingIntervalMs: number
  path: string
  authenticate?: (req: IncomingMessage) => string | null
  maxFrameBytes: number
  channels: NonNullable<CableServerOptions["channels"]>
  extendedProtocol: boolean
  preferPlainProtocol: boolean
  broker?: BrokerOptions
  presenceTtlMs: number
  pongTimeoutMs?: number
  pubsub?: PubsubOptions
  log: (line: string) => void
}

const DEFAULT_PING_INTERVAL_MS = 3000
const DEFAULT_MAX_FRAME_BYTES = 64 * 1024
// anycable-go's presence_ttl: a closed session's presence lasts this long, so a quick reconnect is no leave.
const DEFAULT_PRESENCE_TTL_SECONDS = 15

export function settingsFrom(options: CableServerOptions): Settings {
  const logLine = options.log ?? (() => {})
  return {
    secret: options.secret,
    pingIntervalMs: options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    path: options.path ?? PROTOCOL.defaultPath,
    authenticate: options.authenticate,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    channels: options.channels ?? {},
    extendedProtocol: options.extendedProtocol ?? true,
    preferPlainProtocol: options.preferPlainProtocol ?? false,
    broker: options.broker,
    presenceTtlMs: (options.presenceTtlSeconds ?? DEFAULT_PRESENCE_TTL_SECONDS) * 1000,
    pongTimeoutMs: options.pongTimeoutMs,
    pubsub: options.pubsub,
    log: (line) => {
      try {
        logLine(line)
      } catch {
        // A broken logger is not worth a crash.
      }
    },
  }
}
