import { describe, expect, it } from "vitest"
import { endsInText, streamHtml } from "../../src/streams/stream_html"

const append = (html: string) => `<turbo-stream action="append" target="items"><template>${html}</template></turbo-stream>`

describe("endsInText", () => {
  it("accepts markup whose tags and quoted values all close", () => {
    expect(endsInText(append(`<li id="a" title='x > y' data-n=3>it's "fine" & a < b</li>`))).toBe(true)
  })

  it("refuses an unclosed quoted value, which would swallow the next message", () => {
    expect(endsInText(`<turbo-stream action="append" target="items><template></template></turbo-stream>`)).toBe(false)
    expect(endsInText(append(`<li title='open>x</li>`))).toBe(false)
  })

  it("refuses an unclosed tag", () => {
    expect(endsInText(`${append("x")}<li`)).toBe(false)
  })

  it("reads quotes as the tokenizer does: only right after = do they open a value", () => {
    expect(endsInText(append(`<li a"b c="d">x</li>`))).toBe(true)
    expect(endsInText(append(`<li a=b"c>x</li>`))).toBe(true)
    expect(endsInText(append(`<li a = "spaced">x</li>`))).toBe(true)
  })
})

describe("streamHtml fast path (no parsing)", () => {
  it("passes one plain stream element through untouched", () => {
    const html = append(`<li id="a">a</li>`)
    expect(streamHtml(`  ${html}\n`)).toBe(html)
  })

  it("is not a Turbo Stream: plain text, JSON, non-strings", () => {
    expect(streamHtml("hello")).toBeNull()
    expect(streamHtml('{"a":1}')).toBeNull()
    expect(streamHtml({ html: append("x") })).toBeNull()
    expect(streamHtml(42)).toBeNull()
  })
})
