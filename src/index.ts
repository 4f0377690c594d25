// The ESM entry: `import "turbo-cable"` in place of `import "@hotwired/turbo-rails"` (Turbo comes from the
// app, as a peer dependency). Exports what turbo-rails' JavaScript exports (`Turbo`, `cable`) and the rest
// of turbo-cable's API.
import * as Turbo from "@hotwired/turbo"
import { start } from "./api"
import * as cable from "./rails/cable"
import { installMethodOverride } from "./rails/method_override"

start(Turbo)
installMethodOverride()
// As turbo-rails does; Turbo 8 sets it itself, so this only fills the gap where it did not.
;(window as { Turbo?: unknown }).Turbo ??= Turbo

export { Turbo, cable }
export { catchUpNow, configure, connectionState, getCable, pageConsumer } from "./api"
export type { CableHandle, CableOptions, ConnectionState, OptionChanges, TurboLike } from "./api"
export { CatchUpEvent } from "./catch_up/policy"
export type { BackoffPolicy, CatchUpReason, CatchUpStrategy } from "./config"
export type { StateChange } from "./status"
export { STATE_ATTRIBUTE, STATE_EVENT } from "./status"
export { adapters } from "./consumer/adapters"
export { Consumer } from "./consumer/consumer"
export { Subscription, type ChannelMixin, type ChannelParams } from "./consumer/subscription"
export { ChannelSubscriptions as Subscriptions } from "./consumer/subscriptions"
export { consumerFor } from "./rails/consumers"
export { SourceEvent, type SourceEventDetail } from "./streams/events"
export { StreamSourceElement } from "./streams/stream_source_element"
export { streamHtml } from "./streams/stream_html"
