// When the page catches up and how: pure functions over numbers, and the names the app sees. The catch-up
// itself (catch_up.ts) loads only when a page first needs one.
import { readMeta } from "../dom"
import type { CatchUpReason, CatchUpStrategy, HiddenCatchUpMode } from "../config"



export const CatchUpEvent = {
  /** Before a catch-up; cancelable. `detail: {reason, strategy}`. */
  before: "turbo-cable:before-catch-up",
  /** The page is current again. `detail: {reason, strategy, duration}`. */
  caughtUp: "turbo-cable:caught-up",
  /** The catch-up gave up (a 4xx other than 408/429, a redirect away, or retries spent). `detail: {reason, error}`. */
  failed: "turbo-cable:catch-up-failed",
} as const

export const STRATEGY_META = "turbo-cable-catch-up"
/** `<meta name="turbo-cable-catch-up-on-connect" content="true">`: catch up on every first confirmation. */
export const ON_CONNECT_META = "turbo-cable-catch-up-on-connect"
export const HIDDEN_META = "turbo-cable-hidden-catch-up"


/** The strategy for this page: `<meta name="turbo-cable-catch-up" content="morph|refresh|none">` wins over configuration. */
export function pageStrategy(configured: CatchUpStrategy, doc?: Document): CatchUpStrategy {
  const meta = readMeta(STRATEGY_META, doc)
  return meta == "morph" || meta == "refresh" || meta == "none" ? meta : configured
}

/**
 * Whether a page refetch waits until the tab is shown: the tab is hidden and its mode is "defer"
 * (`<meta name="turbo-cable-hidden-catch-up" content="defer|now">` wins over configuration).
 */
export function waitsUntilShown(configured: HiddenCatchUpMode, doc: Document): boolean {
  const meta = readMeta(HIDDEN_META, doc)
  return doc.visibilityState == "hidden" && (meta == "now" || meta == "defer" ? meta : configured) == "defer"
}

export interface Confirmation {
  /** The feed had been confirmed before a drop. */
  confirmedBefore: boolean
  /** It joined a subscription its connection held, which delivered messages since the page was requested. */
  missed?: boolean
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

export function catchUpReason({ confirmedBefore, missed, renderedAt, now }: Confirmation, policy: CatchUpPolicy): CatchUpReason | null {
  if (confirmedBefore) return "reconnect"
  if (missed) return "stale-page"
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
