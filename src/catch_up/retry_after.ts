// What a refetch's answer means for the catch-up, and how long a server that sheds load asks us to wait:
// pure functions, so tests call them with numbers and strings.

/** The longest a `Retry-After` is honoured (ms): a page stale for minutes is worse than one more request. */
export const MAX_RETRY_AFTER = 60_000

/**
 * What to do with a refetch's HTTP status:
 * - "ok": morph it;
 * - "wait": the server is shedding load or timed us out (429, 503, 408): wait and ask again, for as long as
 *   the cable is connected, since the page is stale until it gets an answer;
 * - "retry": another 5xx, a fault that may pass: a bounded number of tries with the backoff;
 * - "give-up": any other 4xx (404, 403, 410...) will answer the same again.
 */
export type RefetchVerdict = "ok" | "wait" | "retry" | "give-up"

export function refetchVerdict(status: number): RefetchVerdict {
  if (status == 429 || status == 503 || status == 408) return "wait"
  if (status >= 500) return "retry"
  if (status >= 400) return "give-up"
  return "ok"
}

/**
 * The wait a `Retry-After` header asks for (ms), at most `cap`; null when the header is absent or unreadable
 * (the caller then falls back to its backoff). RFC 9110: either delay-seconds (a non-negative integer) or
 * an HTTP date, which is read against `now` (ms since the epoch); a date in the past means "now".
 */
export function retryAfterDelay(header: string | null | undefined, now: number, cap: number = MAX_RETRY_AFTER): number | null {
  const value = header?.trim()
  if (!value) return null
  if (/^\d+$/.test(value)) return Math.min(cap, Number(value) * 1000)
  // Only a date names a weekday or a month; this keeps "1.5" or "-3" (invalid delay-seconds) from Date.parse.
  if (!/[a-z]{3}/i.test(value)) return null
  const at = Date.parse(value)
  if (Number.isNaN(at)) return null
  return Math.min(cap, Math.max(0, at - now))
}
