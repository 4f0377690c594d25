// Reconnect timing: pure functions over numbers, so tests call them without waiting.

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter (ms). */
  firstDelay: number
  /** Growth per further attempt. */
  factor: number
  /** No delay exceeds this (ms). */
  maxDelay: number
  /** Each delay is drawn uniformly from [d * (1 - jitter), d * (1 + jitter)]. */
  jitter: number
}

/**
 * The wait before reconnect attempt `attempt` (0 = the first retry after a drop).
 * Jitter on every attempt spreads a thousand clients over a window after a deploy.
 */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelay, policy.firstDelay * Math.pow(policy.factor, Math.max(0, attempt)))
  const spread = base * policy.jitter * (2 * random() - 1)
  return Math.max(0, Math.min(policy.maxDelay, base + spread))
}
