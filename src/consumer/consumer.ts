// @rails/actioncable's Consumer, over the page's one socket: app channels share the cable with the stream
// sources and get the same guarantees (shared server subscriptions, churn kept off the wire, no retry of a
// rejection, reconnect, liveness and wake).
import type { ExtendedCommand } from "../cable/protocol"
import type { FeedSource } from "../cable/registry"
import { ChannelSubscriptions } from "./subscriptions"

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

export class Consumer {
  readonly subscriptions: ChannelSubscriptions

  constructor(private readonly cable: ConsumerCable) {
    this.subscriptions = new ChannelSubscriptions(this, cable)
  }

  /** The WebSocket URL, read now (a URL function is called). */
  get url(): string {
    return this.cable.url
  }

  /** Sends a command object as it is (`{command, identifier, data}`); false when the socket is not open. */
  send(data: object): boolean {
    return this.cable.send(JSON.stringify(data))
  }

  /** Opens the socket, or opens it again after `disconnect()`. */
  connect(): boolean {
    this.cable.connect()
    return this.cable.active
  }

  /** Closes the socket without reconnecting (streams stop too: they share it). `connect()` opens it again. */
  disconnect(): void {
    this.cable.disconnect()
  }

  ensureActiveConnection(): void {
    if (!this.cable.active) this.connect()
  }
}
