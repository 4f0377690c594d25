import { describe, expect, it } from "vitest"
import { catchUpReason } from "../../src/catch_up/policy"

const policy = { catchUpAfter: 1_500, onConnect: false }

describe("catchUpReason", () => {
  it("catches up whenever a subscription is confirmed again after a drop", () => {
    expect(catchUpReason({ again: true, renderedAt: 9_999, now: 10_000 }, policy)).toBe("reconnect")
  })

  it("leaves a normal fast page load alone", () => {
    expect(catchUpReason({ again: false, renderedAt: 10_000, now: 10_300 }, policy)).toBeNull()
    expect(catchUpReason({ again: false, renderedAt: 10_000, now: 11_499 }, policy)).toBeNull()
  })

  it("catches up a page whose first confirmation came long after the render", () => {
    expect(catchUpReason({ again: false, renderedAt: 10_000, now: 11_500 }, policy)).toBe("stale-page")
    expect(catchUpReason({ again: false, renderedAt: -Infinity, now: 11_500 }, policy)).toBe("stale-page")
  })

  it("catches up on every first confirmation when the page asks", () => {
    expect(catchUpReason({ again: false, renderedAt: 10_000, now: 10_001 }, { ...policy, onConnect: true })).toBe("connect")
  })
})
