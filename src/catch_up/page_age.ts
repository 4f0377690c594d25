// How old the page's server-rendered content is: a broadcast sent between the server rendering a page
// and its subscription's first confirmation never reaches it, so an old page must catch up.

/** Wall-clock time (ms) the current content was rendered by the server; -Infinity when unknown (a cache restore). */
let renderedAt = initialRenderTime()
/** False while the page is still being set up: sources connected then belong to the rendered content. */
let settled = false
let lastVisitAction: string | undefined

function initialRenderTime(): number {
  const navigation = performance.getEntriesByType?.("navigation")[0] as PerformanceNavigationTiming | undefined
  // The first byte of the response arrived just after the server rendered it.
  return performance.timeOrigin + (navigation?.responseStart || 0)
}

function settleSoon(): void {
  setTimeout(() => (settled = true), 0)
}

/** Starts tracking page loads, Turbo renders and back/forward cache restores. */
export function trackPageAge(): void {
  if (document.readyState == "complete") settleSoon()
  else window.addEventListener("load", settleSoon, { once: true })
  document.addEventListener("turbo:visit", (event) => {
    lastVisitAction = (event as CustomEvent<{ action: string }>).detail?.action
  })
  document.addEventListener("turbo:before-render", (event) => {
    if ((event as CustomEvent<{ isPreview?: boolean }>).detail?.isPreview) return
    // A restoration visit may render a snapshot of any age from Turbo's cache.
    renderedAt = lastVisitAction == "restore" ? -Infinity : Date.now()
    settled = false
  })
  document.addEventListener("turbo:load", settleSoon)
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) renderedAt = -Infinity
  })
}

/** When the content a source belongs to was rendered: the page's, or now for a source added later by script. */
export function contentRenderedAt(now: number = Date.now()): number {
  return settled ? now : renderedAt
}
