// What the consumer's parts use of each other and of the page's cable: the consumer, its subscriptions list,
// each subscription and its presence read these, never the classes themselves.
import type { ExtendedCommand } from "../protocol"
import type { FeedSource } from "../subscriptions/feed"

/** The part of a cable a consumer uses. */
export interface ConsumerCable {
  attach(identifier: string, source: FeedSource): void
  detach(identifier: string, source: FeedSource): void
  /** A `message` command on a confirmed subscription; false when not sent. */
  perform(identifier: string, data: Record<string, unknown>): boolean
  /** A whisper or presence command (AnyCable's extended protocol) on a confirmed subscription; false when not sent. */
  sendExtended(identifier: string, command: ExtendedCommand): boolean
  /** A raw command on the open socket; false when there is none. */
  send(command: string): boolean
  /** Opens the socket (again, after a stop). */
  connect(): void
  /** Closes it for good, until `connect()`. */
  disconnect(): void
  /** True while a socket is open or being opened. */
  readonly active: boolean
  /** The WebSocket URL it connects to now. */
  readonly url: string
}

/** The consumer as its subscriptions see it (`subscription.consumer`): @rails/actioncable's API. */
export interface ConsumerHandle {
  /** The list a subscription leaves (`unsubscribe()`, or rejected). */
  readonly subscriptions: { remove(subscription: object): unknown }
  readonly url: string
  send(data: object): boolean
  connect(): boolean
  disconnect(): void
  ensureActiveConnection(): void
}
