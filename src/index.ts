// The ESM entry: `import "turbo-cable"` (Turbo comes from the app, as a peer dependency).
import * as Turbo from "@hotwired/turbo"
import { start } from "./api"

start(Turbo)

export { catchUpNow, configure, connectionState, getCable, options } from "./api"
export type { CableOptions, ConnectionState, TurboLike } from "./api"
export { CatchUpEvent, type CatchUpReason, type CatchUpStrategy } from "./catch_up/catch_up"
export type { BackoffPolicy } from "./cable/backoff"
export type { StateChange } from "./cable/status"
export { STATE_ATTRIBUTE, STATE_EVENT } from "./cable/status"
export { SourceEvent, type SourceEventDetail } from "./streams/events"
export { StreamSourceElement } from "./streams/stream_source_element"
export { streamHtml } from "./streams/stream_html"
