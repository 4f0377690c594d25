import { describe, expect, it } from "vitest"
import { documentRenderTime } from "../../src/catch_up/page_age"

describe("documentRenderTime", () => {
  it("dates a document fetched from the server by its first response byte", () => {
    expect(documentRenderTime({ responseStart: 120, transferSize: 5_300, decodedBodySize: 5_000, deliveryType: "" })).toBe(120)
  })

  it("dates a revalidated (304) copy by its response: the server vouched for it now", () => {
    expect(documentRenderTime({ responseStart: 80, transferSize: 300, decodedBodySize: 5_000 })).toBe(80)
  })

  it("gives an HTTP-cached document an unknown age", () => {
    expect(documentRenderTime({ responseStart: 5, transferSize: 0, decodedBodySize: 5_000, deliveryType: "cache" })).toBe(-Infinity)
    expect(documentRenderTime({ responseStart: 5, transferSize: 0, decodedBodySize: 5_000 })).toBe(-Infinity)
  })

  it("keeps the old reading where the browser reports no sizes", () => {
    expect(documentRenderTime({ responseStart: 90 })).toBe(90)
    expect(documentRenderTime(undefined)).toBe(0)
  })
})
