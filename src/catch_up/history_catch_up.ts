// On AnyCable's extended protocol a page catches up from its streams' history instead of refetching: a
// confirmed feed that would catch up waits for its history's outcome; the page is caught up when every such
// feed's history was replayed, and only a refused one (`reject_history`: expired, another epoch) or one that
// could ask for nothing (no position, no render time) falls back to the refetch.
import type { Clock } from "../clock"
import type { HistoryOutcome } from "../line"
import type { CatchUpReason } from "../config"

export interface HistoryCatchUpParts {
  /** Today's catch-up: refetch and morph (or the configured strategy). */
  refetch(reason: CatchUpReason): void
  /** Every feed's missed messages were applied: the page is current. */
  caughtUp(reason: CatchUpReason, duration: number): void
  /** No feed with sources is waiting for a confirmation. */
  answered(): boolean
  clock: Clock
}

export class HistoryCatchUp {
  /** Confirmed feeds whose history is unanswered, with why they would catch up (null: a fresh page's first confirmation). */
  private readonly awaiting = new Map<string, CatchUpReason | null>()
  /** Why the feeds answered so far this round needed catching up; null when none did. */
  private reason: CatchUpReason | null = null
  /** This round fell back to the refetch, which says when the page is caught up. */
  private refetched = false
  private startedAt = 0

  constructor(private readonly parts: HistoryCatchUpParts) {}

  /** A page-feeding feed was confirmed; its history's outcome follows. */
  confirmed(identifier: string, reason: CatchUpReason | null): void {
    if (!this.awaiting.size && !this.reason) this.startedAt = this.parts.clock.now()
    this.awaiting.set(identifier, reason)
  }

  outcome(identifier: string, outcome: HistoryOutcome): void {
    if (!this.awaiting.has(identifier)) return
    const reason = this.awaiting.get(identifier)!
    this.awaiting.delete(identifier)
    if (outcome == "confirmed") this.reason ??= reason
    else {
      // A refused history may have lost messages even on a fresh page: only a refetch brings them.
      const fallback = reason ?? (outcome == "rejected" ? "connect" : null)
      if (fallback) {
        this.refetched = true
        this.parts.refetch(fallback)
      }
    }
    this.settle()
  }

  /** Announces the page caught up once nothing is awaited (called again when the registry is answered). */
  settle(): void {
    if (this.awaiting.size || !this.parts.answered()) return
    if (this.reason && !this.refetched) this.parts.caughtUp(this.reason, this.parts.clock.now() - this.startedAt)
    this.reason = null
    this.refetched = false
  }

  /** The line dropped: what was awaited is asked again after the next welcome. */
  lost(): void {
    this.awaiting.clear()
    this.reason = null
    this.refetched = false
  }
}
