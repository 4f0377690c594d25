import { describe, expect, it } from "vitest"
import { toWebSocketUrl } from "../../src/socket/url"

describe("toWebSocketUrl", () => {
  const page = "https://example.com/rooms/7"

  it("turns a relative path into ws(s) on the page's host", () => {
    expect(toWebSocketUrl("/cable", page)).toBe("wss://example.com/cable")
    expect(toWebSocketUrl("/cable", "http://localhost:3000/")).toBe("ws://localhost:3000/cable")
  })

  it("turns absolute http(s) into ws(s) and keeps ws(s)", () => {
    expect(toWebSocketUrl("http://cable.test/cable?token=a", page)).toBe("ws://cable.test/cable?token=a")
    expect(toWebSocketUrl("https://cable.test/cable", page)).toBe("wss://cable.test/cable")
    expect(toWebSocketUrl("ws://cable.test/x", page)).toBe("ws://cable.test/x")
  })

  it("explains a URL it cannot use", () => {
    expect(() => toWebSocketUrl("ftp://x/cable", page)).toThrow(/not an http\(s\) or ws\(s\) URL/)
    expect(() => toWebSocketUrl("http://", page)).toThrow(/cannot build a WebSocket URL/)
  })
})
