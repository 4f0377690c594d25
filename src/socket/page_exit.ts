// A page that is going away must not open a new socket. Firefox closes the page's sockets as soon as a
// navigation starts, right after `beforeunload` and well before `pagehide`; a reconnect from there (at
// once, if the page woke just before) set up a connection and a subscription for nobody (measured with
// Firefox ESR 153).
//
// So a drop within LEAVE_GRACE of `beforeunload` waits out that grace before reconnecting: a page that
// unloads meanwhile runs no more timers and opens nothing, and one still here after it (a cancelled
// navigation, a download link) reconnects then. `pagehide` with `persisted` false ends the connection.
//
// A page entering the back/forward cache (`persisted` true) is left alone: WebKit keeps such a page and
// on `pageshow` the wake check (page_lifecycle.ts) reconnects and catches it up. Firefox keeps a page
// with an open socket out of that cache, and closing the socket in `pagehide` or `beforeunload` does not
// change that (measured: the decision is taken when the navigation starts, while the close handshake is
// still running), so a Back there loads the page afresh.

import type { Clock } from "../clock"

/** How long after `beforeunload` a reconnect is held back (ms). */
export const LEAVE_GRACE = 1_000

export class PageExit {
  private leavingAt = -Infinity

  /** Listens for the page's lifetime: the connection it serves lives as long as the page. */
  constructor(
    onExit: () => void,
    private readonly clock: Clock,
  ) {
    window.addEventListener("beforeunload", () => (this.leavingAt = this.clock.now()))
    window.addEventListener("pagehide", (event) => !event.persisted && onExit())
    window.addEventListener("pageshow", () => (this.leavingAt = -Infinity))
  }

  /** How long (ms) a reconnect must still wait: 0, unless the page said it is leaving within LEAVE_GRACE. */
  remaining(): number {
    return Math.max(0, this.leavingAt + LEAVE_GRACE - this.clock.now())
  }
}
