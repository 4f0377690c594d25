// The Action Cable wire protocol (actioncable-v1-json): every string the wire carries lives here.

export const SUBPROTOCOLS = ["actioncable-v1-json", "actioncable-unsupported"] as const
export const UNSUPPORTED_PROTOCOL = "actioncable-unsupported"

export const MessageType = {
  welcome: "welcome",
  disconnect: "disconnect",
  ping: "ping",
  confirmation: "confirm_subscription",
  rejection: "reject_subscription",
} as const

export const DisconnectReason = {
  unauthorized: "unauthorized",
  invalidRequest: "invalid_request",
  serverRestart: "server_restart",
  remote: "remote",
} as const

/** Frames larger than this are dropped unread: no Turbo Stream a page applies is this big. */
export const MAX_FRAME_LENGTH = 4 * 1024 * 1024

/** A frame from the server, narrowed to what the client acts on. */
export type ServerFrame =
  | { type: "welcome" }
  | { type: "ping" }
  | { type: "disconnect"; reason: string; reconnect: boolean }
  | { type: "confirm"; identifier: string }
  | { type: "reject"; identifier: string }
  | { type: "message"; identifier: string; message: unknown }

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

  const { type, identifier, message, reason, reconnect } = frame as Record<string, unknown>
  switch (type) {
    case MessageType.welcome:
      return { type: "welcome" }
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
  if (type === undefined && "message" in (frame as object)) return { type: "message", identifier, message }
  return { error: `unknown frame type ${describeType(type)}` }
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
