// Where one subscription stands in its streams' histories (AnyCable's extended protocol), and the rule that
// makes delivery exact: a broadcast (stream, epoch, offset) is applied once, and never after a newer offset
// of its stream in the same epoch. Messages that arrive while a history request is unanswered are held, then
// applied in offset order.
import type { HistoryRequest, StreamPosition } from "../protocol"

/** A message as it came off the wire, with its place in its stream when the server gave one. */
export interface Placed<Message> {
  message: Message
  position?: StreamPosition
}

export class SubscriptionPositions<Message> {
  /** The last offset applied, per stream, with its epoch. */
  private readonly applied = new Map<string, { epoch: string; offset: number }>()
  /** Messages held while a history request is unanswered; null while not holding. */
  private held: Array<Placed<Message>> | null = null

  /** `since`: Unix seconds to ask history from while no position is known (when the content was rendered). */
  constructor(public since?: number) {}

  get holding(): boolean {
    return this.held !== null
  }

  /** What to ask the server for: after each known position, else since `since`; null when it can ask for neither. */
  request(): HistoryRequest | null {
    if (!this.applied.size && this.since === undefined) return null
    const streams = Object.fromEntries(this.applied)
    return this.since === undefined ? { streams } : { since: this.since, streams }
  }

  /** From now until the history's answer, messages are held. */
  awaitHistory(): void {
    this.held ??= []
  }

  /** A live or replayed message: what to apply now (nothing while holding, or when it was applied before). */
  receive(placed: Placed<Message>): Message[] {
    if (this.held) {
      this.held.push(placed)
      return []
    }
    return this.admit(placed) ? [placed.message] : []
  }

  /** The history was answered: the held messages, each stream's in offset order, each applied once. */
  historyAnswered(): Message[] {
    const held = this.held ?? []
    this.held = null
    return inOffsetOrder(held)
      .filter((placed) => this.admit(placed))
      .map((placed) => placed.message)
  }

  /** The connection dropped: held messages are let go; no position moved past them, so the next history brings them. */
  letGo(): void {
    this.held = null
  }

  private admit({ position }: Placed<Message>): boolean {
    if (!position) return true // transient: not in any history, so never replayed
    const last = this.applied.get(position.stream)
    if (last && last.epoch == position.epoch && position.offset <= last.offset) return false
    // A new epoch is a new life of the server's history: its offsets start again.
    this.applied.set(position.stream, { epoch: position.epoch, offset: position.offset })
    return true
  }
}

/** Each stream's messages sorted by offset, streams in the order they first appear; unplaced ones last, as they came. */
export function inOffsetOrder<Message>(held: Array<Placed<Message>>): Array<Placed<Message>> {
  const byStream = new Map<string, Array<Placed<Message>>>()
  const unplaced: Array<Placed<Message>> = []
  for (const placed of held) {
    if (!placed.position) unplaced.push(placed)
    else (byStream.get(placed.position.stream) ?? byStream.set(placed.position.stream, []).get(placed.position.stream)!).push(placed)
  }
  const sorted = [...byStream.values()].flatMap((messages) => messages.sort((a, b) => a.position!.offset - b.position!.offset))
  return sorted.concat(unplaced)
}
