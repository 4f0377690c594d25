// The page's one cable: a connection, the subscriptions it carries, and where their messages go.
import { options } from "../config"
import { debug } from "../log"
import { Connection, type ConnectionDelegate } from "./connection"
import { watchPageLifecycle } from "./page_lifecycle"
import { messageCommand, type ServerFrame } from "./protocol"
import { publishState, type StateChange } from "./status"
import { Subscriptions, type SubscriptionSource, type SubscriptionsDelegate } from "./subscriptions"

export interface CableDelegate {
  /** A message for a live subscription; called once per message, however many sources share it. */
  deliver(message: unknown, identifier: string): void
  /** A subscription was confirmed; `again` after a reconnect, when messages may have been missed. */
  confirmed?(identifier: string, again: boolean, renderedAt: number): void
  /** Every liveness poll (500 ms by default). */
  poll?(now: number): void
  stateChanged?(change: StateChange): void
}

export class Cable implements ConnectionDelegate, SubscriptionsDelegate {
  readonly connection: Connection
  readonly subscriptions: Subscriptions
  private unwatchLifecycle: (() => void) | null = null

  constructor(private readonly delegate: CableDelegate) {
    this.connection = new Connection(this)
    this.subscriptions = new Subscriptions(this, options)
  }

  attach(identifier: string, source: SubscriptionSource, renderedAt?: number): void {
    this.subscriptions.attach(identifier, source, renderedAt)
  }

  detach(identifier: string, source: SubscriptionSource): void {
    this.subscriptions.detach(identifier, source)
  }

  /** Sends an Action Cable `message` command (a channel action) on a subscription. */
  perform(identifier: string, data: Record<string, unknown>): boolean {
    return this.connection.send(messageCommand(identifier, data))
  }

  /** Closes the socket for good; `restart()` opens a new one. */
  stop(reason = "stopped by the app"): void {
    this.connection.stop(reason)
    this.unwatchLifecycle?.()
    this.unwatchLifecycle = null
  }

  restart(): void {
    this.connection.restart()
    if (this.connection.state != "stopped") this.needSocket()
  }

  /** Checks the line now (after the app learns the network is back, say) instead of at the next backoff step. */
  reconnect(): void {
    this.connection.checkNow("asked by the app")
  }

  // Connection delegate

  welcomed(): void {
    this.subscriptions.welcomed()
  }

  lost(): void {
    this.subscriptions.lost()
    if (this.connection.state == "stopped") {
      this.unwatchLifecycle?.()
      this.unwatchLifecycle = null
    }
  }

  received(frame: Extract<ServerFrame, { identifier: string }>): void {
    if (frame.type == "confirm") this.subscriptions.confirm(frame.identifier)
    else if (frame.type == "reject") this.subscriptions.reject(frame.identifier)
    else this.subscriptions.message(frame.identifier, frame.message)
  }

  stateChanged(change: StateChange): void {
    publishState(change)
    this.delegate.stateChanged?.(change)
  }

  poll(now: number): void {
    this.subscriptions.poll(now)
    this.delegate.poll?.(now)
  }

  // Subscriptions delegate

  send(command: string): boolean {
    return this.connection.send(command)
  }

  needSocket(): void {
    this.connection.open()
    if (!this.unwatchLifecycle && this.connection.state != "stopped") {
      this.unwatchLifecycle = watchPageLifecycle((why) => this.connection.checkNow(why))
    }
  }

  deliver(message: unknown, identifier: string): void {
    this.delegate.deliver(message, identifier)
  }

  confirmed(identifier: string, again: boolean, renderedAt: number): void {
    debug(again ? "subscription confirmed again:" : "subscription confirmed:", identifier)
    this.delegate.confirmed?.(identifier, again, renderedAt)
  }
}
