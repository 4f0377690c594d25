// What every scenario gets: the settings (counts, runs), the servers, the browser; and what it returns.
import type { Browser } from "@playwright/test"
import type { ClientId } from "../clients"
import type { ProfileSummary } from "./profile"
import type { Row } from "./results"
import type { NodeServer } from "../../test/support/node_server"
import type { BenchWeb } from "./web"

export const SCENARIO_IDS = ["size", "burst", "latency", "many_streams", "churn", "reconnect", "history", "tabs"] as const
export type ScenarioId = (typeof SCENARIO_IDS)[number]

export interface Settings {
  quick: boolean
  /** Runs per scenario; each run measures every client once, in rotated order. */
  runs: Record<ScenarioId, number>
  burst: { messages: number }
  latency: { perSecond: number; seconds: number }
  manyStreams: { sources: number }
  churn: { cycles: number; batch: number; streams: number }
  reconnect: {
    /** How long to wait for a client to notice a frozen server. */
    deadLineTimeoutMs: number
    /** How long the app port stays closed in the restart scenario. */
    downMs: number
    /** How long to wait, after the app listens again, for the item written while it was down. */
    catchUpTimeoutMs: number
    /** How long the page stays frozen (the write happens in the middle). */
    frozenMs: number
    resumeTimeoutMs: number
  }
  history: {
    /** Pages in the deploy herd, all in one browser context per client. */
    herdPages: number
    /** Writes made while a page's line is down. */
    writes: number
    /** How long the app port stays closed in the herd's restart. */
    downMs: number
    /** How long to wait, after the drop or the restart, for the writes. */
    catchUpTimeoutMs: number
  }
  tabs: {
    /** Tabs of one browser profile, in the connections and the deploy figures (one visible, the rest hidden). */
    tabs: number
    /** Seconds of broadcasts (at latency.perSecond) per latency measure. */
    latencySeconds: number
    burstMessages: number
    /** How long the app port stays closed in the deploy. */
    downMs: number
    /** How long to wait for a missed write (after the server listens, or after a tab is shown). */
    catchUpTimeoutMs: number
    /** How long to wait, after the first tab closes, for the write in the other. */
    takeoverTimeoutMs: number
  }
}

export function settingsFor(quick: boolean, runsOverride?: number): Settings {
  const runs: Record<ScenarioId, number> = quick
    ? { size: 1, burst: 1, latency: 1, many_streams: 1, churn: 1, reconnect: 1, history: 1, tabs: 1 }
    : { size: 1, burst: 5, latency: 3, many_streams: 5, churn: 3, reconnect: 3, history: 2, tabs: 2 }
  if (runsOverride) for (const id of SCENARIO_IDS) if (id != "size") runs[id] = runsOverride
  return {
    quick,
    runs,
    burst: { messages: quick ? 300 : 2000 },
    latency: { perSecond: 200, seconds: quick ? 2 : 10 },
    manyStreams: { sources: quick ? 50 : 200 },
    churn: { cycles: quick ? 1000 : 10_000, batch: 10, streams: 50 },
    reconnect: { deadLineTimeoutMs: 20_000, downMs: 2_000, catchUpTimeoutMs: 12_000, frozenMs: 3_000, resumeTimeoutMs: 6_000 },
    history: { herdPages: quick ? 10 : 50, writes: 5, downMs: 2_000, catchUpTimeoutMs: 15_000 },
    tabs: {
      tabs: 5,
      latencySeconds: quick ? 2 : 5,
      burstMessages: quick ? 300 : 2000,
      downMs: 2_000,
      // turbo-rails' tabs took 9-11 s to reconnect after the restart in trials.
      catchUpTimeoutMs: 20_000,
      takeoverTimeoutMs: 10_000,
    },
  }
}

export interface Bench {
  settings: Settings
  server: NodeServer
  web: BenchWeb
  browser: Browser
  clients: ClientId[]
  log(line: string): void
  /** A stream or list name not used before in this process. */
  unique(prefix: string): string
}

export interface ScenarioResult {
  rows: Row[]
  /** Markdown paragraphs for RESULTS.md: method, caveats, anything a row cannot say. */
  notes: string[]
  profile?: { summary: ProfileSummary; messages: number }
  /** Markdown sections of their own (a "## " heading each) for RESULTS.md. */
  sections?: string[]
}
