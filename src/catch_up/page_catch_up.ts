// When and how the page catches up: the policy on each confirmation, the history's outcome on AnyCable's
// extended protocol (history_catch_up.ts), and the refetch (catch_up.ts, loaded the first time one is needed).
import type { Clock } from "../clock"
import type { Line } from "../line"
import type { Registry, RegistryEvents } from "../subscriptions/registry"
import type { PageStatus } from "../status"
import type { CableOptions, CatchUpReason } from "../config"
import { dispatch, readMeta } from "../dom"
import type { Emitter } from "../events"
import { logError } from "../log"
import type { StreamRenderer } from "../streams/stream_renderer"
import type { CatchUp } from "./catch_up"
import { HiddenCatchUp } from "./hidden_catch_up"
import { HistoryCatchUp } from "./history_catch_up"
import type { TurboMorph } from "./morph"
import { CatchUpEvent, catchUpReason, ON_CONNECT_META } from "./policy"
import { ScrollTracker } from "./scrolls"

export interface PageCatchUpParts {
  line: Line
  registry: Registry
  /** The registry's `confirmed` and `answered`. */
  events: Emitter<RegistryEvents>
  status: PageStatus
  renderer: StreamRenderer
  turbo: () => TurboMorph & { session?: { refresh?(url: string): void; recentRequests?: { has(id: string): boolean } } }
  document: Document | null
  options: CableOptions
  clock: Clock
}

export class PageCatchUp {
  private refetch: Promise<CatchUp> | null = null
  /** A request made in the same task as one not yet handed over (a restored session confirms many feeds at once) joins it. */
  private requestInFlight = false
  /** The catch-up is that of a tab just shown again: it is alone, not one of a herd dropped together. */
  private shown = false
  private readonly scrolls: ScrollTracker
  /** A hidden tab's catch-up waits until it is shown (none without a document). */
  private readonly hidden: HiddenCatchUp | null

  constructor(private readonly parts: PageCatchUpParts) {
    const { line, events, status, options, clock, document } = parts
    this.scrolls = new ScrollTracker(document)
    this.hidden = document
      ? new HiddenCatchUp({
          document,
          mode: () => options.hiddenCatchUp,
          strategy: () => options.catchUp,
          status,
          ownRequest: (id) => parts.turbo().session?.recentRequests?.has(id) ?? false,
          catchUp: (reason) => this.requestNow(reason, true),
        })
      : null
    const byHistory = new HistoryCatchUp({
      refetch: (reason) => this.request(reason),
      caughtUp: (reason, duration) => {
        status.catchUpChanged("caught-up")
        dispatch(CatchUpEvent.caughtUp, { detail: { reason, strategy: "history", duration } })
      },
      answered: () => parts.registry.answered,
      clock,
    })
    line.on("history", (identifier, outcome) => byHistory.outcome(identifier, outcome))
    line.on("lost", () => byHistory.lost())
    events.on("confirmed", (identifier, confirmedBefore, renderedAt, missed) => {
      const reason = catchUpReason(
        { confirmedBefore, missed, renderedAt, now: clock.now() },
        { catchUpAfter: options.catchUpAfter, onConnect: options.catchUpOnConnect || readMeta(ON_CONNECT_META, document ?? undefined) == "true" },
      )
      // On AnyCable's extended protocol the feed's history brings what it missed; the refetch is the fallback.
      if (line.extended) byHistory.confirmed(identifier, reason)
      else if (reason) return this.request(reason)
      this.startIfReady()
    })
    events.on("answered", () => {
      byHistory.settle()
      this.startIfReady()
    })
  }

  /** Refetches and morphs the page (or as the strategy says), once every feed has answered; a hidden tab when shown. */
  request(reason: CatchUpReason): void {
    if (!this.hidden?.defers(reason)) this.requestNow(reason)
  }

  private requestNow(reason: CatchUpReason, shown = false): void {
    this.shown = shown
    if (this.requestInFlight) return
    this.refetch ??= this.load()
    const at = this.parts.clock.now()
    this.requestInFlight = true
    this.refetch
      .then((catchUp) => {
        this.requestInFlight = false
        catchUp.request(reason, at)
      })
      .catch((error) => {
        this.requestInFlight = false
        logError("the catch-up failed to load", error)
      })
  }

  private startIfReady(): void {
    this.refetch?.then((catchUp) => catchUp.startIfReady())
  }

  private async load(): Promise<CatchUp> {
    const { CatchUp } = await import("./catch_up")
    const { status, registry, renderer, turbo, document, options, clock, line } = this.parts
    return new CatchUp({
      status,
      registry,
      renderer,
      turbo,
      window: document?.defaultView ?? new EventTarget(),
      scrolls: this.scrolls,
      clock,
      settings: () => ({
        strategy: options.catchUp,
        backoff: options.backoff,
        maxAttempts: options.catchUpAttempts,
        settleTimeout: 2 * options.confirmTimeout,
        // The spread keeps a fleet dropped by a restart from refetching at once; a page back from its own
        // sleep or freeze, or a tab shown again, is alone, and waits for nothing; so does a rejoin that the
        // probe schedule's jitter has spread already (a server that was down a while).
        spread: line.rejoiningAfterWake || this.shown ? 0 : options.catchUpSpread,
      }),
    })
  }
}
