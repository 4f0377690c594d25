// How often a server that is down is asked whether it listens again (over HTTP: reachability.ts). Pure
// functions over numbers, so the schedule is tested on the fake clock without waiting.
//
// Two aims pull apart. A restarted server (back within seconds) should be rejoined within a second of
// listening; an outage of any length should end within 3 s of the server listening, at a bounded cost.
// So the probes of an outage's first 3 s come quickly, then one every 2.5 s on average:
//
//   drop -- backoff (150-450 ms) -- probe -- for 3 s, 250-750 ms apart (~6) -- then 2250-2750 ms apart
//
// Gaps run from one probe's start to the next one's, so a probe that hangs (a stopped server) does not
// stretch the schedule. Every gap is drawn anew, so a fleet dropped at once by a crash asks at spread
// moments, and rejoins over a window as wide as the gap when the server comes back. Tabs that share a
// connection share its prober (one per browser).

export interface ProbePhase {
  /** The mean gap between two probes' starts (ms). */
  gap: number
  /** Each gap is drawn uniformly from [gap * (1 - jitter), gap * (1 + jitter)]. */
  jitter: number
}

export interface ProbePolicy {
  /** How long after the first probe that found the server down the quick phase lasts (ms). */
  quickFor: number
  quick: ProbePhase
  steady: ProbePhase
}

/**
 * The quick phase covers the 3 s after a drop in which a restarting server usually listens again (puma with
 * a small Rails app here: ~1.4 s), each probe at most 750 ms after the one before. From then on, at most
 * 2750 ms between probes: a server back at any moment is asked within that, and the socket, welcome and
 * refetch that follow take a few hundred ms; on average one request per 2.5 s (24 a minute).
 */
export const PROBE_POLICY: Readonly<ProbePolicy> = {
  quickFor: 3_000,
  quick: { gap: 500, jitter: 0.5 },
  steady: { gap: 2_500, jitter: 0.1 },
}

/**
 * The gap (ms) from the start of a probe that found the server down to the next probe's start; `downFor` is
 * how long (ms) before that probe the first one of this outage found the server down (0 for the first).
 */
export function probeGap(downFor: number, policy: ProbePolicy = PROBE_POLICY, random: () => number = Math.random): number {
  const { gap, jitter } = downFor < policy.quickFor ? policy.quick : policy.steady
  return gap * (1 + jitter * (2 * random() - 1))
}

/** The longest any gap can be (ms): how long a server that listens again may wait to be asked. */
export function longestProbeGap(policy: ProbePolicy = PROBE_POLICY): number {
  return Math.max(policy.quick.gap * (1 + policy.quick.jitter), policy.steady.gap * (1 + policy.steady.jitter))
}
