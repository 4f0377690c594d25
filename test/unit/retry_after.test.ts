import { describe, expect, it } from "vitest"
import { MAX_RETRY_AFTER, refetchVerdict, retryAfterDelay } from "../../src/catch_up/retry_after"

describe("refetchVerdict", () => {
  it("waits and asks again when the server sheds load or timed the request out", () => {
    expect(refetchVerdict(429)).toBe("wait")
    expect(refetchVerdict(503)).toBe("wait")
    expect(refetchVerdict(408)).toBe("wait")
  })

  it("retries other server errors a bounded number of times", () => {
    expect(refetchVerdict(500)).toBe("retry")
    expect(refetchVerdict(502)).toBe("retry")
    expect(refetchVerdict(504)).toBe("retry")
  })

  it("gives up on other client errors, which answer the same again", () => {
    expect(refetchVerdict(404)).toBe("give-up")
    expect(refetchVerdict(403)).toBe("give-up")
    expect(refetchVerdict(410)).toBe("give-up")
  })

  it("morphs a success", () => {
    expect(refetchVerdict(200)).toBe("ok")
  })
})

describe("retryAfterDelay", () => {
  const now = Date.parse("Mon, 23 Nov 2026 20:00:00 GMT")

  it("reads delay-seconds", () => {
    expect(retryAfterDelay("1", now)).toBe(1_000)
    expect(retryAfterDelay(" 30 ", now)).toBe(30_000)
    expect(retryAfterDelay("0", now)).toBe(0)
  })

  it("reads an HTTP date against now", () => {
    expect(retryAfterDelay("Mon, 23 Nov 2026 20:00:05 GMT", now)).toBe(5_000)
  })

  it("treats a date in the past as now", () => {
    expect(retryAfterDelay("Mon, 23 Nov 2026 19:59:00 GMT", now)).toBe(0)
  })

  it("caps what it honours", () => {
    expect(retryAfterDelay("3600", now)).toBe(MAX_RETRY_AFTER)
    expect(retryAfterDelay("Tue, 24 Nov 2026 20:00:00 GMT", now)).toBe(MAX_RETRY_AFTER)
    expect(retryAfterDelay("10", now, 2_000)).toBe(2_000)
  })

  it("gives null for a missing or unreadable header, so the caller uses its backoff", () => {
    expect(retryAfterDelay(null, now)).toBeNull()
    expect(retryAfterDelay(undefined, now)).toBeNull()
    expect(retryAfterDelay("", now)).toBeNull()
    expect(retryAfterDelay("soon", now)).toBeNull()
    expect(retryAfterDelay("-3", now)).toBeNull()
    expect(retryAfterDelay("1.5", now)).toBeNull()
  })
})
