// After a reconnect (or on a page born stale) the page may have missed broadcasts: fetch it again and
// morph it into place, holding live messages until the page is current, then applying them in order.
import { reconnectDelay } from "../socket/backoff"
import type { BackoffPolicy, CatchUpReason, CatchUpStrategy } from "../config"
import { sleep, withTimeout, type Clock, type TimerHandle } from "../clock"
import type { Registry } from "../subscriptions/registry"
import type { PageStatus } from "../status"
import { dispatch } from "../dom"
import { debug } from "../log"
import type { StreamRenderer } from "../streams/stream_renderer"
import { LocalRenders } from "./local_renders"
import { morphBody, type TurboMorph } from "./morph"
import { captureUserState } from "./preserve"
import type { ScrollTracker } from "./scrolls"
import { CatchUpEvent, herdDelay, pageStrategy } from "./policy"
import { refetchVerdict, retryAfterDelay } from "./retry_after"
import { withoutShownItems } from "./shown_already"

export const CATCH_UP_HEADER = "X-Turbo-Cable-Catch-Up"
const REFETCH_TIMEOUT = 10_000

/** What a catch-up needs of the page's cable. */
export interface CatchUpParts {
  /** The page's state: the line's is read (a server shedding load is asked again while it is connected), the catch-up's is set. */
  status: Pick<PageStatus, "line" | "catchUp" | "catchUpChanged">
  /** True when every feed with sources has an answer: a refetch now misses nothing. */
  registry: Pick<Registry, "answered">
  /** Live messages wait while the page catches up, then apply in order. */
  renderer: Pick<StreamRenderer, "pause" | "resume">
  turbo: () => TurboMorph & { session?: { refresh?(url: string): void } }
  /** Where the page's own stream renders are heard (its window), to hold them back during a refetch. */
  window: EventTarget
  /** Elements the user scrolled. */
  scrolls: ScrollTracker
  clock: Clock
  settings: () => CatchUpSettings
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

export class CatchUp {
  private running = false
  private requested: { reason: CatchUpReason; at: number } | null = null
  private settleTimer: TimerHandle = null
  private readonly clock: Clock
  private readonly localRenders: LocalRenders

  constructor(private readonly parts: CatchUpParts) {
    this.clock = parts.clock
    this.localRenders = new LocalRenders(parts.window, parts.clock)
  }

  /**
   * Asks for a catch-up (`at`: when the need arose, before this module loaded); many requests before it
   * starts, or while one runs, make one more, not many.
   */
  request(reason: CatchUpReason, at: number = this.clock.now()): void {
    if (pageStrategy(this.parts.settings().strategy) == "none") return this.notBehind("catch-up skipped: strategy none")
    if (!this.requested) {
      this.requested = { reason, at }
      // Feeds that never answer must not keep the page stale: catch up anyway after settleTimeout.
      this.settleTimer = this.clock.after(at + this.parts.settings().settleTimeout - this.clock.now(), () => this.startIfReady())
    }
    this.startIfReady()
  }

  /** Starts a requested catch-up once every feed has answered (or the wait ran out). */
  startIfReady(): void {
    if (this.running || !this.requested) return
    const waited = this.clock.now() - this.requested.at
    if (!(this.parts.status.line == "connected" && this.parts.registry.answered) && waited < this.parts.settings().settleTimeout) return
    const { reason } = this.requested
    this.requested = null
    this.clock.cancel(this.settleTimer)
    this.running = true
    this.run(reason).finally(() => {
      this.running = false
      this.startIfReady()
    })
  }

  private async run(reason: CatchUpReason): Promise<void> {
    const { settings, renderer, status } = this.parts
    const strategy = pageStrategy(settings().strategy)
    const strategyName = typeof strategy == "function" ? "custom" : strategy
    if (!dispatch(CatchUpEvent.before, { detail: { reason, strategy: strategyName }, cancelable: true })) return this.notBehind("catch-up canceled by the app")
    const started = this.clock.now()
    debug("catching up:", reason, strategyName)
    renderer.pause()
    status.catchUpChanged("catching-up")
    try {
      // After a restart every page reconnects within the backoff's first window: spread their requests further.
      // The app's own function decides its own timing.
      if (reason == "reconnect" && typeof strategy != "function") await sleep(this.clock, herdDelay(settings().spread))
      if (typeof strategy == "function") await strategy(reason)
      else if (strategy == "refresh") await this.turboRefresh()
      else await this.refetchAndMorph()
      renderer.resume((held) => withoutShownItems(held, document))
      status.catchUpChanged("caught-up")
      dispatch(CatchUpEvent.caughtUp, { detail: { reason, strategy: strategyName, duration: this.clock.now() - started } })
    } catch (error) {
      renderer.resume()
      status.catchUpChanged("none")
      debug("catch-up failed:", error)
      dispatch(CatchUpEvent.failed, { detail: { reason, error: error instanceof Error ? error.message : String(error) } })
    }
  }

  /** A tab shown again (hidden_catch_up.ts) is `behind` until its catch-up runs; one that will not run leaves it `none`. */
  private notBehind(why: string): void {
    const { status } = this.parts
    if (status.catchUp == "behind") status.catchUpChanged("none")
    debug(why)
  }

  private async refetchAndMorph(): Promise<void> {
    const url = location.href
    const { localRenders } = this
    // From here the page's own stream renders are newer than the page being fetched: the morph would undo them.
    localRenders.hold()
    try {
      const page = await this.fetchPage(url)
      // Parsing a big page is a task of its own: the capture, morph and restore that follow must share one
      // task (nothing the user does may land between them), and need not carry the parse too.
      await sleep(this.clock, 0)
      // The user may have navigated away while the page was in flight.
      if (location.href != url) return
      const state = captureUserState(this.parts.scrolls)
      await morphBody(page, this.parts.turbo())
      state.restore()
    } finally {
      localRenders.release()
    }
  }

  private async fetchPage(url: string): Promise<Document> {
    const { maxAttempts, backoff } = this.parts.settings()
    // Faults (the network, a 5xx) spend attempts; a server shedding load (429, 503, 408) spends none while the
    // line is connected: it will answer, and until it does the page is stale.
    let faults = 0
    for (let tries = 0; ; tries++) {
      let delay: number
      // Live messages are held until the page is current: a refetch that hangs must not hold them for ever.
      const abort = new AbortController()
      const timer = this.clock.after(REFETCH_TIMEOUT, () => abort.abort(new Error("the page took too long")))
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
          // Off the line, a refusal counts as a fault: the next reconnect catches up anyway.
          if (this.parts.status.line != "connected") throw new Error(`the page answered ${response.status}`)
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
        this.clock.cancel(timer)
      }
      await sleep(this.clock, delay)
    }
  }

  /** Turbo's own page refresh; done at the next `turbo:load`, or after REFETCH_TIMEOUT. */
  private turboRefresh(): Promise<void> {
    const session = this.parts.turbo().session
    if (!session?.refresh) return this.refetchAndMorph()
    let loaded!: () => void
    const load = new Promise<void>((resolve) => (loaded = resolve))
    document.addEventListener("turbo:load", loaded, { once: true })
    session.refresh(location.href)
    return withTimeout(this.clock, load, REFETCH_TIMEOUT, undefined).finally(() => document.removeEventListener("turbo:load", loaded))
  }
}
