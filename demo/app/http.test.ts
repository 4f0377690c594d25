import { describe, expect, it } from "vitest"
import { HttpError, parseFormBody } from "./http"

function refusal(body: Buffer | string): HttpError {
  try {
    parseFormBody(Buffer.from(body))
  } catch (err) {
    if (err instanceof HttpError) return err
  }
  throw new Error("expected a refusal")
}

describe("parseFormBody", () => {
  it("decodes url-encoded fields, + as space", () => {
    const form = parseFormBody(Buffer.from("body=Hello+w%C3%B6rld%21&return_to=%2Frooms%2Fgeneral"))
    expect(form.require("body")).toBe("Hello wörld!")
    expect(form.get("return_to")).toBe("/rooms/general")
  })

  it("refuses bad escapes, invalid UTF-8, repeated and missing fields", () => {
    expect(refusal("body=%ZZ").status).toBe(400)
    expect(refusal("body=%C3%28").status).toBe(400)
    expect(refusal(Buffer.from([0x62, 0x3d, 0xff])).status).toBe(400)
    expect(refusal("body=a&body=b").detail).toBe('The field "body" was sent more than once.')
    expect(() => parseFormBody(Buffer.from("text=x")).require("body")).toThrow(/no "body" field/)
  })
})
