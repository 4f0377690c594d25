import { describe, expect, it } from "vitest"
import { cssString, html } from "./html"
import { Sessions } from "./sessions"
import { checkMessage, checkName } from "./validation"

describe("html", () => {
  it("escapes interpolated text but not nested fragments", () => {
    const name = `<img src=x onerror="alert(1)">`
    expect(html`<p title="${name}">${name} ${html`<b>ok</b>`}</p>`.text).toBe(
      `<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <b>ok</b></p>`,
    )
  })

  it("makes CSS strings that cannot end the string or the style element", () => {
    expect(cssString("Ada L.").text).toBe('"Ada L."')
    expect(cssString('a"</style>').text).toBe('"a\\22 \\3c \\2f style\\3e "')
  })
})

describe("validation", () => {
  it("normalizes and limits names", () => {
    expect(checkName("  Ada   Lovelace ")).toEqual({ ok: true, value: "Ada Lovelace" })
    expect(checkName("").ok).toBe(false)
    expect(checkName("<script>").ok).toBe(false)
    expect(checkName("x".repeat(25)).ok).toBe(false)
  })

  it("refuses empty, oversize and control-character messages", () => {
    expect(checkMessage(" \r\n hi \r\n")).toEqual({ ok: true, value: "hi" })
    expect(checkMessage("  ")).toMatchObject({ ok: false })
    expect(checkMessage("é".repeat(1000))).toMatchObject({ ok: true })
    expect(checkMessage("é".repeat(1001))).toMatchObject({ ok: false, error: "Messages are at most 1000 characters; this one has 1001." })
    expect(checkMessage("bell\u0007")).toMatchObject({ ok: false })
  })
})

describe("Sessions", () => {
  const sessions = new Sessions(Buffer.from("k".repeat(32)))

  it("reads back the name it signed", () => {
    expect(sessions.verify(sessions.sign("Ada"))).toBe("Ada")
  })

  it("refuses a cookie signed with another key or altered", () => {
    const other = new Sessions(Buffer.from("o".repeat(32)))
    expect(sessions.verify(other.sign("Ada"))).toBeNull()
    const [, digest] = sessions.sign("Ada").split(".")
    expect(sessions.verify(`${Buffer.from(JSON.stringify({ name: "Eve" })).toString("base64url")}.${digest}`)).toBeNull()
    expect(sessions.verify("garbage")).toBeNull()
  })
})
