// The public API, independent of how Turbo was loaded (the entries bind it).
import { Cable } from "./cable/cable"
import type { ConnectionState } from "./cable/status"
import { configure, options, type CableOptions } from "./config"
import { debug } from "./log"
import { StreamRenderer, type StreamSink } from "./streams/stream_renderer"
import { defineStreamSourceElement, useSourceRegistry } from "./streams/stream_source_element"

let turbo: StreamSink | null = null
let cable: Cable | null = null

const renderer = new StreamRenderer(() => turbo!)

/** The page's cable, created on first use with the options configured so far. */
export function getCable(): Cable {
  return (cable ??= new Cable({ deliver: (message) => renderer.render(message) }))
}

/** The document-level connection state (also on `<html data-turbo-cable-state>`). */
export function connectionState(): ConnectionState {
  return cable?.state ?? "idle"
}

/** Binds Turbo and defines `<turbo-cable-stream-source>`; the entry points call this once. */
export function start(turboInstance: StreamSink): void {
  turbo = turboInstance
  useSourceRegistry({
    attach: (identifier, source) => getCable().attach(identifier, source),
    detach: (identifier, source) => getCable().detach(identifier, source),
  })
  if (!defineStreamSourceElement()) debug("<turbo-cable-stream-source> was already defined; that definition is kept")
}

export { configure, options }
export type { CableOptions, ConnectionState }
