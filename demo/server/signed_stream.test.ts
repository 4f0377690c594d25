// Signed stream names against what Rails' MessageVerifier produces.

import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import { sign, streamNameFrom, verify } from "./signed_stream"

const SECRET = "test-secret"

describe("signed_stream", () => {
  // Produced by ActiveSupport 6.1 MessageVerifier.new("test-secret", digest: "SHA256", serializer: JSON).
  const RAILS = [
    [
      "gid://app/Room/1:messages",
      "ImdpZDovL2FwcC9Sb29tLzE6bWVzc2FnZXMi--a510a7c1f8f68576826e2cac825ce483ef2015411012afafb43a54612268708a",
    ],
    [
      'Ünïcødé "q" </x>',
      "IsOcbsOvY8O4ZMOpIFwicVwiIDwveD4i--0446c93a18d7a875af266eaec2a0e4728ab878130e4751447419386aff6f315d",
    ],
  ] as const

  it("signs exactly as Rails' MessageVerifier and verifies Rails' output", () => {
    for (const [name, signed] of RAILS) {
      expect(sign(SECRET, name)).toBe(signed)
      expect(verify(SECRET, signed)).toBe(name)
    }
  })

  it("joins stream name parts with ':' as turbo-rails does", () => {
    expect(streamNameFrom("gid://app/Room/1", "messages")).toBe("gid://app/Room/1:messages")
    expect(verify(SECRET, sign(SECRET, streamNameFrom("a", 7)))).toBe("a:7")
  })

  it("returns null, never throws, for anything forged or malformed", () => {
    const good = sign(SECRET, "room")
    const [data, digest] = good.split("--") as [string, string]
    const otherData = Buffer.from(JSON.stringify("other")).toString("base64")
    const lookAlike = digest.replace(/[a-f]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0x100))
    const nonStringPayload = Buffer.from("{\"a\":1}").toString("base64")
    const notJson = Buffer.from("room").toString("base64")
    const cases: unknown[] = [
      sign("another-secret", "room"),
      `${otherData}--${digest}`,
      `${data}--${digest.toUpperCase()}`,
      `${data}--${digest.slice(1)}`,
      `${data}-${digest}`,
      `${data}--${lookAlike}`,
      data,
      "",
      "--",
      `garbage--${digest}`,
      null,
      undefined,
      42,
      { signed: good },
    ]
    for (const value of cases) expect(verify(SECRET, value)).toBeNull()

    // Correctly signed payloads that are not a strictly encoded JSON string are still refused.
    const signWith = (d: string) => `${d}--${createHmac("sha256", SECRET).update(d).digest("hex")}`
    expect(verify(SECRET, signWith(nonStringPayload))).toBeNull()
    expect(verify(SECRET, signWith(notJson))).toBeNull()
    expect(verify(SECRET, signWith(data + "\n"))).toBeNull() // not strict base64
    expect(verify(SECRET, signWith(data))).toBe("room")
  })
})
