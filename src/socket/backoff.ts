// Reconnect timing: pure functions over numbers, so tests call them without waiting.
import type { BackoffPolicy } from "../config"

/**
 * The wait before reconnect attempt `attempt` (0 = the first retry after a drop).
 * Jitter on every attempt spreads a thousand clients over a window after a deploy.
 */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelay, policy.firstDelay * Math.pow(policy.factor, Math.max(0, attempt)))
  const spread = base * policy.jitter * (2 * random() - 1)
  return Math.max(0, Math.min(policy.maxDelay, base + spread))
}
