// Who may open a cable connection on the test server: the holder of a `?token=` the control API issued and has
// not expired (the expiring-credentials specs); else, with REQUIRE_COOKIE, a `session=<non-empty>` cookie;
// else anyone, as a guest.
import type { IncomingMessage } from "node:http"

/** Short-lived tokens: issued and expired through the control API. */
export class Tokens {
  private readonly valid = new Set<string>()
  private issued = 0

  /** A new token, valid until `expireAll()`. */
  issue(): string {
    const token = `t${++this.issued}`
    this.valid.add(token)
    return token
  }

  expireAll(): void {
    this.valid.clear()
  }

  isValid(token: string): boolean {
    return this.valid.has(token)
  }
}

/** The cable server's `authenticate`: an identity, or null to refuse (`unauthorized`). */
export function authenticator(tokens: Tokens, requireCookie: boolean): (req: IncomingMessage) => string | null {
  return (req) => {
    const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token")
    if (token !== null) return tokens.isValid(token) ? `token-${token}` : null
    if (requireCookie) return sessionFromCookie(req)
    return "guest"
  }
}

function sessionFromCookie(req: IncomingMessage): string | null {
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const eq = pair.indexOf("=")
    if (eq < 0 || pair.slice(0, eq).trim() !== "session") continue
    const value = pair.slice(eq + 1).trim()
    if (value !== "") return value
  }
  return null
}
