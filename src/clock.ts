// Time and timers: the only place in src/ that touches the platform's clock, so the whole core runs under
// a fake clock in tests (test/support/fake_clock.ts).

/** A pending timer, to cancel. */
export type TimerHandle = unknown

export interface Clock {
  /** Wall-clock time (ms): it keeps running while the machine sleeps, which is what reveals a sleep. */
  now(): number
  /** Calls `callback` once, `ms` from now. */
  after(ms: number, callback: () => void): TimerHandle
  /** Calls `callback` every `ms`. */
  every(ms: number, callback: () => void): TimerHandle
  /** Cancels a timer made by `after` or `every`; anything else is ignored. */
  cancel(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, callback) => ({ once: setTimeout(callback, ms) }),
  every: (ms, callback) => ({ every: setInterval(callback, ms) }),
  cancel(handle) {
    const timer = handle as { once?: ReturnType<typeof setTimeout>; every?: ReturnType<typeof setInterval> } | null
    if (timer?.once !== undefined) clearTimeout(timer.once)
    if (timer?.every !== undefined) clearInterval(timer.every)
  },
}

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve))
}

/** Resolves with `work`'s value, or with `fallback` if `work` takes longer than `ms`; the timer never outlives it. */
export function withTimeout<T>(clock: Clock, work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: TimerHandle
  const late = new Promise<T>((resolve) => (timer = clock.after(ms, () => resolve(fallback))))
  return Promise.race([work, late]).finally(() => clock.cancel(timer))
}

/** One timer for many deadlines: `at(time)` makes sure `due` runs at `time` or earlier, once for all asked by then. */
export class Alarm {
  private timer: TimerHandle = null
  private timerAt = Infinity

  constructor(
    private readonly clock: Clock,
    private readonly due: () => void,
  ) {}

  at(time: number): void {
    if (time >= this.timerAt) return
    this.clock.cancel(this.timer)
    this.timerAt = time
    this.timer = this.clock.after(Math.max(0, time - this.clock.now()), () => {
      this.timer = null
      this.timerAt = Infinity
      this.due()
    })
  }
}
