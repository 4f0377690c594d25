// Sign-in with a name: a signed cookie (no server-side session table), read by the pages and by the
// WebSocket handshake alike, so the socket is the same user as the page or nobody.

import { createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import { checkName } from "./validation"

export const SESSION_COOKIE = "turbo_cable_demo_session"
const MAX_AGE_SECONDS = 60 * 60 * 24 * 30

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const pair of (header ?? "").split(";")) {
    const eq = pair.indexOf("=")
    if (eq < 0) continue
    const name = pair.slice(0, eq).trim()
    if (name !== "" && !cookies.has(name)) cookies.set(name, pair.slice(eq + 1).trim())
  }
  return cookies
}

export class Sessions {
  constructor(private readonly key: Buffer) {}

  /** The signed-in user's name, or null for no cookie or one we did not sign. */
  userFrom(req: IncomingMessage): string | null {
    const value = parseCookies(req.headers.cookie).get(SESSION_COOKIE)
    return value === undefined ? null : this.verify(value)
  }

  /** `Set-Cookie` value that signs the user in. */
  signIn(name: string): string {
    return `${SESSION_COOKIE}=${this.sign(name)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${MAX_AGE_SECONDS}`
  }

  signOut(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`
  }

  sign(name: string): string {
    const payload = Buffer.from(JSON.stringify({ name }), "utf8").toString("base64url")
    return `${payload}.${this.digest(payload)}`
  }

  verify(value: string): string | null {
    const dot = value.lastIndexOf(".")
    if (dot <= 0) return null
    const payload = value.slice(0, dot)
    const given = Buffer.from(value.slice(dot + 1), "utf8")
    const expected = Buffer.from(this.digest(payload), "utf8")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
    try {
      const data: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
      const name = typeof data === "object" && data !== null ? (data as { name?: unknown }).name : undefined
      if (typeof name !== "string") return null
      const checked = checkName(name)
      return checked.ok && checked.value === name ? name : null
    } catch {
      return null
    }
  }

  private digest(payload: string): string {
    return createHmac("sha256", this.key).update(payload).digest("base64url")
  }
}
