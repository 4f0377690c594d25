// Every subscription race is settled here: many sources share one server subscription per identifier,
// messages are applied once, and the wire sees a subscribe or unsubscribe only when the set really changes.
import { debug } from "../log"
import type { Clock } from "./clock"
import { subscribeCommand, unsubscribeCommand } from "./protocol"

/** What a subscription tells the elements and app channels that use it. */
export interface SubscriptionSource {
  /** `reconnected`: it had been confirmed before the line dropped, so messages may have been missed. */
  subscriptionConfirmed(reconnected: boolean): void
  /** `willReconnect`: false once the cable has stopped for good. */
  subscriptionLost(willReconnect: boolean): void
  subscriptionRejected(): void
  /**
   * A source with a receiver of its own (an app channel's subscription) gets each message itself, whatever
   * JSON it is. Sources without one (stream elements) share one delivery to the page through the delegate.
   */
  receive?(message: unknown): void
}

export interface SubscriptionsDelegate {
  /** Sends a command on the open socket; false when there is none (it will be sent after the next welcome). */
  send(command: string): boolean
  /** A source needs the socket: open it if it is not. */
  needSocket(): void
  /** A message for a subscription that has at least one source: apply it to the page. */
  deliver(message: unknown, identifier: string): void
  /**
   * A subscription that feeds the page (has a source without a receiver of its own) was confirmed; `again`
   * when it had been confirmed before a drop (messages may have been missed), `renderedAt` when the content
   * its first source belongs to was rendered.
   */
  confirmed(identifier: string, again: boolean, renderedAt: number): void
}

export interface SubscriptionTiming {
  confirmTimeout: number
  maxSubscribeRetries: number
  unsubscribeDelay: number
}

type Phase =
  | "idle" // not on the wire (no socket yet, or the socket dropped)
  | "pending" // subscribe sent, no answer yet
  | "confirmed"
  | "rejected"

/** Messages kept for a subscription between its last source leaving and a new one arriving. */
const HELD_MESSAGES_LIMIT = 1_000

class Subscription {
  readonly sources = new Set<SubscriptionSource>()
  phase: Phase = "idle"
  sentAt = 0
  retries = 0
  everConfirmed = false
  releaseAt: number | null = null
  /** The grace period ran out while the subscribe was in flight: unsubscribe once it is confirmed. */
  releaseOnConfirm = false
  held: unknown[] = []

  constructor(
    readonly identifier: string,
    readonly renderedAt: number,
  ) {}
}

export class Subscriptions {
  private readonly byIdentifier = new Map<string, Subscription>()
  /** When an unsubscribe went out, per identifier: a subscribe right behind it could overtake it on a threaded server. */
  private readonly unsubscribedAt = new Map<string, number>()
  private releaseTimer: unknown = null

  constructor(
    private readonly delegate: SubscriptionsDelegate,
    private readonly timing: SubscriptionTiming,
    private readonly clock: Clock,
  ) {}

  private now(): number {
    return this.clock.now()
  }

  /** Live server subscriptions this page holds or is asking for. */
  get size(): number {
    return this.byIdentifier.size
  }

  /** True when the server has confirmed `identifier` and the page still uses it: a message sent now reaches it. */
  isConfirmed(identifier: string): boolean {
    const subscription = this.byIdentifier.get(identifier)
    return subscription?.phase == "confirmed" && subscription.releaseAt === null
  }

  /** True when no subscription with sources is waiting for the server. */
  get settled(): boolean {
    for (const subscription of this.byIdentifier.values()) {
      if (subscription.releaseAt === null && (subscription.phase == "pending" || subscription.phase == "idle")) return false
    }
    return true
  }

  /** `renderedAt`: when the server rendered the content the source belongs to (for catch-up of stale pages). */
  attach(identifier: string, source: SubscriptionSource, renderedAt: number = this.now()): void {
    let subscription = this.byIdentifier.get(identifier)
    if (!subscription) {
      subscription = new Subscription(identifier, renderedAt)
      this.byIdentifier.set(identifier, subscription)
      this.delegate.needSocket()
      this.subscribe(subscription)
    }
    subscription.sources.add(source)
    subscription.releaseAt = null
    subscription.releaseOnConfirm = false
    if (subscription.phase == "confirmed") source.subscriptionConfirmed(false)
    if (subscription.phase == "rejected") source.subscriptionRejected()
    this.deliverHeld(subscription)
  }

  detach(identifier: string, source: SubscriptionSource): void {
    const subscription = this.byIdentifier.get(identifier)
    if (!subscription || !subscription.sources.delete(source)) return
    if (subscription.sources.size == 0) {
      // Navigation, cache restores and morphs remove and re-add sources within a task or a frame:
      // wait before telling the server, so that churn never reaches the wire.
      subscription.releaseAt = this.now() + this.timing.unsubscribeDelay
      this.scheduleRelease(this.timing.unsubscribeDelay)
    }
  }

  /** A new socket was welcomed: the server knows nothing, so every subscription is asked for again. */
  welcomed(): void {
    for (const subscription of this.byIdentifier.values()) {
      if (subscription.releaseAt !== null) this.forget(subscription)
      else if (subscription.phase != "rejected") this.subscribe(subscription)
    }
    this.unsubscribedAt.clear()
  }

