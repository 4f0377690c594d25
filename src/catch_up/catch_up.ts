// After a reconnect (or on a page born stale) the page may have missed broadcasts: fetch it again and
// morph it into place, holding live messages until the page is current, then applying them in order.
import { reconnectDelay, type BackoffPolicy } from "../cable/backoff"
import { sleep, type Clock } from "../cable/clock"
import { debug } from "../log"
import { LocalRenders } from "./local_renders"
import { morphBody, type TurboMorph } from "./morph"
import { captureUserState } from "./preserve"
import { herdDelay } from "./policy"
import { refetchVerdict, retryAfterDelay } from "./retry_after"

/** Why a catch-up runs ("overflow": live messages held during a long catch-up passed their bound and were dropped). */
export type CatchUpReason = "reconnect" | "stale-page" | "connect" | "overflow"

/** How a page catches up: refetch and morph, Turbo's own page refresh, nothing, or the app's function. */
export type CatchUpStrategy = "morph" | "refresh" | "none" | ((reason: CatchUpReason) => void | Promise<void>)

export const CatchUpEvent = {
  /** Before a catch-up; cancelable. `detail: {reason, strategy}`. */
  before: "turbo-cable:before-catch-up",
  /** The page is current again. `detail: {reason, strategy, duration}`. */
  caughtUp: "turbo-cable:caught-up",
  /** The catch-up gave up (a 4xx other than 408/429, a redirect away, or retries spent). `detail: {reason, error}`. */
  failed: "turbo-cable:catch-up-failed",
} as const

export const STRATEGY_META = "turbo-cable-catch-up"
export const CATCH_UP_HEADER = "X-Turbo-Cable-Catch-Up"
const REFETCH_TIMEOUT = 10_000

export interface CatchUpHost {
  /** True when every subscription that should be confirmed is: a refetch now misses nothing. */
  ready(): boolean
  /** True while the socket is welcomed: a server that sheds load is asked again for as long as this holds. */
  connected(): boolean
  /** Hold incoming messages / apply the held ones in order. */
  holdMessages(): void
  releaseMessages(): void
  turbo(): TurboMorph & { session?: { refresh?(url: string): void } }
  /** A catch-up started (the page shows `catching-up`), succeeded, or gave up. */
  catchingUp(reason: CatchUpReason): void
  caughtUp(reason: CatchUpReason): void
  gaveUp(reason: CatchUpReason): void
}

export interface CatchUpSettings {
  strategy: CatchUpStrategy
  backoff: BackoffPolicy
  /** Attempts at a refetch that failed on the network or with a 5xx other than 503. */
  maxAttempts: number
  /** Longest wait for subscriptions to confirm before catching up anyway (ms). */
  settleTimeout: number
  /** A reconnect's refetch waits a random 0..spread ms, so pages dropped together do not ask in the same instant. */
  spread: number
}

class GiveUp extends Error {}

/** The strategy for this page: `<meta name="turbo-cable-catch-up" content="morph|refresh|none">` wins over configuration. */
export function pageStrategy(configured: CatchUpStrategy, doc: Document | undefined = globalThis.document): CatchUpStrategy {
  const meta = doc?.head?.querySelector<HTMLMetaElement>(`meta[name="${STRATEGY_META}"]`)?.content
  return meta == "morph" || meta == "refresh" || meta == "none" ? meta : configured
}

export class CatchUp {
  private running = false
  private requested: { reason: CatchUpReason; at: number } | null = null

  constructor(
    private readonly host: CatchUpHost,
    private readonly settings: () => CatchUpSettings,
    private readonly localRenders: LocalRenders,
    private readonly clock: Clock,
  ) {}

  /** Asks for a catch-up; many requests before it starts, or while one runs, make one more, not many. */
  request(reason: CatchUpReason): void {
    if (pageStrategy(this.settings().strategy) == "none") return debug("catch-up skipped: strategy none")
    this.requested ??= { reason, at: this.clock.now() }
    this.startIfReady()
  }

  /** Called when subscriptions settle and on every poll. */
  startIfReady(): void {
    if (this.running || !this.requested) return
    const waited = this.clock.now() - this.requested.at
    if (!this.host.ready() && waited < this.settings().settleTimeout) return
    const { reason } = this.requested
    this.requested = null
    this.running = true
    this.run(reason).finally(() => {
      this.running = false
      this.startIfReady()
    })
  }

