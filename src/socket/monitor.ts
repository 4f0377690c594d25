// Liveness: any frame is a keepalive; a silent line is dead; a long unseen gap means the machine slept.

import type { Clock, TimerHandle } from "../clock"

export function isStale(now: number, lastFrameAt: number, staleAfter: number): boolean {
  return now - lastFrameAt >= staleAfter
}

/**
 * True when a poll ran far later than asked and no frame arrived meanwhile: the machine slept or the page
 * was frozen. A throttled background tab still receives pings, so it does not look asleep.
 */
export function sleptBetween(now: number, lastPollAt: number, lastFrameAt: number, staleAfter: number): boolean {
  return now - lastPollAt >= staleAfter && lastFrameAt <= lastPollAt
}


export class ConnectionMonitor {
  lastFrameAt = 0
  private lastPollAt = 0
  private timer: TimerHandle = null
  private watching = false

  constructor(
    /** The line has been silent too long, or the machine woke from sleep: replace the socket. */
    private readonly lineIsDead: (why: "stale" | "slept") => void,
    private readonly settings: { staleAfter: number; pollInterval: number },
    private readonly clock: Clock,
  ) {}

  start(): void {
    if (this.timer !== null) return
    this.lastPollAt = this.clock.now()
    this.timer = this.clock.every(this.settings.pollInterval, () => this.check())
  }

  stop(): void {
    this.clock.cancel(this.timer)
    this.timer = null
    this.watching = false
  }

  /** Liveness counts only while a socket is open and welcomed. */
  watch(watching: boolean): void {
    this.watching = watching
    if (watching) this.recordFrame()
  }

  recordFrame(): void {
    this.lastFrameAt = this.clock.now()
  }

  check(): void {
    const now = this.clock.now()
    const { staleAfter } = this.settings
    const slept = sleptBetween(now, this.lastPollAt, this.lastFrameAt, staleAfter)
    this.lastPollAt = now
    if (this.watching && (slept || isStale(now, this.lastFrameAt, staleAfter))) {
      this.watching = false
      this.lineIsDead(slept ? "slept" : "stale")
    }
  }
}
