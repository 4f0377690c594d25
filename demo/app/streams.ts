// Stream names the demo broadcasts on, and the <turbo-stream> messages it sends on them.

import { streamNameFrom } from "../server/signed_stream"
import { html, type SafeHtml } from "./html"

/** A room's messages, topic refreshes; its presence and typing; one user's unread counts. */
export const streamNames = {
  room: (room: string) => streamNameFrom("room", room),
  presence: (room: string) => streamNameFrom("presence", room),
  unread: (user: string) => streamNameFrom("unread", user),
}

export type ParsedStream = { kind: "room" | "presence"; room: string } | { kind: "unread"; user: string }

export function parseStreamName(name: string): ParsedStream | null {
  const colon = name.indexOf(":")
  if (colon < 0) return null
  const kind = name.slice(0, colon)
  const rest = name.slice(colon + 1)
  if (kind === "room" || kind === "presence") return { kind, room: rest }
  if (kind === "unread") return { kind, user: rest }
  return null
}

export type StreamAction = "append" | "prepend" | "replace" | "update" | "remove" | "before" | "after"

export interface StreamOptions {
  /** `morph` on replace/update: idiomorph instead of swapping the element. */
  method?: "morph"
}

export const STREAM_CONTENT_TYPE = "text/vnd.turbo-stream.html"

export function turboStream(action: StreamAction, target: string, content: SafeHtml, options: StreamOptions = {}): SafeHtml {
  return html`<turbo-stream action="${action}" target="${target}"${
    options.method ? html` method="${options.method}"` : ""
  }><template>${content}</template></turbo-stream>`
}

/**
 * Turbo refetches the page and morphs it in. `requestId` is the `X-Turbo-Request-Id` of the request
 * that caused it, so the page that made the change (and already has it) skips the refresh.
 */
export function refreshStream(requestId?: string): SafeHtml {
  return html`<turbo-stream action="refresh" method="morph" scroll="preserve"${
    requestId ? html` request-id="${requestId}"` : ""
  }></turbo-stream>`
}
