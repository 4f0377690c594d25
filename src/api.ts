// The public API, independent of how Turbo was loaded (the entries bind it), and the wiring of the parts:
// the cable's messages go to the renderer; its confirmations decide when the page catches up.
import { Cable } from "./cable/cable"
import { currentState, publishState, type ConnectionState } from "./cable/status"
import { CatchUp } from "./catch_up/catch_up"
import { LocalRenders } from "./catch_up/local_renders"
import type { TurboMorph } from "./catch_up/morph"
import { contentRenderedAt, trackPageAge } from "./catch_up/page_age"
import { catchUpReason } from "./catch_up/policy"
import { trackScrolls } from "./catch_up/preserve"
import { configure, options, type CableOptions } from "./config"
import { debug } from "./log"
import { speedUpDuplicateRemoval } from "./streams/duplicate_lookup"
import { StreamRenderer, type StreamSink } from "./streams/stream_renderer"
import { defineStreamSourceElement, useSourceRegistry } from "./streams/stream_source_element"

/** The parts of Turbo turbo-cable uses. */
export type TurboLike = StreamSink & TurboMorph & { session?: { refresh?(url: string): void } }

const ON_CONNECT_META = "turbo-cable-catch-up-on-connect"

let turbo: TurboLike | null = null
let cable: Cable | null = null

// Past its bound the held queue is dropped, never applied out of turn: one more catch-up, fetched after the
// drop, brings every dropped message's effect with it.
const renderer = new StreamRenderer(() => turbo!, () => catchUp.request("overflow"))

/** Moves the page-wide state between connected, catching-up and caught-up; a dropped line's state stays. */
function publishCatchUpState(state: "catching-up" | "caught-up" | "connected"): void {
  const previous = currentState()
  if (previous == state || !(previous == "connected" || previous == "catching-up" || previous == "caught-up")) return
  publishState({ state, previous })
}

const catchUp = new CatchUp(
  {
    ready: () => cable?.connection.state == "connected" && cable.subscriptions.settled,
    connected: () => cable?.connection.state == "connected",
    holdMessages: () => renderer.hold(),
    releaseMessages: () => renderer.release(),
    turbo: () => turbo!,
    catchingUp: () => publishCatchUpState("catching-up"),
    caughtUp: () => publishCatchUpState("caught-up"),
    gaveUp: () => publishCatchUpState("connected"),
  },
  () => ({
    strategy: options.catchUp,
    backoff: options.backoff,
    maxAttempts: options.catchUpAttempts,
    settleTimeout: 2 * options.confirmTimeout,
    spread: options.catchUpSpread,
  }),
  new LocalRenders(),
)

function catchUpOnConnect(): boolean {
  return options.catchUpOnConnect || document.head?.querySelector(`meta[name="${ON_CONNECT_META}"]`)?.getAttribute("content") == "true"
}

function confirmed(again: boolean, renderedAt: number): void {
  const reason = catchUpReason(
    { again, renderedAt, now: Date.now() },
    { catchUpAfter: options.catchUpAfter, onConnect: catchUpOnConnect() },
  )
  if (reason) catchUp.request(reason)
  else catchUp.startIfReady()
}

function tuneTurbo(): void {
  if (!options.fastDuplicateRemoval) return
  const streamElement = customElements.get("turbo-stream")
  if (streamElement) speedUpDuplicateRemoval(streamElement)
  else customElements.whenDefined("turbo-stream").then(speedUpDuplicateRemoval)
}

/** The page's cable, created on first use with the options configured so far. */
export function getCable(): Cable {
  if (!cable) tuneTurbo()
  return (cable ??= new Cable({
    deliver: (message) => renderer.render(message),
    confirmed: (_, again, renderedAt) => confirmed(again, renderedAt),
    poll: () => catchUp.startIfReady(),
  }))
}

/** The document-level state (also on `<html data-turbo-cable-state>`). */
export function connectionState(): ConnectionState {
  return currentState()
}

/** Refetches and morphs the page now (or as the configured strategy says), holding live messages meanwhile. */
export function catchUpNow(): void {
  catchUp.request("connect")
}

/** Binds Turbo and defines `<turbo-cable-stream-source>`; the entry points call this once. */
export function start(turboInstance: TurboLike): void {
  turbo = turboInstance
  trackPageAge()
  trackScrolls()
  useSourceRegistry({
    attach: (identifier, source) => getCable().attach(identifier, source, contentRenderedAt()),
    detach: (identifier, source) => getCable().detach(identifier, source),
  })
  if (!defineStreamSourceElement()) debug("<turbo-cable-stream-source> was already defined; that definition is kept")
}

export { configure, options }
export type { CableOptions, ConnectionState }