  /** The socket is gone: sources lose their `connected` state until the next confirmation. */
  lost(willReconnect: boolean): void {
    for (const subscription of this.byIdentifier.values()) {
      if (subscription.releaseAt !== null) {
        this.forget(subscription)
      } else if (subscription.phase != "rejected") {
        const wasConfirmed = subscription.phase == "confirmed"
        subscription.phase = "idle"
        if (wasConfirmed) subscription.sources.forEach((source) => guard(() => source.subscriptionLost(willReconnect)))
      }
    }
    this.unsubscribedAt.clear()
  }

  confirm(identifier: string): void {
    const subscription = this.byIdentifier.get(identifier)
    if (!subscription || subscription.phase != "pending") return debug("confirmation ignored:", identifier)
    subscription.phase = "confirmed"
    const again = subscription.everConfirmed
    subscription.everConfirmed = true
    // Released while the subscribe was in flight: unsubscribe now, after the server has it, never before.
    if (subscription.releaseOnConfirm) return this.release(subscription)
    subscription.sources.forEach((source) => guard(() => source.subscriptionConfirmed(again)))
    if (feedsPage(subscription)) this.delegate.confirmed(identifier, again, subscription.renderedAt)
  }

  reject(identifier: string): void {
    const subscription = this.byIdentifier.get(identifier)
    if (!subscription) return debug("rejection ignored:", identifier)
    debug("subscription rejected:", identifier)
    subscription.phase = "rejected"
    if (subscription.releaseAt !== null) return this.forget(subscription)
    subscription.sources.forEach((source) => guard(() => source.subscriptionRejected()))
  }

  message(identifier: string, message: unknown): void {
    const subscription = this.byIdentifier.get(identifier)
    if (!subscription) return debug("message for an unknown subscription ignored:", identifier)
    if (subscription.sources.size > 0) return this.dispatch(subscription, message)
    // The last source left moments ago; the next one (same page after a morph, or the next page) gets it.
    if (subscription.held.length < HELD_MESSAGES_LIMIT) subscription.held.push(message)
    else debug("message dropped: no source and too many held:", identifier)
  }

  /** Periodic: subscribe again where no confirmation came; send subscribes that waited behind an unsubscribe. */
  poll(now: number): void {
    for (const subscription of this.byIdentifier.values()) {
      if (subscription.phase == "idle" && subscription.releaseAt === null) this.subscribe(subscription)
      if (subscription.phase != "pending" || now - subscription.sentAt < this.timing.confirmTimeout) continue
      if (subscription.retries >= this.timing.maxSubscribeRetries) continue
      subscription.retries++
      debug(`no confirmation, subscribing again (${subscription.retries}):`, subscription.identifier)
      this.send(subscription, subscribeCommand(subscription.identifier))
    }
  }

  private subscribe(subscription: Subscription): void {
    const unsubscribedAt = this.unsubscribedAt.get(subscription.identifier)
    const settle = this.timing.unsubscribeDelay
    if (unsubscribedAt !== undefined && this.now() - unsubscribedAt < settle) {
      // Rails runs commands on a thread pool: a subscribe right behind an unsubscribe may overtake it.
      subscription.phase = "idle"
      return
    }
    if (this.send(subscription, subscribeCommand(subscription.identifier))) {
      subscription.phase = "pending"
      subscription.retries = 0
    } else {
      subscription.phase = "idle"
    }
  }

  private send(subscription: Subscription, command: string): boolean {
    subscription.sentAt = this.now()
    return this.delegate.send(command)
  }

  private scheduleRelease(delay: number): void {
    if (this.releaseTimer !== null) return
    this.releaseTimer = this.clock.setTimeout(() => {
      this.releaseTimer = null
      this.releaseDue()
    }, delay)
  }

  private releaseDue(): void {
    const now = this.now()
    let next = Infinity
    for (const subscription of [...this.byIdentifier.values()]) {
      if (subscription.releaseAt === null) continue
      if (subscription.releaseAt <= now) this.release(subscription)
      else next = Math.min(next, subscription.releaseAt - now)
    }
    if (next < Infinity) this.scheduleRelease(next)
  }

  private release(subscription: Subscription): void {
    if (subscription.phase == "pending") {
      subscription.releaseOnConfirm = true
      return
    }
    if (subscription.phase == "confirmed" && this.delegate.send(unsubscribeCommand(subscription.identifier))) {
      this.unsubscribedAt.set(subscription.identifier, this.now())
    }
    this.forget(subscription)
  }

  private forget(subscription: Subscription): void {
    if (subscription.held.length) debug(`${subscription.held.length} held message(s) dropped: no source came back`)
    this.byIdentifier.delete(subscription.identifier)
  }

  private deliverHeld(subscription: Subscription): void {
    if (!subscription.held.length) return
    const held = subscription.held
    subscription.held = []
    for (const message of held) this.dispatch(subscription, message)
  }

  /** Each receiver gets the message; the page gets it once, if any source feeds the page. */
  private dispatch(subscription: Subscription, message: unknown): void {
    let toPage = false
    for (const source of subscription.sources) {
      if (source.receive) guard(() => source.receive!(message))
      else toPage = true
    }
    if (toPage) this.delegate.deliver(message, subscription.identifier)
  }
}

function feedsPage(subscription: Subscription): boolean {
  for (const source of subscription.sources) if (!source.receive) return true
  return false
}

/** An app's callback that throws must not keep the message from the other sources, nor reach the socket. */
function guard(callback: () => void): void {
  try {
    callback()
  } catch (error) {
    console.error("turbo-cable: a subscription callback failed", error)
  }
}