  private async run(reason: CatchUpReason): Promise<void> {
    const strategy = pageStrategy(this.settings().strategy)
    const strategyName = typeof strategy == "function" ? "custom" : strategy
    if (!dispatch(CatchUpEvent.before, { reason, strategy: strategyName }, true)) return debug("catch-up canceled by the app")
    const started = this.clock.now()
    debug("catching up:", reason, strategyName)
    this.host.holdMessages()
    this.host.catchingUp(reason)
    try {
      // After a restart every page reconnects within the backoff's first window: spread their requests further.
      // The app's own function decides its own timing.
      if (reason == "reconnect" && typeof strategy != "function") await sleep(this.clock, herdDelay(this.settings().spread))
      if (typeof strategy == "function") await strategy(reason)
      else if (strategy == "refresh") await this.turboRefresh()
      else await this.refetchAndMorph()
      this.host.releaseMessages()
      this.host.caughtUp(reason)
      dispatch(CatchUpEvent.caughtUp, { reason, strategy: strategyName, duration: this.clock.now() - started })
    } catch (error) {
      this.host.releaseMessages()
      this.host.gaveUp(reason)
      debug("catch-up failed:", error)
      dispatch(CatchUpEvent.failed, { reason, error: error instanceof Error ? error.message : String(error) })
    }
  }

  private async refetchAndMorph(): Promise<void> {
    const url = location.href
    // From here the page's own stream renders are newer than the page being fetched: the morph would undo them.
    this.localRenders.hold()
    try {
      const page = await this.fetchPage(url)
      // Parsing a big page is a task of its own: the capture, morph and restore that follow must share one
      // task (nothing the user does may land between them), and need not carry the parse too.
      await nextTask()
      // The user may have navigated away while the page was in flight.
      if (location.href != url) return
      const state = captureUserState()
      await morphBody(page, this.host.turbo())
      state.restore()
    } finally {
      this.localRenders.release()
    }
  }

  private async fetchPage(url: string): Promise<Document> {
    const { maxAttempts, backoff } = this.settings()
    // Faults (the network, a 5xx) spend attempts; a server shedding load (429, 503, 408) spends none while the
    // cable is connected: it will answer, and until it does the page is stale.
    let faults = 0
    for (let tries = 0; ; tries++) {
      let delay: number
      // Live messages are held until the page is current: a refetch that hangs must not hold them for ever.
      const abort = new AbortController()
      const timer = this.clock.setTimeout(() => abort.abort(new Error("the page took too long")), REFETCH_TIMEOUT)
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "text/html, application/xhtml+xml", [CATCH_UP_HEADER]: "1" },
          signal: abort.signal,
        })
        if (response.redirected && new URL(response.url).pathname != new URL(url).pathname) {
          throw new GiveUp(`the page now redirects to ${response.url}`)
        }
        const verdict = refetchVerdict(response.status)
        if (verdict == "give-up") throw new GiveUp(`the page answered ${response.status}`)
        if (verdict == "retry") throw new Error(`the page answered ${response.status}`)
        if (verdict == "wait") {
          // Off the cable, a refusal counts as a fault: the next reconnect catches up anyway.
          if (!this.host.connected()) throw new Error(`the page answered ${response.status}`)
          delay = retryAfterDelay(response.headers.get("retry-after"), this.clock.now()) ?? reconnectDelay(tries, backoff)
          debug(`the page answered ${response.status}, asking again in ${Math.round(delay)} ms`)
        } else {
          if (!/html/.test(response.headers.get("content-type") ?? "")) throw new GiveUp("the page is not HTML")
          return new DOMParser().parseFromString(await response.text(), "text/html")
        }
      } catch (error) {
        if (error instanceof GiveUp || ++faults >= maxAttempts) throw error
        delay = reconnectDelay(tries, backoff)
        debug(`refetch failed (${error}), trying again in ${Math.round(delay)} ms`)
      } finally {
        this.clock.clearTimeout(timer)
      }
      await sleep(this.clock, delay)
    }
  }

  private turboRefresh(): Promise<void> {
    const session = this.host.turbo().session
    if (!session?.refresh) return this.refetchAndMorph()
    const clock = this.clock
    return new Promise((resolve) => {
      const timer = clock.setTimeout(done, 10_000)
      function done() {
        clock.clearTimeout(timer)
        document.removeEventListener("turbo:load", done)
        resolve()
      }
      document.addEventListener("turbo:load", done)
      session.refresh!(location.href)
    })
  }
}

/** Lets the browser paint and handle input between the long parts of a big page's catch-up. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

function dispatch(name: string, detail: object, cancelable = false): boolean {
  return globalThis.document?.dispatchEvent(new CustomEvent(name, { detail, cancelable })) ?? true
}
