// How old the page's server-rendered content is: a broadcast sent between the server rendering a page
// and its subscription's first confirmation never reaches it, so an old page must catch up.
import type { Clock } from "../clock"
import { sinceOf } from "../extended/history_since"
import type { FeedContent } from "../subscriptions/feed"

/** The navigation timing fields that tell a document fetched now from one read out of the HTTP cache. */
export interface DocumentTiming {
  requestStart?: number
  responseStart?: number
  transferSize?: number
  decodedBodySize?: number
  deliveryType?: string
}

/**
 * When the server rendered the document (ms since `timeOrigin`), or -Infinity when the browser read it from
 * its HTTP cache: a back navigation to a page the back/forward cache could not keep shows the copy of the
 * first visit, and `responseStart` is then only when the cache was read. Read from the cache means
 * `deliveryType` "cache" (Chromium 109+), or no bytes transferred for a non-empty body. A 304 transfers its
 * headers: the server has just vouched for the copy, so it counts as fresh.
 */
export function documentRenderTime(timing: DocumentTiming | undefined): number {
  if (!timing) return 0
  if (timing.deliveryType == "cache" || (timing.transferSize === 0 && (timing.decodedBodySize ?? 0) > 0)) return -Infinity
  // The first byte of the response arrived just after the server rendered it.
  return timing.responseStart || 0
}

/** Follows page loads, Turbo renders and back/forward cache restores, to date the content sources belong to. */
export class PageAge {
  /** Wall-clock time (ms) the current content was rendered by the server; -Infinity when unknown (a cache restore). */
  private renderedAt: number
  /** When the current content was asked for (ms): what was broadcast after it may be missing from it. */
  private requestedAt: number
  /** When the Turbo visit under way started. */
  private visitedAt: number | undefined
  /** False while the page is still being set up: sources connected then belong to the rendered content. */
  private settled = false
  private lastVisitAction: string | undefined

  constructor(private readonly clock: Clock) {
    const navigation = performance.getEntriesByType?.("navigation")[0] as DocumentTiming | undefined
    this.renderedAt = performance.timeOrigin + documentRenderTime(navigation)
    this.requestedAt = Number.isFinite(this.renderedAt) ? performance.timeOrigin + (navigation?.requestStart ?? 0) : -Infinity
    const settleSoon = () => clock.after(0, () => (this.settled = true))
    if (document.readyState == "complete") settleSoon()
    else window.addEventListener("load", settleSoon, { once: true })
    document.addEventListener("turbo:visit", (event) => {
      this.lastVisitAction = (event as CustomEvent<{ action: string }>).detail?.action
      this.visitedAt = clock.now()
    })
    document.addEventListener("turbo:before-render", (event) => {
      if ((event as CustomEvent<{ isPreview?: boolean }>).detail?.isPreview) return
      // A restoration visit may render a snapshot of any age from Turbo's cache.
      this.renderedAt = this.lastVisitAction == "restore" ? -Infinity : clock.now()
      this.requestedAt = this.lastVisitAction == "restore" ? -Infinity : (this.visitedAt ?? this.renderedAt)
      this.visitedAt = undefined
      this.settled = false
    })
    document.addEventListener("turbo:load", settleSoon)
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.renderedAt = this.requestedAt = -Infinity
    })
  }

  /**
   * What a source connected now says of its content: the page's (rendered, requested, and the history to ask
   * from), or, for a source added later by script to a live page, content that has had everything.
   */
  content(): FeedContent {
    if (this.settled) return { renderedAt: this.clock.now() }
    return { renderedAt: this.renderedAt, requestedAt: this.requestedAt, since: sinceOf(this.renderedAt) }
  }
}
