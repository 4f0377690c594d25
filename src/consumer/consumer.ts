// @rails/actioncable's Consumer, over the page's one socket: app channels share the cable with the stream
// sources and get the same guarantees (shared server subscriptions, churn kept off the wire, no retry of a
// rejection, reconnect, liveness and wake).
import type { ConsumerCable, ConsumerHandle } from "./consumer_cable"
import { ChannelSubscriptions } from "./subscriptions"

export class Consumer implements ConsumerHandle {
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
