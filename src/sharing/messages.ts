// What the tabs and the shared worker say to each other over a MessagePort: one message type per thing the
// Line interface carries (line.ts), plus joining, leaving and the liveness of each side.
import type { LineSettings } from "../config"
import type { HistoryAnchor, HistoryOutcome, LineChange, LineState, PageWake } from "../line"
import type { SubscriptionFrame } from "../protocol"
import type { RegistryTiming } from "../config"

/** Bumped when these messages change: a worker name carries it, so tabs of two versions never share one. */
export const SHARING_VERSION = 2

/** The line's settings a tab hands the worker: the URL resolved (only a fixed URL is shared), no functions. */
export type SharedSettings = Omit<LineSettings, "url" | "refreshCredentials"> & RegistryTiming & { url: string; debug: boolean }

/** The shared line as a tab mirrors it. */
export interface LineSnapshot {
  state: LineState
  extended: boolean
  sessionId: string | null
  rejoiningAfterWake: boolean
}

export type TabMessage =
  | { type: "join"; settings: SharedSettings } // the first message of a tab: answered with `joined`
  | { type: "open" }
  | { type: "send"; command: string }
  | { type: "subscribe"; identifier: string; anchor: HistoryAnchor }
  | { type: "unsubscribe"; identifier: string }
  | { type: "wake"; why: PageWake }
  | { type: "leave" } // the page is going (pagehide), stopped by its app, or now for another identity
  | { type: "pong" }
  | { type: "probe" } // the tab heard nothing for a while: is the worker there? (answered with a ping)

export type WorkerMessage =
  | { type: "joined"; line: LineSnapshot; tabs: number }
  | { type: "line"; line: LineSnapshot; reason?: LineChange["reason"] }
  | { type: "welcome"; restoredIds: string[] }
  | { type: "frame"; frame: SubscriptionFrame }
  | { type: "lost"; willReconnect: boolean }
  | { type: "history"; identifier: string; outcome: HistoryOutcome }
  | { type: "tabs"; count: number }
  | { type: "ping" }
  | { type: "evicted" } // the tab was silent too long (frozen, crashed): it holds nothing here any more
  | { type: "log"; args: string[] } // the worker's debug lines, for tabs that log

/** The worker pings every tab this often; a tab silent for EVICT_AFTER (frozen, crashed) is let go. */
export const PING_INTERVAL = 1_000
export const EVICT_AFTER = 30_000
/**
 * A tab that heard nothing from its worker this long probes it, and one that does not answer within
 * PROBE_TIMEOUT is gone (the browser ended it, or its process crashed): the tab starts a new one. A tab just
 * resumed from a freeze has its answer at once, from the pings queued for it.
 */
export const WORKER_SILENT_AFTER = 2_000
export const PROBE_TIMEOUT = 500
/** A tab's first join waits this long for the worker (it may have to load) before the tab opens a socket of its own. */
export const JOIN_TIMEOUT = 500
