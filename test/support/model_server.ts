// An Action Cable server reduced to what a page can observe, keyed by identifier, for tests that let the
// test choose when it answers: it holds what it was sent, answers only subscribes it received and has not
// answered, ignores a subscribe it already holds (as Rails does) and forgets everything when the line drops.

/** What the server holds for one identifier: a subscribe it has not answered yet, or a confirmed subscription. */
export type HeldSubscription = "pending" | "confirmed"

export class ModelServer {
  /** Per identifier, what it holds on the current connection. */
  readonly held = new Map<string, HeldSubscription>()

  /** A command off the wire (the JSON the page sent). */
  receive(command: string): void {
    const { command: name, identifier } = JSON.parse(command) as { command: string; identifier: string }
    if (name == "subscribe" && !this.held.has(identifier)) this.held.set(identifier, "pending")
    if (name == "unsubscribe") this.held.delete(identifier)
  }

  /** Identifiers with a subscribe waiting for an answer, in the order the subscribes arrived. */
  get pending(): string[] {
    return this.holding("pending")
  }

  /** Identifiers with a confirmed subscription, in the order the subscribes arrived. */
  get confirmed(): string[] {
    return this.holding("confirmed")
  }

  /** Confirms the subscribe waiting for `identifier`; false (and nothing changes) when there is none. */
  confirm(identifier: string): boolean {
    if (this.held.get(identifier) != "pending") return false
    this.held.set(identifier, "confirmed")
    return true
  }

  /** Rejects the subscribe waiting for `identifier`: Rails removes a rejected subscription at once. */
  reject(identifier: string): boolean {
    if (this.held.get(identifier) != "pending") return false
    this.held.delete(identifier)
    return true
  }

  isConfirmed(identifier: string): boolean {
    return this.held.get(identifier) == "confirmed"
  }

  private holding(state: HeldSubscription): string[] {
    return [...this.held].filter(([, held]) => held == state).map(([identifier]) => identifier)
  }

  /** The connection is gone: a new one starts with no subscriptions. */
  drop(): void {
    this.held.clear()
  }
}
