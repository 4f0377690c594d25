// The page's one cable: a connection, the subscriptions it carries, and where their messages go.
import type { CableOptions } from "../config"
import { debug } from "../log"
import type { Clock } from "./clock"
import { Connection, type ConnectionDelegate } from "./connection"
import { watchPageLifecycle } from "./page_lifecycle"
import { messageCommand, type ServerFrame } from "./protocol"
import type { PageStatus, StateChange } from "./status"
import { Subscriptions, type SubscriptionSource, type SubscriptionsDelegate } from "./subscriptions"

export interface CableDelegate {
  /** A message for the page (a subscription with stream sources); once per message, however many sources share it. */
  deliver(message: unknown, identifier: string): void
  /** A subscription that feeds the page was confirmed; `again` after a reconnect, when messages may have been missed. */
  confirmed(identifier: string, again: boolean, renderedAt: number): void
  /** Every liveness poll (500 ms by default). */
  poll(now: number): void
}

/** What a cable is made of: its options (read as it goes), time, the WebSocket class and where its state shows. */
export interface CableParts {
  options: CableOptions
  clock: Clock
  WebSocket: typeof WebSocket
  status: PageStatus
}

export class Cable implements ConnectionDelegate, SubscriptionsDelegate {
  readonly connection: Connection
  readonly subscriptions: Subscriptions
  private unwatchLifecycle: (() => void) | null = null
  private readonly status: PageStatus
  /** Read as the cable goes: `configure({ url })` applies at the next connect. */
  readonly options: CableOptions

  constructor(
    private readonly delegate: CableDelegate,
    { options, clock, WebSocket, status }: CableParts,
  ) {
    this.options = options
    this.status = status
    this.connection = new Connection(this, options, clock, WebSocket)
    this.subscriptions = new Subscriptions(this, options, clock)
  }

  attach(identifier: string, source: SubscriptionSource, renderedAt?: number): void {
    this.subscriptions.attach(identifier, source, renderedAt)
  }

  detach(identifier: string, source: SubscriptionSource): void {
    this.subscriptions.detach(identifier, source)
  }

  /**
   * Sends an Action Cable `message` command (a channel action) on a confirmed subscription. False when it
   * was not sent: no socket, or the server has not confirmed the subscription (it would drop the command).
   */
  perform(identifier: string, data: Record<string, unknown>): boolean {
    if (!this.subscriptions.isConfirmed(identifier)) {
      debug("not sent, the subscription is not confirmed:", identifier, data)
      return false
    }
    return this.connection.send(messageCommand(identifier, data))
  }

  /** Closes the socket for good; `restart()` opens a new one. */
  stop(reason = "stopped by the app"): void {
    this.connection.stop(reason)
  }

  restart(): void {
    this.connection.restart()
    if (this.connection.state != "stopped") this.needSocket()
  }

  /** Opens the socket whether or not a subscription asked for it yet; after a stop, a new one. */
  connect(): void {
    if (this.connection.state == "stopped") this.restart()
    else this.needSocket()
  }

  // Connection delegate

  welcomed(): void {
    this.subscriptions.welcomed()
  }

  lost(): void {
    const stopped = this.connection.state == "stopped"
    this.subscriptions.lost(!stopped)
    if (stopped) {
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
    this.status.publish(change)
  }

  poll(now: number): void {
    this.subscriptions.poll(now)
    this.delegate.poll(now)
  }

  // Subscriptions delegate

  send(command: string): boolean {
    return this.connection.send(command)
  }

  needSocket(): void {
    this.connection.open()
    if (!this.unwatchLifecycle && this.connection.state != "stopped" && typeof window != "undefined") {
      this.unwatchLifecycle = watchPageLifecycle((why) => this.connection.checkNow(why))
    }
  }

  deliver(message: unknown, identifier: string): void {
    this.delegate.deliver(message, identifier)
  }

  confirmed(identifier: string, again: boolean, renderedAt: number): void {
    debug(again ? "subscription confirmed again:" : "subscription confirmed:", identifier)
    this.delegate.confirmed(identifier, again, renderedAt)
  }
}
