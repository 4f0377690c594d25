// The public API, independent of how Turbo was loaded (the entries bind it). This module holds the page's
// one cable: made on first use (a stream source, a consumer, or `start`) with the options configured so far.
import type { ConnectionState } from "./status"
import { applyOptions, resolveOptions, type CableOptions, type OptionChanges } from "./config"
import type { Consumer } from "./consumer/consumer"
import { debug, setDebug } from "./log"
import { createPageCable, type CableHandle, type PageCable, type TurboLike } from "./page_cable"
import { defineStreamSourceElement } from "./streams/stream_source_element"

const page: { turbo: TurboLike | null; cable: PageCable | null; configured: CableOptions } = {
  turbo: null,
  cable: null,
  /** What `configure` was given before the cable existed. */
  configured: resolveOptions(),
}

/** The page's cable, made now if it was not yet. */
export function pageCable(): PageCable {
  if (page.cable) return page.cable
  return (page.cable = createPageCable({
    options: page.configured,
    turbo: () => page.turbo!,
  }))
}

/**
 * Changes options and returns them all. Call before the first stream source connects; `url` and `debug`
 * apply at any time (the URL at the next connect).
 */
export function configure(changes: OptionChanges): Readonly<CableOptions> {
  const options = applyOptions(page.cable?.options ?? page.configured, changes)
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
  return page.cable?.status.state ?? "idle"
}

/** Refetches and morphs the page now (or as the configured strategy says), holding live messages meanwhile. */
export function catchUpNow(): void {
  pageCable().catchUpNow()
}

/** Binds Turbo and defines `<turbo-cable-stream-source>`; the entry points call this once. */
export function start(turbo: TurboLike): void {
  page.turbo = turbo
  const cable = pageCable()
  if (!defineStreamSourceElement(cable)) debug("<turbo-cable-stream-source> was already defined; that definition is kept")
}

export type { CableHandle, CableOptions, ConnectionState, OptionChanges, TurboLike }
