// The public API, independent of how Turbo was loaded (the entries bind it): the page's one cable, made
// on first use with the options configured so far.
import type { ConnectionState } from "./cable/status"
import { contentRenderedAt, trackPageAge } from "./catch_up/page_age"
import { trackScrolls } from "./catch_up/preserve"
import { applyOptions, resolveOptions, type CableOptions, type OptionChanges } from "./config"
import { adapters } from "./consumer/adapters"
import type { Consumer } from "./consumer/consumer"
import { debug, setDebug } from "./log"
import { createPageCable, type CableHandle, type PageCable, type TurboLike } from "./page_cable"
import { speedUpDuplicateRemoval } from "./streams/duplicate_lookup"
import { defineStreamSourceElement, useSourceRegistry } from "./streams/stream_source_element"

let turbo: TurboLike | null = null
let page: PageCable | null = null
/** What `configure` was given before the cable existed. */
const configured: CableOptions = resolveOptions()

function pageCable(): PageCable {
  if (page) return page
  tuneTurbo(configured)
  return (page = createPageCable({
    options: configured,
    WebSocket: adapters.WebSocket,
    turbo: () => turbo!,
    renderedAt: () => contentRenderedAt(),
  }))
}

function tuneTurbo({ fastDuplicateRemoval }: CableOptions): void {
  if (!fastDuplicateRemoval || typeof customElements == "undefined") return
  const streamElement = customElements.get("turbo-stream")
  if (streamElement) speedUpDuplicateRemoval(streamElement)
  else customElements.whenDefined("turbo-stream").then(speedUpDuplicateRemoval)
}

/**
 * Changes options and returns them all. Call before the first stream source connects; `url` and `debug`
 * apply at any time (the URL at the next connect).
 */
export function configure(changes: OptionChanges): Readonly<CableOptions> {
  const options = applyOptions(page?.options ?? configured, changes)
  setDebug(options.debug)
  return { ...options, backoff: { ...options.backoff } }
}

/** The page's cable: `perform`, `stop`, `restart` and its `state`. */
export function getCable(): CableHandle {
  return pageCable().handle
}

/** The page's consumer, with @rails/actioncable's API, over the one socket. */
export function pageConsumer(): Consumer {
  return pageCable().consumer
}

/** The document-level state (also on `<html data-turbo-cable-state>`). */
export function connectionState(): ConnectionState {
  return page?.status.state ?? "idle"
}

/** Refetches and morphs the page now (or as the configured strategy says), holding live messages meanwhile. */
export function catchUpNow(): void {
  pageCable().catchUpNow()
}

/** Binds Turbo and defines `<turbo-cable-stream-source>`; the entry points call this once. */
export function start(turboInstance: TurboLike): void {
  turbo = turboInstance
  trackPageAge()
  trackScrolls()
  useSourceRegistry({
    attach: (identifier, source) => pageCable().attachSource(identifier, source),
    detach: (identifier, source) => pageCable().detachSource(identifier, source),
  })
  if (!defineStreamSourceElement()) debug("<turbo-cable-stream-source> was already defined; that definition is kept")
}

export type { CableHandle, CableOptions, ConnectionState, OptionChanges, TurboLike }
