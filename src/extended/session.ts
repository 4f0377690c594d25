// AnyCable's session restore: a reconnecting socket names the session it had, as @anycable/core does in
// browsers (they cannot set the `X-ANYCABLE-RESTORE-SID` header on a WebSocket).

export const RESTORE_SID_PARAM = "sid"

/** `url` with the session id to restore in its query (any `sid` it had replaced). */
export function withSessionId(url: string, sid: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set(RESTORE_SID_PARAM, sid)
  return parsed.toString()
}
