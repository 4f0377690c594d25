// The extended protocol's history, for every subscription of the line: each subscribe (and each session
// restore) asks for what was missed, and what arrives passes through the subscription's positions
// (stream_positions.ts) before the registry sees it. Loaded with the socket's code only.
import type { Clock, TimerHandle } from "../clock"
import type { HistoryAnchor, HistoryOutcome } from "../line"
import { historyCommand, subscribeCommand, subscribeWithHistory, type StreamPosition } from "../protocol"
import { SubscriptionPositions } from "./stream_positions"

interface Tracked extends SubscriptionPositions<unknown> {
  /** Its subscribe asked no history: the confirmation says "none". */
  askedNothing?: boolean
}

/**
 * A history request unanswered this long (ms) counts as refused: what it held is applied and the page refetches.
 * anycable-go always answers; this bounds how long live messages wait on a server that does not.
 */
export const HISTORY_TIMEOUT = 10_000

export class StreamHistory {
  private readonly feeds = new Map<string, Tracked>()
  private readonly timers = new Map<string, TimerHandle>()

  constructor(
    private readonly clock: Clock,
    /** A request went unanswered for HISTORY_TIMEOUT. */
    private readonly overdue: (identifier: string) => void,
  ) {}

  /** The subscribe for `identifier`, with a history request when there is anything to ask. */
  subscribe(identifier: string, anchor: HistoryAnchor): string {
    let feed = this.feeds.get(identifier)
    // A new subscription (not one subscribed again after a drop) starts from its content's render time.
    if (!feed || !anchor.confirmedBefore) this.feeds.set(identifier, (feed = new SubscriptionPositions(anchor.since)))
    const request = feed.request()
    feed.askedNothing = !request
    if (!request) return subscribeCommand(identifier)
    this.awaitHistory(identifier, feed)
    return subscribeWithHistory(identifier, request)
  }

  /** History requests for a restored session's subscriptions (none for one unsubscribed since); `outcome` "none" for those that can ask nothing. */
  restore(identifiers: readonly string[], outcome: (identifier: string, outcome: HistoryOutcome) => void): string[] {
    const commands: string[] = []
    for (const identifier of identifiers) {
      const feed = this.feeds.get(identifier)
      const request = feed?.request()
      if (!feed || !request) {
        outcome(identifier, "none")
        continue
      }
      this.awaitHistory(identifier, feed)
      commands.push(historyCommand(identifier, request))
    }
    return commands
  }

  /**
   * The subscription was confirmed at `now` (ms): true when it asked for no history (its outcome is "none").
   * One that knows no time to ask from asks from now after a drop.
   */
  confirmed(identifier: string, now: number): boolean {
    const feed = this.feeds.get(identifier)
    if (feed) feed.since ??= Math.floor(now / 1000)
    if (!feed?.askedNothing) return false
    feed.askedNothing = false
    return true
  }

  /** A broadcast: what to hand on now. */
  receive(identifier: string, message: unknown, position?: StreamPosition): unknown[] {
    const feed = this.feeds.get(identifier)
    return feed ? feed.receive({ message, position }) : [message]
  }

  /** `confirm_history` or `reject_history` (or a rejected subscribe): the held messages, in order, each once. */
  answered(identifier: string): unknown[] {
    this.clock.cancel(this.timers.get(identifier))
    this.timers.delete(identifier)
    return this.feeds.get(identifier)?.historyAnswered() ?? []
  }

  forget(identifier: string): void {
    this.answered(identifier)
    this.feeds.delete(identifier)
  }

  /** The connection dropped: nothing held survives it (the next history asks from the last applied position). */
  lost(): void {
    for (const timer of this.timers.values()) this.clock.cancel(timer)
    this.timers.clear()
    for (const feed of this.feeds.values()) feed.letGo()
  }

  private awaitHistory(identifier: string, feed: Tracked): void {
    feed.awaitHistory()
    this.clock.cancel(this.timers.get(identifier))
    this.timers.set(
      identifier,
      this.clock.after(HISTORY_TIMEOUT, () => {
        this.timers.delete(identifier)
        if (feed.holding) this.overdue(identifier)
      }),
    )
  }
}
