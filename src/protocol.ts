// The Action Cable wire protocol (actioncable-v1-json) and what AnyCable's extended one
// (actioncable-v1-ext-json) adds to it: every string the wire carries lives here.
import type { ExtendedProtocolChoice } from "./config"

export const PLAIN_PROTOCOL = "actioncable-v1-json"
export const EXTENDED_PROTOCOL = "actioncable-v1-ext-json"
export const UNSUPPORTED_PROTOCOL = "actioncable-unsupported"
/** Action Cable's own pair (@rails/actioncable's `INTERNAL.protocols`). */
export const SUBPROTOCOLS = [PLAIN_PROTOCOL, UNSUPPORTED_PROTOCOL] as const


/**
 * The subprotocols a socket offers. "only" still offers `actioncable-unsupported`, so a server that speaks
 * neither says so (Rails picks it) instead of leaving the handshake without a protocol.
 */
export function subprotocols(choice: ExtendedProtocolChoice): string[] {
  if (choice == "off") return [...SUBPROTOCOLS]
  if (choice == "only") return [EXTENDED_PROTOCOL, UNSUPPORTED_PROTOCOL]
  return [EXTENDED_PROTOCOL, PLAIN_PROTOCOL, UNSUPPORTED_PROTOCOL]
}

export const MessageType = {
  welcome: "welcome",
  disconnect: "disconnect",
  ping: "ping",
  confirmation: "confirm_subscription",
  rejection: "reject_subscription",
  historyConfirmation: "confirm_history",
  historyRejection: "reject_history",
  presence: "presence",
} as const

export const DisconnectReason = {
  unauthorized: "unauthorized",
  invalidRequest: "invalid_request",
  serverRestart: "server_restart",
  remote: "remote",
} as const

/** Frames larger than this are dropped unread: no Turbo Stream a page applies is this big. */
export const MAX_FRAME_LENGTH = 4 * 1024 * 1024

/** Where a broadcast sits in its stream's history (extended protocol): offsets rise by 1 within an epoch. */
export interface StreamPosition {
  stream: string
  epoch: string
  offset: number
}

/** A frame from the server, narrowed to what the client acts on. */
export type ServerFrame =
  | { type: "welcome"; sid?: string; restoredIds?: string[] }
  | { type: "ping" }
  | { type: "disconnect"; reason: string; reconnect: boolean }
  // `missed`: never on the wire; the shared worker's answer to a tab joining a subscription its connection held
  // already, when messages went by since the tab's content was requested (subscriptions/feed.ts).
  | { type: "confirm"; identifier: string; missed?: boolean }
  | { type: "reject"; identifier: string }
  | { type: "message"; identifier: string; message: unknown; position?: StreamPosition }
  | { type: "history"; identifier: string; confirmed: boolean }
  | { type: "presence"; identifier: string; message: PresenceEvent }

/** A presence message (extended protocol): someone joined or left the stream, or the info asked for, or an error. */
export type PresenceEvent =
  | { type: "join"; id: string; info?: unknown }
  | { type: "leave"; id: string }
  | { type: "info"; total?: number; records?: Array<{ id: string; info?: unknown }> }
  | { type: "error" }

/** A frame about one subscription. */
export type SubscriptionFrame = Extract<ServerFrame, { identifier: string }>

/** Why a frame was not understood; reported to the debug log, never thrown. */
export type FrameError = { error: string }

export function parseFrame(data: unknown): ServerFrame | FrameError {
  if (typeof data != "string") return { error: "binary frame" }
  if (data.length > MAX_FRAME_LENGTH) return { error: `oversize frame (${data.length} chars)` }

  let frame: unknown
  try {
    frame = JSON.parse(data)
  } catch {
    return { error: "frame is not JSON" }
  }
  if (!frame || typeof frame != "object" || Array.isArray(frame)) return { error: "frame is not an object" }

  const { type, identifier, message, reason, reconnect, sid, restored, restored_ids, stream_id, epoch, offset } = frame as Record<string, unknown>
  switch (type) {
    case MessageType.welcome:
      if (typeof sid != "string" || !sid) return { type: "welcome" }
      // anycable-go leaves out an empty `restored_ids`: a restored session with no subscriptions.
      return { type: "welcome", sid, ...(restored === true && { restoredIds: Array.isArray(restored_ids) ? restored_ids.filter(isString) : [] }) }
    case MessageType.ping:
      return { type: "ping" }
    case MessageType.disconnect:
      return {
        type: "disconnect",
        reason: typeof reason == "string" ? reason : "",
        // Rails omits `reconnect` on older servers; only an explicit false stops the client.
        reconnect: reconnect !== false,
      }
  }
  if (typeof identifier != "string") return { error: `unknown frame type ${describeType(type)}` }
  if (type === MessageType.confirmation) return { type: "confirm", identifier }
  if (type === MessageType.rejection) return { type: "reject", identifier }
  if (type === MessageType.historyConfirmation || type === MessageType.historyRejection) {
    return { type: "history", identifier, confirmed: type === MessageType.historyConfirmation }
  }
  if (type === MessageType.presence) {
    const event = message as PresenceEvent | null
    if (!event || typeof event != "object" || !["join", "leave", "info", "error"].includes(event.type)) return { error: "bad presence message" }
    return { type: "presence", identifier, message: event }
  }
  if (type === undefined && "message" in (frame as object)) {
    if (typeof stream_id != "string" || typeof epoch != "string" || !Number.isSafeInteger(offset)) return { type: "message", identifier, message }
    return { type: "message", identifier, message, position: { stream: stream_id, epoch, offset: offset as number } }
  }
  return { error: `unknown frame type ${describeType(type)}` }
}

function isString(value: unknown): value is string {
  return typeof value == "string"
}

/** A short, safe description of a frame's `type`: a hostile one may be 4 MB long or nested past the stack. */
function describeType(type: unknown): string {
  return typeof type == "string" ? JSON.stringify(type.slice(0, 64)) : typeof type
}

export function subscribeCommand(identifier: string): string {
  return JSON.stringify({ command: "subscribe", identifier })
}

export function unsubscribeCommand(identifier: string): string {
  return JSON.stringify({ command: "unsubscribe", identifier })
}

export function messageCommand(identifier: string, data: Record<string, unknown>): string {
  return JSON.stringify({ command: "message", identifier, data: JSON.stringify(data) })
}

/** What a subscription missed, asked of an extended-protocol server: after each position, else since a time. */
export interface HistoryRequest {
  /** Unix seconds. */
  since?: number
  streams: Record<string, { epoch: string; offset: number }>
}

export function subscribeWithHistory(identifier: string, history: HistoryRequest): string {
  return JSON.stringify({ command: "subscribe", identifier, history })
}

export function historyCommand(identifier: string, history: HistoryRequest): string {
  return JSON.stringify({ command: "history", identifier, history })
}

export const PONG_COMMAND = '{"command":"pong"}'

/** The extended protocol's commands on a subscription beyond Action Cable's, with their fields. */
export type ExtendedCommand =
  | { command: "whisper"; data: unknown } // to the stream's other subscribers; `data` as it is, not a JSON string
  | { command: "join"; presence: { id: string; info?: unknown } }
  | { command: "leave" }
  | { command: "presence"; data: object } // asks for the stream's presence info

export function extendedCommand(identifier: string, command: ExtendedCommand): string {
  return JSON.stringify({ ...command, identifier })
}

/** AnyCable's reason when the token in the URL has expired (anycable-client's `token_expired`). */
export const TOKEN_EXPIRED = "token_expired"
