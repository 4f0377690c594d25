// Signed stream names, byte-compatible with turbo-rails:
//   Turbo.signed_stream_verifier =
//     ActiveSupport::MessageVerifier.new(key, digest: "SHA256", serializer: JSON)
// A signed name is `base64(JSON(name)) + "--" + hex(HMAC-SHA256(key, base64part))`.
// Without purpose/expiry metadata Rails signs the bare JSON string, so that is all we accept.

import { createHmac, timingSafeEqual } from "node:crypto"

export type Secret = string | Buffer

const SEPARATOR = "--"
const DIGEST_HEX_LENGTH = 64 // SHA-256 as lowercase hex, as Rails' hexdigest produces
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const utf8 = new TextDecoder("utf-8", { fatal: true })

function digest(secret: Secret, data: string): string {
  return createHmac("sha256", secret).update(data, "utf8").digest("hex")
}

/** turbo-rails' `stream_name_from`: several parts joined by ":". */
export function streamNameFrom(...parts: Array<string | number>): string {
  return parts.map(String).join(":")
}

export function sign(secret: Secret, streamName: string): string {
  const data = Buffer.from(JSON.stringify(streamName), "utf8").toString("base64")
  return data + SEPARATOR + digest(secret, data)
}

/** The stream name, or null for anything forged or malformed. Never throws. */
export function verify(secret: Secret, signed: unknown): string | null {
  try {
    if (typeof signed !== "string") return null
    // Rails locates the digest by its fixed length, not by splitting: base64 has no "-" anyway.
    const dataEnd = signed.length - DIGEST_HEX_LENGTH - SEPARATOR.length
    if (dataEnd < 0 || !signed.startsWith(SEPARATOR, dataEnd)) return null
    const data = signed.slice(0, dataEnd)
    // utf8, not latin1: latin1 would fold e.g. U+0161 onto "a" and accept a non-hex look-alike.
    const given = Buffer.from(signed.slice(dataEnd + SEPARATOR.length), "utf8")
    const expected = Buffer.from(digest(secret, data), "utf8")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null

    // Node's base64 decoder is lenient; Rails uses strict_decode64, so check the alphabet first.
    if (!STRICT_BASE64.test(data)) return null
    const json = utf8.decode(Buffer.from(data, "base64"))
    const value: unknown = JSON.parse(json)
    return typeof value === "string" ? value : null
  } catch {
    return null
  }
}
