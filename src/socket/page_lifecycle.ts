// Moments when the line may have come back, or silently died: act at once instead of at the next backoff step.
import type { PageWake } from "../line"


/** Calls `onWake` on each such moment; returns a function that stops listening. */
export function watchPageLifecycle(onWake: (why: PageWake) => void): () => void {
  const listeners: Array<[EventTarget, string, EventListener]> = [
    [window, "online", () => onWake("online")],
    [document, "visibilitychange", () => document.visibilityState == "visible" && onWake("visible")],
    [window, "pageshow", (event) => (event as PageTransitionEvent).persisted && onWake("pageshow")],
    [document, "resume", () => onWake("resume")],
    [window, "focus", () => onWake("focus")],
  ]
  for (const [target, name, listener] of listeners) target.addEventListener(name, listener)
  return () => {
    for (const [target, name, listener] of listeners) target.removeEventListener(name, listener)
  }
}
