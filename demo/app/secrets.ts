// The demo's one secret, kept in the data directory so signed stream names in open pages and session
// cookies stay valid across a restart; each use gets its own key derived from it.

import { createHmac, randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const SECRET_FILE = "secret"
const MIN_SECRET_CHARS = 32

/** `DEMO_SECRET` if given, else the data directory's secret file, created on first start. */
export function loadSecret(dataDir: string, fromEnv?: string): string {
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.length < MIN_SECRET_CHARS) throw new Error(`DEMO_SECRET must be at least ${MIN_SECRET_CHARS} characters`)
    return fromEnv
  }
  const file = join(dataDir, SECRET_FILE)
  try {
    writeFileSync(file, randomBytes(32).toString("hex") + "\n", { flag: "wx", mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
  }
  const secret = readFileSync(file, "utf8").trim()
  if (secret.length < MIN_SECRET_CHARS) throw new Error(`${file} holds no usable secret; delete it to make a new one`)
  return secret
}

/** A key for one purpose ("streams", "session"), so one key never signs two kinds of thing. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return createHmac("sha256", secret).update(`turbo-cable demo: ${purpose}`).digest()
}
