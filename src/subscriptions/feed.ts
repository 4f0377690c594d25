// One server subscription and the sources that share it (a feed), with what it has delivered lately: a source
// that joins a feed its connection already holds (a tab joining the shared connection, a Turbo visit's new
// page showing a stream the old one showed) gets, or is told it lacks, what the feed delivered after the
// source's content was requested.
import type { HistoryAnchor } from "../line"
import type { PresenceEvent } from "../protocol"

/** What a feed tells the elements, app channels and tabs that use it. */
export interface FeedSource {
  /**
   * `confirmedBefore`: it had been confirmed before the line dropped, so messages may have been missed.
   * `missed`: the feed was held already when the source joined, and delivered messages its content may lack.
   */
  subscriptionConfirmed(confirmedBefore: boolean, missed: boolean): void
  /** `willReconnect`: false once the line has stopped for good. */
  subscriptionLost(willReconnect: boolean): void
  subscriptionRejected(): void
  /**
   * A source with a receiver of its own (an app channel's subscription, a tab of the shared connection) gets each
   * message itself, whatever JSON it is. Sources without one (stream elements) share one delivery to the page.
   */
  receive?(message: unknown): void
  /** Presence on the feed's stream (AnyCable's extended protocol). */
  presenceChanged?(event: PresenceEvent): void
}

/** What a source says of the content it feeds, when it joins. */
export interface FeedContent {
  /** When the content was rendered (ms): a first confirmation long after it catches the page up (a stale page). */
  renderedAt?: number
  /**
   * When the content was requested (ms, this browser's clock): what the feed delivered from then on may be missing
   * from it. Absent for content that has had all the feed delivered (a source made by script on a live page).
   */
  requestedAt?: number
  /** Unix seconds to ask a new subscription's history from (AnyCable's extended protocol); absent when unknown. */
  since?: number
}

export type Phase =
  | "idle" // not on the wire (no connection yet, it dropped, or a subscribe waits behind an unsubscribe)
  | "pending" // subscribe sent, no answer yet
  | "confirmed"
  | "rejected"

/** Messages kept for a feed between its last source leaving and a new one arriving. */
const MAX_KEPT_MESSAGES = 1_000
/** What a feed remembers of what it delivered, for sources that join it: this many messages, this long (ms). */
export const RECENT_LIMIT = 100
export const RECENT_WINDOW = 30_000

export class Feed {
  readonly sources = new Set<FeedSource>()
  phase: Phase = "idle"
  sentAt = 0
  retries = 0
  confirmedBefore = false
  /** Its last source left: it lingers until then for a source to come back before it is unsubscribed. */
  lingerUntil: number | null = null
  /** It stopped lingering while its subscribe was in flight: unsubscribe once it is confirmed. */
  retireOnConfirm = false
  /** Messages that arrived while it had no source, for the next one. */
  kept: unknown[] = []
  /** What it delivered (or kept) lately, oldest first, with when. */
  private recent: Array<{ message: unknown; at: number }> = []
  /** From when `recent` is complete: the first confirmation, or the last message it had to forget. */
  private completeSince = Infinity

  constructor(
    readonly identifier: string,
    /** The content its first source feeds: when it was rendered and what to ask history from. */
    readonly content: FeedContent,
  ) {}

  get lingering(): boolean {
    return this.lingerUntil !== null
  }

  get feedsPage(): boolean {
    for (const source of this.sources) if (!source.receive) return true
    return false
  }

  get anchor(): HistoryAnchor {
    const { since, requestedAt } = this.content
    return { since, requestedAt, confirmedBefore: this.confirmedBefore }
  }

  /** Confirmed at `now`: what it delivers from now on is known. */
  confirmedAt(now: number): void {
    this.completeSince = Math.min(this.completeSince, now)
  }

  /** A message delivered (or kept, with no source) at `now`. */
  delivered(message: unknown, now: number, kept: boolean): void {
    if (kept) {
      if (this.kept.length >= MAX_KEPT_MESSAGES) return
      this.kept.push(message)
    }
    this.recent.push({ message, at: now })
    while (this.recent.length > RECENT_LIMIT || (this.recent.length && this.recent[0].at < now - RECENT_WINDOW)) {
      this.completeSince = Math.max(this.completeSince, this.recent.shift()!.at)
    }
  }

  /** What content requested at `requestedAt` may lack of what this feed delivered; null when it remembers too little. */
  missedSince(requestedAt: number): unknown[] | null {
    return requestedAt < this.completeSince ? null : this.recent.filter(({ at }) => at >= requestedAt).map(({ message }) => message)
  }

  /** The connection dropped: what it delivers next is known again only from its next confirmation. */
  lost(): void {
    this.recent = []
    this.completeSince = Infinity
  }
}
