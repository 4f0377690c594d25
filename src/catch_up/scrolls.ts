// Which elements the user scrolled, noted from the page's start, for the catch-up to put back.

/**
 * Elements the user (or the app) scrolled, noted from `scroll` events as they happen, so that a catch-up
 * reads a handful of elements instead of every element of the page (a 5,000-message page: ~20 ms of
 * layout reads in the catch-up's one long task). Scroll events do not bubble: one capturing listener on
 * the document sees them all. Elements scrolled before it started (turbo-cable starts with the page)
 * are missed; a WeakSet would not let us iterate, so entries leave when the element leaves the document.
 */
export class ScrollTracker {
  private readonly scrolled = new Set<Element>()

  constructor(private readonly root: Document | null = null) {
    root?.addEventListener("scroll", (event) => event.target instanceof Element && this.scrolled.add(event.target), { capture: true, passive: true })
  }

  /** Every element that may be scrolled now: the noted ones, or (not tracking) every element of the body. */
  elements(): Iterable<Element> {
    if (!this.root) return document.querySelectorAll("body *")
    for (const element of this.scrolled) if (!element.isConnected) this.scrolled.delete(element)
    return this.scrolled
  }
}
