// When a confirmation means the page may have missed something: a pure function over numbers.
import type { CatchUpReason } from "./catch_up"

export interface Confirmation {
  /** The subscription had been confirmed before a drop. */
  again: boolean
  /** When the server rendered the content the subscription's first source belongs to (ms). */
  renderedAt: number
  now: number
}

export interface CatchUpPolicy {
  /** A first confirmation this long after the render catches up (ms). */
  catchUpAfter: number
  /** Catch up on every first confirmation. */
  onConnect: boolean
}

export function catchUpReason({ again, renderedAt, now }: Confirmation, policy: CatchUpPolicy): CatchUpReason | null {
  if (again) return "reconnect"
  if (policy.onConnect) return "connect"
  if (now - renderedAt >= policy.catchUpAfter) return "stale-page"
  return null
}

/**
 * The random wait before a reconnect's refetch (ms), uniform over [0, spread): a server restart drops every
 * page at once, and the backoff's jitter alone puts their refetches within ~0.3 s of each other.
 */
export function herdDelay(spread: number, random: () => number = Math.random): number {
  return Math.max(0, spread) * random()
}
