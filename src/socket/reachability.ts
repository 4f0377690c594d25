// Whether the cable's server listens, asked over plain HTTP instead of by opening a WebSocket.
//
// Why: Firefox delays every new WebSocket to a host whose recent connects failed (pref
// network.websocket.delay-failed-reconnects: 200-400 ms after the first failure, x1.5 per further one, up
// to 60 s, counted from the last failure). Socket attempts through an outage feed that delay until it
// outgrows any schedule, and even one failed attempt delays the next socket by 200-400 ms. A fetch is not
// counted by it, so after a drop the connection asks with a fetch first, and again on the probe schedule
// (probe_schedule.ts) while nothing answers, and opens the socket only once the server answers. Any HTTP
// answer, a 404 or 426 included, means it listens. The request is cheap: no cookies, no body read.

import { withTimeout, type Clock } from "../clock"

/**
 * The http(s) URL to ask for `cableUrl` (a ws(s) URL), or null when it cannot be asked safely: only a
 * same-origin cable is probed, since a Content-Security-Policy may allow `wss://cable.example` in
 * connect-src without `https://cable.example`, and a blocked probe would look like a server that is down.
 */
export function probeUrl(cableUrl: string, pageOrigin: string): string | null {
  const url = new URL(cableUrl)
  url.protocol = url.protocol == "wss:" ? "https:" : "http:"
  if (url.origin != pageOrigin) return null
  // A token in the query string stays out of HTTP logs.
  url.search = ""
  url.hash = ""
  return url.href
}

/** Resolves true if anything answers `url` over HTTP within `timeout` ms, false on a network error or timeout. */
export async function serverAnswers(url: string, timeout: number, clock: Clock): Promise<boolean> {
  const controller = new AbortController()
  const asked = fetch(url, { cache: "no-store", credentials: "omit", redirect: "manual", signal: controller.signal }).then(
    () => true,
    () => false,
  )
  const answered = await withTimeout(clock, asked, timeout, false)
  if (!answered) controller.abort()
  return answered
}
