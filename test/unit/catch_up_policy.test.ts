import { describe, expect, it } from "vitest"
import { catchUpReason, herdDelay } from "../../src/catch_up/policy"

const policy = { catchUpAfter: 1_500, onConnect: false }

describe("catchUpReason", () => {
  it("catches up whenever a subscription is confirmed again after a drop", () => {
    expect(catchUpReason({ confirmedBefore: true, renderedAt: 9_999, now: 10_000 }, policy)).toBe("reconnect")
  })

  it("leaves a normal fast page load alone", () => {
    expect(catchUpReason({ confirmedBefore: false, renderedAt: 10_000, now: 10_300 }, policy)).toBeNull()
    expect(catchUpReason({ confirmedBefore: false, renderedAt: 10_000, now: 11_499 }, policy)).toBeNull()
  })

  it("catches up a page whose first confirmation came long after the render", () => {
    expect(catchUpReason({ confirmedBefore: false, renderedAt: 10_000, now: 11_500 }, policy)).toBe("stale-page")
    expect(catchUpReason({ confirmedBefore: false, renderedAt: -Infinity, now: 11_500 }, policy)).toBe("stale-page")
  })

  it("catches up on every first confirmation when the page asks", () => {
    expect(catchUpReason({ confirmedBefore: false, renderedAt: 10_000, now: 10_001 }, { ...policy, onConnect: true })).toBe("connect")
  })
})

describe("herdDelay", () => {
  it("spreads a reconnect's refetch uniformly over the window", () => {
    expect(herdDelay(500, () => 0)).toBe(0)
    expect(herdDelay(500, () => 0.5)).toBe(250)
    expect(herdDelay(500, () => 0.999)).toBeCloseTo(499.5)
  })

  it("waits nothing when the window is turned off", () => {
    expect(herdDelay(0, () => 0.7)).toBe(0)
    expect(herdDelay(-5, () => 0.7)).toBe(0)
  })
})
