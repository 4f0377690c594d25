// Where the socket connects: configuration, then <meta name="action-cable-url">, then /cable.
import { readMeta } from "../dom"
import type { CableUrl } from "../config"

export const DEFAULT_MOUNT_PATH = "/cable"


/** Resolves `url` against the page and turns http(s) into ws(s); throws a clear error on bad input. */
export function toWebSocketUrl(url: string, base: string): string {
  let resolved: URL
  try {
    resolved = new URL(url, base)
  } catch {
    throw new Error(`turbo-cable: cannot build a WebSocket URL from ${JSON.stringify(url)}`)
  }
  if (resolved.protocol == "http:") resolved.protocol = "ws:"
  else if (resolved.protocol == "https:") resolved.protocol = "wss:"
  else if (resolved.protocol != "ws:" && resolved.protocol != "wss:") {
    throw new Error(`turbo-cable: ${JSON.stringify(url)} is not an http(s) or ws(s) URL`)
  }
  return resolved.href
}

/** The URL to connect to now: `configured` (called, if a function), else the meta tag, else /cable. */
export function resolveCableUrl(configured: CableUrl | undefined, doc: Document | undefined = globalThis.document): string {
  const url = typeof configured == "function" ? configured() : configured
  return toWebSocketUrl(url ?? (doc && readMeta("action-cable-url", doc)) ?? DEFAULT_MOUNT_PATH, doc?.baseURI ?? "ws://localhost/")
}
