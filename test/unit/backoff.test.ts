import { describe, expect, it } from "vitest"
import { reconnectDelay } from "../../src/socket/backoff"
import { type BackoffPolicy, defaults } from "../../src/config"

const policy: BackoffPolicy = { firstDelay: 300, factor: 1.3, maxDelay: 10_000, jitter: 0.5 }

describe("reconnectDelay", () => {
  it("grows by the factor per attempt", () => {
    const mid = () => 0.5
    expect(reconnectDelay(0, policy, mid)).toBe(300)
    expect(reconnectDelay(1, policy, mid)).toBeCloseTo(390)
    expect(reconnectDelay(2, policy, mid)).toBeCloseTo(507)
  })

  it("jitters every attempt within the band", () => {
    expect(reconnectDelay(0, policy, () => 0)).toBe(150)
    expect(reconnectDelay(0, policy, () => 0.999999)).toBeCloseTo(450, 2)
    expect(reconnectDelay(5, policy, () => 0)).toBeCloseTo(300 * 1.3 ** 5 * 0.5)
  })

  it("never exceeds the cap, however many attempts", () => {
    expect(reconnectDelay(100, policy, () => 0.999)).toBeLessThanOrEqual(10_000)
    expect(reconnectDelay(1e6, policy, () => 0.5)).toBe(10_000)
  })

  it("spreads a thousand clients' first retries over a window", () => {
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(0, defaults.backoff))
    const spread = Math.max(...delays) - Math.min(...delays)
    expect(spread).toBeGreaterThan(defaults.backoff.firstDelay * 0.8)
    expect(new Set(delays.map((d) => Math.round(d / 10))).size).toBeGreaterThan(20)
  })
})
