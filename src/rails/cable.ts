// turbo-rails' `cable` module (app/javascript/turbo/cable.js), same names and signatures, over the page's
// one socket: `import { cable } from "turbo-cable"` does what `import { cable } from "@hotwired/turbo-rails"` did.
import { pageCable } from "../api"
import type { Consumer } from "../consumer/consumer"
import type { ChannelMixin, ChannelParams, Subscription } from "../consumer/subscription"
import { consumerFor } from "./consumers"

/** Anything with a consumer's `subscriptions.create` (turbo-cable's, or one the app made itself). */
export interface ConsumerLike {
  subscriptions: { create(channel: ChannelParams, mixin?: ChannelMixin): unknown }
}

/** The consumer `subscribeTo` uses: the page's shared one unless `setConsumer` chose another. */
export async function getConsumer(): Promise<ConsumerLike> {
  const page = pageCable()
  return (page.chosenConsumer as ConsumerLike | null) ?? page.consumer
}

/**
 * Makes `consumer` the one `getConsumer` and `subscribeTo` hand out. Stream sources stay on the page's cable:
 * to move its socket elsewhere, use `<meta name="action-cable-url">` or `configure({ url })`.
 */
export function setConsumer(consumer: ConsumerLike): ConsumerLike {
  return (pageCable().chosenConsumer = consumer)
}

/** The page's consumer, or (for a `url` that names another server) a consumer with a socket of its own. */
export async function createConsumer(url?: string | (() => string)): Promise<Consumer> {
  return consumerFor(url)
}

/** Subscribes to an app channel through `getConsumer()`; resolves to the subscription. */
export async function subscribeTo(channel: ChannelParams, mixin: ChannelMixin): Promise<Subscription> {
  const consumer = await getConsumer()
  return consumer.subscriptions.create(channel, mixin) as Subscription
}
