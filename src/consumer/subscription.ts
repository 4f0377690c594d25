// One app channel subscription, as @rails/actioncable's: the mixin's methods become its own, and its
// callbacks are called with it as `this`.
import type { PresenceEvent } from "../protocol"
import type { FeedSource } from "../subscriptions/feed"
import type { PresenceState, SubscriptionPresence } from "./presence"
import type { ConsumerCable, ConsumerHandle } from "./consumer_cable"

/** The callbacks a mixin may define (each optional); any other method becomes the subscription's too. */
export interface ChannelMixin {
  initialized?(this: Subscription): void
  /** `reconnected`: confirmed again after a dropped line; messages sent meanwhile were missed. */
  connected?(this: Subscription, details: { reconnected: boolean }): void
  disconnected?(this: Subscription, details: { willAttemptReconnect: boolean }): void
  rejected?(this: Subscription): void
  /** The frame's `message`, whatever JSON the server broadcast. */
  received?(this: Subscription, data: any): void
  /** Someone joined or left the stream's presence (AnyCable's extended protocol). */
  presenceChanged?(this: Subscription, event: PresenceEvent): void
  [method: string]: unknown
}

/** A channel name, or params with a `channel` key (`{channel: "ChatChannel", room: 7}`). */
export type ChannelParams = string | ({ channel: string } & Record<string, unknown>)

export class Subscription {
  readonly identifier: string
  /** What the registry calls: kept apart so that no mixin method can shadow it. */
  readonly source: FeedSource
  /**
   * AnyCable's presence on this subscription's stream, with @anycable/core's names (consumer/presence.ts, loaded
   * on first use): `join(id, info)`, `leave()`, `info()` (who is there). Rejected on a plain Action Cable server.
   */
  readonly presence: {
    join(id: string | number, info?: unknown): Promise<void>
    leave(): Promise<void>
    info(): Promise<PresenceState>
  }
  [method: string]: unknown
  private presenceLoaded: Promise<SubscriptionPresence> | null = null
  private presenceMade: SubscriptionPresence | null = null

  constructor(
    readonly consumer: ConsumerHandle,
    params: ChannelParams,
    mixin: ChannelMixin,
    private readonly cable: ConsumerCable,
  ) {
    this.identifier = JSON.stringify(typeof params == "string" ? { channel: params } : params)
    Object.assign(this, mixin)
    const call = (name: keyof ChannelMixin, ...args: unknown[]) => {
      const callback = this[name]
      if (typeof callback == "function") callback.apply(this, args)
    }
    const presence = () =>
      (this.presenceLoaded ??= import("./presence").then(({ SubscriptionPresence }) => (this.presenceMade = new SubscriptionPresence(this.identifier, cable))))
    this.presence = {
      join: (id, info) => presence().then((made) => made.join(id, info)),
      leave: () => presence().then((made) => made.leave()),
      info: () => presence().then((made) => made.info()),
    }
    this.source = {
      subscriptionConfirmed: (reconnected) => {
        if (reconnected) this.presenceMade?.confirmedAgain()
        call("connected", { reconnected })
      },
      subscriptionLost: (willReconnect) => {
        this.presenceMade?.failAsked("the connection was lost")
        call("disconnected", { willAttemptReconnect: willReconnect })
      },
      presenceChanged: (event) => {
        this.presenceMade?.received(event)
        if (event.type == "join" || event.type == "leave") call("presenceChanged", event)
      },
      // As in @rails/actioncable, a rejected subscription is dropped from the list (and never retried).
      subscriptionRejected: () => {
        this.consumer.subscriptions.remove(this)
        call("rejected")
      },
      receive: (message) => call("received", message),
    }
  }

  /** Calls `action` on the server channel with `data`; false when it was not sent (see `send`). */
  perform(action: string, data: Record<string, unknown> = {}): boolean {
    return this.send({ ...data, action })
  }

  /**
   * Sends `data` to the server channel's `receive`. False when it was not sent: the socket is down or the
   * server has not confirmed this subscription yet (a command then would be dropped by the server).
   */
  send(data: Record<string, unknown>): boolean {
    return this.cable.perform(this.identifier, data)
  }

  /**
   * Sends `data` to the stream's other subscribers, not to this one, with no server code involved (AnyCable's
   * whisper, @anycable/core's name). False when not sent: unconfirmed, or the server does not speak AnyCable's
   * extended protocol (plain Action Cable has no whisper; see the debug log).
   */
  whisper(data: unknown): boolean {
    return this.cable.sendExtended(this.identifier, { command: "whisper", data })
  }

  /** Leaves the channel; the server hears one `unsubscribe` once no other subscription shares the identifier. */
  unsubscribe(): this {
    this.consumer.subscriptions.remove(this)
    return this
  }
}
