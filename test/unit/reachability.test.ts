import { describe, expect, it } from "vitest"
import { probeUrl } from "../../src/socket/reachability"

describe("probeUrl", () => {
  it("asks the cable's own path over http(s), without its query", () => {
    expect(probeUrl("ws://127.0.0.1:3000/cable?token=secret", "http://127.0.0.1:3000")).toBe("http://127.0.0.1:3000/cable")
    expect(probeUrl("wss://app.example/cable", "https://app.example")).toBe("https://app.example/cable")
  })

  it("does not ask a cable on another origin (a CSP may allow its wss: but not its https:)", () => {
    expect(probeUrl("wss://cable.example/cable", "https://app.example")).toBeNull()
    expect(probeUrl("ws://127.0.0.1:3001/cable", "http://127.0.0.1:3000")).toBeNull()
  })
})
