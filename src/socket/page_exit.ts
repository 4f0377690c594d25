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

import type { Clock, TimerHandle } from "../clock"

/** How long after `beforeunload` a reconnect is held back (ms). */
export const LEAVE_GRACE = 1_000
/** A page still here this long after its `beforeunload` did not go (a navigation answered by a download or a 204). */
export const STAYED_AFTER = 5_000

/** What a line does as the page goes; each optional. */
export interface PageExitListener {
  /** The navigation away started (`beforeunload`). */
  leaving?(): void
  /** It did not go after all: still here STAYED_AFTER later, and no `pagehide`. */
  stayed?(): void
  /** `pagehide`: gone, or into the back/forward cache (`persisted`). */
  exited?(persisted: boolean): void
}

export class PageExit {
  private leavingAt = -Infinity
  private stayTimer: TimerHandle = null

  /** Listens until `signal` aborts, else for the page's lifetime: the connection it serves lives as long as the page. */
  constructor(
    listener: PageExitListener,
    private readonly clock: Clock,
    signal?: AbortSignal,
  ) {
    addEventListener(
      "beforeunload",
      () => {
        this.leavingAt = this.clock.now()
        listener.leaving?.()
        this.clock.cancel(this.stayTimer)
        this.stayTimer = this.clock.after(STAYED_AFTER, () => listener.stayed?.())
      },
      { signal },
    )
    addEventListener(
      "pagehide",
      (event) => {
        this.clock.cancel(this.stayTimer)
        listener.exited?.(event.persisted)
      },
      { signal },
    )
    addEventListener("pageshow", () => (this.leavingAt = -Infinity), { signal })
    signal?.addEventListener("abort", () => this.clock.cancel(this.stayTimer))
  }

  /** How long (ms) a reconnect must still wait: 0, unless the page said it is leaving within LEAVE_GRACE. */
  remaining(): number {
    return Math.max(0, this.leavingAt + LEAVE_GRACE - this.clock.now())
  }
}
