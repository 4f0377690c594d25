// The wire: Action Cable's `actioncable-v1-json` and AnyCable's `actioncable-v1-ext-json`. Every string of it
// in one table, and every frame the server sends encoded here, so their bytes and key order are decided once.

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

/** The WebSocket close code of every clean close the server makes. */
export const NORMAL_CLOSURE = 1000

export type JsonObject = Record<string, unknown>

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

/** The parsed value, or undefined for text that is not JSON: a bad frame is logged, never thrown. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const { type } = PROTOCOL

/**
 * The frames the server sends. Messages are put together from pieces encoded once (`encodedIdentifier`,
 * `encodedMessage`), because a broadcast is the hot path; key order as Rails: identifier, then message; then
 * anycable-go's stream_id, epoch, offset.
 */
export const frames = {
  /** With a session id on the extended protocol; a restored session says which subscriptions it took back. */
  welcome(sid?: string, restoredIds?: string[]): string {
    if (sid === undefined) return JSON.stringify({ type: type.welcome })
    if (restoredIds === undefined) return JSON.stringify({ type: type.welcome, sid })
    // anycable-go leaves out an empty `restored_ids`; @anycable/core then takes all it knows as restored.
    return JSON.stringify({ type: type.welcome, sid, restored: true, ...(restoredIds.length ? { restored_ids: restoredIds } : {}) })
  },
  ping: (nowMs: number) => JSON.stringify({ type: type.ping, message: Math.floor(nowMs / 1000) }),
  disconnect: (reason: string, reconnect: boolean) => JSON.stringify({ type: type.disconnect, reason, reconnect }),
  confirm: (identifier: string) => JSON.stringify({ identifier, type: type.confirm }),
  reject: (identifier: string) => JSON.stringify({ identifier, type: type.reject }),
  confirmHistory: (identifier: string) => JSON.stringify({ type: type.confirmHistory, identifier }),
  rejectHistory: (identifier: string) => JSON.stringify({ type: type.rejectHistory, identifier }),
  /** A broadcast, a replayed one or a whisper; `position` from `frames.position`, or none. */
  message: (encodedIdentifier: string, encodedMessage: string, position = "") =>
    `{"identifier":${encodedIdentifier},"message":${encodedMessage}${position}}`,
  /** Where a message stands in its stream's history (extended protocol only). */
  position: (stream: string, epoch: string, offset: number) =>
    `,"stream_id":${JSON.stringify(stream)},"epoch":${JSON.stringify(epoch)},"offset":${offset}`,
  /** A join, a leave or who is there. */
  presence: (encodedIdentifier: string, encodedMessage: string) =>
    `{"type":"${type.presence}","identifier":${encodedIdentifier},"message":${encodedMessage}}`,
}
