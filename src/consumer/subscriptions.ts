// consumer.subscriptions: creates app channel subscriptions and keeps the list @rails/actioncable keeps.
import type { ConsumerCable, ConsumerHandle } from "./consumer_cable"
import { Subscription, type ChannelMixin, type ChannelParams } from "./subscription"

export class ChannelSubscriptions {
  /** Every live subscription, in creation order. */
  subscriptions: Subscription[] = []

  constructor(
    private readonly consumer: ConsumerHandle,
    private readonly cable: ConsumerCable,
  ) {}

  /** Subscribes to `channel`; subscriptions with one identifier share one server subscription. */
  create(channel: ChannelParams, mixin: ChannelMixin = {}): Subscription {
    const subscription = new Subscription(this.consumer, channel, mixin, this.cable)
    this.subscriptions.push(subscription)
    this.consumer.ensureActiveConnection()
    if (typeof subscription.initialized == "function") subscription.initialized()
    this.cable.attach(subscription.identifier, subscription.source)
    return subscription
  }

  findAll(identifier: string): Subscription[] {
    return this.subscriptions.filter((subscription) => subscription.identifier == identifier)
  }

  /** Unsubscribes `subscription`; a second call does nothing. */
  remove(subscription: Subscription): Subscription {
    const index = this.subscriptions.indexOf(subscription)
    if (index >= 0) {
      this.subscriptions.splice(index, 1)
      this.cable.detach(subscription.identifier, subscription.source)
    }
    return subscription
  }
}
