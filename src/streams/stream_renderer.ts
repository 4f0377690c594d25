// Hands received messages to Turbo: only Turbo Streams, in arrival order, each once. Messages that arrive
// together (a burst queues many socket frames) go to Turbo in one call: Turbo parses, checks permanent
// elements and autofocus once per call, and each <turbo-stream> still renders with its own events.
import type { Clock } from "../clock"
import { debug, logError } from "../log"
import { streamHtml } from "./stream_html"

/**
 * The most messages held while the page catches up. A catch-up that waits out a server's Retry-After may
 * hold for a minute; a busy stream must not grow the page's memory without end. 10,000 typical messages
 * are a few MB.
 */
export const MAX_HELD_MESSAGES = 10_000

/** The part of Turbo that applies stream messages. */
export interface StreamSink {
  renderStreamMessage(html: string): void
}

export class StreamRenderer {
  private pending: string[] = []
  private flushScheduled = false
  /** True while the page catches up: messages wait, and are applied in order afterwards. */
  private paused = false

  /**
   * `overflowed` is called when the held messages pass `maxHeld` and are dropped: applying them early would
   * let the morph undo them, and skipping them silently would lose them, so the caller catches up once more
   * from a refetch made after the drop, which carries their effect.
   */
  constructor(
    private readonly sink: () => StreamSink,
    private readonly clock: Clock,
    private readonly overflowed: () => void = () => {},
    private readonly maxHeld: number = MAX_HELD_MESSAGES,
  ) {}

  /** A message for the page, straight from the registry. */
  readonly render = (message: unknown): void => {
    const html = streamHtml(message)
    if (html === null) return debug("message ignored, not a Turbo Stream:", message)
    if (this.paused && this.pending.length >= this.maxHeld) {
      debug(`more than ${this.maxHeld} messages held: dropped, the page catches up again`)
      this.pending = []
      this.overflowed()
    }
    this.pending.push(html)
    if (!this.paused && !this.flushScheduled) {
      this.flushScheduled = true
      // A task, not a microtask: frames already queued behind this one join the same call. Turbo defers
      // each action to the next frame anyway, so this adds no frame of latency.
      this.clock.after(0, this.flushNow)
    }
  }

  /** Messages wait from now until `resume`. */
  pause(): void {
    this.paused = true
  }

  /** Applies what was held, first passed through `held` (the catch-up leaves out what its page already shows). */
  resume(held?: (html: string) => string): void {
    this.paused = false
    if (held && this.pending.length) {
      try {
        this.pending = [held(this.pending.join(""))]
      } catch (error) {
        debug("held messages applied as they came:", error)
      }
    }
    this.flush()
  }

  private readonly flushNow = (): void => {
    this.flushScheduled = false
    this.flush()
  }

  private flush(): void {
    if (this.paused || this.pending.length == 0) return
    const html = this.pending.length == 1 ? this.pending[0] : this.pending.join("")
    this.pending = []
    try {
      this.sink().renderStreamMessage(html)
    } catch (error) {
      logError("a stream message failed to render", error)
    }
  }
}
