// A clock whose time moves only when a test says so: timers fire in order as `advance` passes them.
import type { Clock, TimerHandle } from "../../src/clock"

interface Timer {
  id: number
  at: number
  callback: () => void
  every?: number
}

export class FakeClock implements Clock {
  private time = 1_700_000_000_000
  private nextId = 1
  private timers: Timer[] = []

  now(): number {
    return this.time
  }

  after(ms: number, callback: () => void): TimerHandle {
    return this.add({ id: this.nextId++, at: this.time + Math.max(0, ms), callback })
  }

  every(ms: number, callback: () => void): TimerHandle {
    return this.add({ id: this.nextId++, at: this.time + ms, callback, every: ms })
  }

  cancel(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle)
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!due) break
      this.time = Math.max(this.time, due.at)
      // A late interval fires once, as a browser's does after a sleep, then keeps its period from now.
      if (due.every) due.at = this.time + due.every
      else this.cancel(due.id)
      due.callback()
    }
    this.time = end
  }

  /**
   * As `advance`, letting promises settle after each timer (a probe's answer, say) before the next one is due:
   * for code that waits on a timer, then on a promise, then on a timer again.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.time + ms
    await settle()
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!due) break
      this.advance(due.at - this.time)
      await settle()
    }
    this.time = end
  }

  /** Moves the wall clock without firing timers: a machine that slept. */
  jump(ms: number): void {
    this.time += ms
  }

  get pending(): number {
    return this.timers.length
  }

  private add(timer: Timer): number {
    this.timers.push(timer)
    return timer.id
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
