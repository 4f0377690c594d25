// Whether the cable's server is back, asked over plain HTTP instead of by opening a WebSocket.
//
// Why: Firefox delays every new WebSocket to a host whose recent connects failed (pref
// network.websocket.delay-failed-reconnects: 200-400 ms after the first failure, x1.5 per further one, up
// to 60 s, counted from the last failure). Socket attempts made on our backoff through a 40 s outage
// feed that delay until it outgrows the backoff, and the page then rejoined up to 26 s after the server
// was back. A fetch is not counted by Firefox's WebSocket delay, so while the server is unreachable the
// connection asks with one fetch per backoff step (the same load a socket attempt put on it) and opens
// the socket only once the server answers. Any HTTP answer, a 404 or 426 included, means it listens.

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
