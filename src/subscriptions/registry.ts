// Every subscription race is settled here: many sources share one server subscription (a feed) per
// identifier, each message reaches the page once, and the wire sees a subscribe or unsubscribe only when
// the set really changes.
import type { Emitter } from "../events"
import { debug, guard } from "../log"
import type { Clock, TimerHandle } from "../clock"
import type { HistoryAnchor, Line, Welcome } from "../line"
import { extendedCommand, messageCommand, type ExtendedCommand, type PresenceEvent, type SubscriptionFrame } from "../protocol"

/** What a feed tells the elements and app channels that use it. */
export interface FeedSource {
  /** `reconnected`: it had been confirmed before the line dropped, so messages may have been missed. */
  subscriptionConfirmed(reconnected: boolean): void
  /** `willReconnect`: false once the line has stopped for good. */
  subscriptionLost(willReconnect: boolean): void
  subscriptionRejected(): void
  /**
   * A source with a receiver of its own (an app channel's subscription) gets each message itself, whatever
   * JSON it is. Sources without one (stream elements) share one delivery to the page.
   */
  receive?(message: unknown): void
  /** Presence on the feed's stream (AnyCable's extended protocol). */
  presenceChanged?(event: PresenceEvent): void
}

/** What the registry tells the rest of the page's cable. */
export interface RegistryEvents {
  /**
   * A feed that feeds the page (has a source without a receiver of its own) was confirmed;
   * `confirmedBefore` when it had been confirmed before a drop (messages may have been missed),
   * `renderedAt` when the content its first source belongs to was rendered.
   */
  confirmed(identifier: string, confirmedBefore: boolean, renderedAt: number): void
  /** No feed with sources is waiting for the server any more. */
  answered(): void
}

export interface RegistryTiming {
  confirmTimeout: number
  maxSubscribeRetries: number
  unsubscribeDelay: number
}

type Phase =
  | "idle" // not on the wire (no connection yet, it dropped, or a subscribe waits behind an unsubscribe)
  | "pending" // subscribe sent, no answer yet
  | "confirmed"
  | "rejected"

const CALLBACK_FAILED = "a subscription callback failed"

/** Messages kept for a feed between its last source leaving and a new one arriving. */
const MAX_KEPT_MESSAGES = 1_000

/** One server subscription and the sources that share it. */
class Feed {
  readonly sources = new Set<FeedSource>()
  phase: Phase = "idle"
  sentAt = 0
  retries = 0
  confirmedBefore = false
  /** Its last source left: it lingers until then for a source to come back before it is unsubscribed. */
  lingerUntil: number | null = null
  /** It stopped lingering while its subscribe was in flight: unsubscribe once it is confirmed. */
  retireOnConfirm = false
  /** Messages that arrived while it had no source, for the next one. */
  kept: unknown[] = []

  constructor(
    readonly identifier: string,
    readonly renderedAt: number,
    /** When the server rendered its content (AnyCable history is asked from then); -Infinity when made here. */
    readonly serverRenderedAt: number,
  ) {}

  get lingering(): boolean {
    return this.lingerUntil !== null
  }

  get feedsPage(): boolean {
    for (const source of this.sources) if (!source.receive) return true
    return false
  }
}

function anchorOf(feed: Feed): HistoryAnchor {
  return { renderedAt: feed.serverRenderedAt, again: feed.confirmedBefore }
}

export class Registry {
  private readonly feeds = new Map<string, Feed>()
  /** When an unsubscribe went out, per identifier: a subscribe right behind it could overtake it on a threaded server. */
  private readonly unsubscribedAt = new Map<string, number>()
  private timer: TimerHandle = null
  private timerAt = Infinity

  constructor(
    private readonly line: Pick<Line, "open" | "send" | "subscribe" | "unsubscribe" | "extended">,
    /** Where messages for the page go (Turbo's renderer): once per message, however many sources share it. */
    private readonly toPage: (message: unknown) => void,
    private readonly events: Pick<Emitter<RegistryEvents>, "emit">,
    private readonly timing: RegistryTiming,
    private readonly clock: Clock,
  ) {}

  /** Live server subscriptions this page holds or is asking for. */
  get size(): number {
    return this.feeds.size
  }

  /** True when no feed with sources is waiting for the server. */
  get answered(): boolean {
    for (const feed of this.feeds.values()) if (!feed.lingering && (feed.phase == "pending" || feed.phase == "idle")) return false
    return true
  }

  /**
   * `renderedAt`: when the content the source belongs to was rendered (for catch-up of stale pages);
   * `serverRenderedAt`: the same when the server rendered it, else -Infinity (an app channel, a source made by script).
   */
  attach(identifier: string, source: FeedSource, renderedAt: number = this.clock.now(), serverRenderedAt = -Infinity): void {
    let feed = this.feeds.get(identifier)
    if (!feed) {
      feed = new Feed(identifier, renderedAt, serverRenderedAt)
      this.feeds.set(identifier, feed)
      this.line.open()
      this.subscribe(feed)
    }
    feed.sources.add(source)
    feed.lingerUntil = null
    feed.retireOnConfirm = false
    if (feed.phase == "confirmed") guard(CALLBACK_FAILED, () => source.subscriptionConfirmed(false))
    if (feed.phase == "rejected") guard(CALLBACK_FAILED, () => source.subscriptionRejected())
    this.deliverKept(feed)
  }

  detach(identifier: string, source: FeedSource): void {
    const feed = this.feeds.get(identifier)
    if (!feed || !feed.sources.delete(source) || feed.sources.size > 0) return
    // Navigation, cache restores and morphs remove and re-add sources within a task or a frame:
    // linger before telling the server, so that churn never reaches the wire.
    feed.lingerUntil = this.clock.now() + this.timing.unsubscribeDelay
    this.wakeAt(feed.lingerUntil)
  }

  /** Sends a channel action on a confirmed feed; false when it was not sent (the server would drop it). */
  perform(identifier: string, data: Record<string, unknown>): boolean {
    return this.isConfirmed(identifier, data) && this.line.send(messageCommand(identifier, data))
  }

  private isConfirmed(identifier: string, data?: unknown): boolean {
    const feed = this.feeds.get(identifier)
    if (feed?.phase == "confirmed" && !feed.lingering) return true
    debug("not sent, the subscription is not confirmed:", identifier, data)
    return false
  }

  /** A whisper or presence command (AnyCable) on a confirmed feed; false when not sent: not confirmed, or a server without the extended protocol. */
  sendExtended(identifier: string, command: ExtendedCommand): boolean {
    if (!this.line.extended) {
      debug(`${command.command} not sent: the server does not speak AnyCable's extended protocol:`, identifier)
      return false
    }
    return this.isConfirmed(identifier) && this.line.send(extendedCommand(identifier, command))
  }

  /**
   * A connection was welcomed: every feed is asked for again, but those of a restored session (AnyCable),
   * which the server still holds: they are confirmed as they are, and the ones no source wants any more
   * are unsubscribed.
   */
  readonly welcomed = ({ restoredIds }: Welcome = { restoredIds: [] }): void => {
    this.unsubscribedAt.clear()
    const held = new Set(restoredIds)
    const restored: Feed[] = []
    for (const feed of this.feeds.values()) {
      if (feed.lingering) this.forget(feed)
      else if (feed.phase == "rejected") continue
      else if (held.delete(feed.identifier)) restored.push(feed)
      else this.subscribe(feed)
    }
    for (const identifier of held) {
      if (this.line.unsubscribe(identifier)) this.unsubscribedAt.set(identifier, this.clock.now())
    }
    for (const feed of restored) {
      feed.phase = "pending"
      this.confirm(feed)
    }
  }

  /** The connection is gone: sources lose their `connected` state until the next confirmation. */
  readonly lost = (willReconnect: boolean): void => {
    this.unsubscribedAt.clear()
    for (const feed of this.feeds.values()) {
      if (feed.lingering) {
        this.forget(feed)
      } else if (feed.phase != "rejected") {
        const wasConfirmed = feed.phase == "confirmed"
        feed.phase = "idle"
        if (wasConfirmed) feed.sources.forEach((source) => guard(CALLBACK_FAILED, () => source.subscriptionLost(willReconnect)))
      }
    }
  }

  /** A frame for one subscription, straight from the line. */
  readonly receive = (frame: SubscriptionFrame): void => {
    const feed = this.feeds.get(frame.identifier)
    if (!feed) return debug(`${frame.type} for an unknown subscription ignored:`, frame.identifier)
    switch (frame.type) {
      case "message":
        return this.deliver(feed, frame.message)
      case "confirm":
        return this.confirm(feed)
      case "reject":
        return this.reject(feed)
      case "presence":
        for (const source of [...feed.sources]) if (source.presenceChanged) guard(CALLBACK_FAILED, () => source.presenceChanged!(frame.message))
    }
  }

  private deliver(feed: Feed, message: unknown): void {
    if (feed.sources.size == 0) {
      // The last source left moments ago; the next one (same page after a morph, or the next page) gets it.
      if (feed.kept.length < MAX_KEPT_MESSAGES) feed.kept.push(message)
      else debug("message dropped: no source and too many kept:", feed.identifier)
      return
    }
    let toPage = false
    // Over a copy: a source a callback adds now (an app channel subscribing from `received`) hears the next
    // message, as with @rails/actioncable; one a callback removes hears no more.
    for (const source of [...feed.sources]) {
      if (!feed.sources.has(source)) continue
      if (source.receive) guard(CALLBACK_FAILED, () => source.receive!(message))
      else toPage = true
    }
    if (toPage) this.toPage(message)
  }

  private confirm(feed: Feed): void {
    if (feed.phase != "pending") return debug("confirmation ignored:", feed.identifier)
    feed.phase = "confirmed"
    const confirmedBefore = feed.confirmedBefore
    feed.confirmedBefore = true
    // It stopped lingering while the subscribe was in flight: unsubscribe now, after the server has it, never before.
    if (feed.retireOnConfirm) return this.retire(feed)
    debug(confirmedBefore ? "subscription confirmed again:" : "subscription confirmed:", feed.identifier)
    feed.sources.forEach((source) => guard(CALLBACK_FAILED, () => source.subscriptionConfirmed(confirmedBefore)))
    if (feed.feedsPage) this.events.emit("confirmed", feed.identifier, confirmedBefore, feed.renderedAt)
    if (this.answered) this.events.emit("answered")
  }

  private reject(feed: Feed): void {
    debug("subscription rejected:", feed.identifier)
    feed.phase = "rejected"
    if (feed.lingering) return this.forget(feed)
    feed.sources.forEach((source) => guard(CALLBACK_FAILED, () => source.subscriptionRejected()))
    if (this.answered) this.events.emit("answered")
  }

  private subscribe(feed: Feed): void {
    const unsubscribedAt = this.unsubscribedAt.get(feed.identifier)
    if (unsubscribedAt !== undefined && this.clock.now() - unsubscribedAt < this.timing.unsubscribeDelay) {
      // Rails runs commands on a thread pool: a subscribe right behind an unsubscribe may overtake it.
      feed.phase = "idle"
      return this.wakeAt(unsubscribedAt + this.timing.unsubscribeDelay)
    }
    feed.sentAt = this.clock.now()
    if (this.line.subscribe(feed.identifier, anchorOf(feed))) {
      feed.phase = "pending"
      feed.retries = 0
      this.wakeAt(feed.sentAt + this.timing.confirmTimeout)
    } else {
      feed.phase = "idle" // subscribed after the next welcome
    }
  }

  /** Runs what has come due (lingering feeds to unsubscribe, subscribes to send or send again), then waits for the next. */
  private due(): void {
    const now = this.clock.now()
    const { confirmTimeout, maxSubscribeRetries } = this.timing
    for (const feed of [...this.feeds.values()]) {
      if (feed.lingering) {
        if (feed.lingerUntil! <= now) this.retire(feed)
        else this.wakeAt(feed.lingerUntil!)
      } else if (feed.phase == "idle") {
        if (this.unsubscribedAt.has(feed.identifier)) this.subscribe(feed)
      } else if (feed.phase == "pending" && feed.retries < maxSubscribeRetries) {
        if (now - feed.sentAt < confirmTimeout) {
          this.wakeAt(feed.sentAt + confirmTimeout)
          continue
        }
        feed.retries++
        debug(`no confirmation, subscribing again (${feed.retries}):`, feed.identifier)
        feed.sentAt = now
        if (this.line.subscribe(feed.identifier, anchorOf(feed))) this.wakeAt(now + confirmTimeout)
      }
    }
  }

  /** Makes sure `due` runs at `at` or earlier. */
  private wakeAt(at: number): void {
    if (at >= this.timerAt) return
    this.clock.cancel(this.timer)
    this.timerAt = at
    this.timer = this.clock.after(Math.max(0, at - this.clock.now()), () => {
      this.timer = null
      this.timerAt = Infinity
      this.due()
    })
  }

  private retire(feed: Feed): void {
    if (feed.phase == "pending") {
      feed.retireOnConfirm = true
      return
    }
    if (feed.phase == "confirmed" && this.line.unsubscribe(feed.identifier)) {
      this.unsubscribedAt.set(feed.identifier, this.clock.now())
    }
    this.forget(feed)
  }

  private forget(feed: Feed): void {
    if (feed.kept.length) debug(`${feed.kept.length} kept message(s) dropped: no source came back`)
    this.feeds.delete(feed.identifier)
  }

  private deliverKept(feed: Feed): void {
    if (!feed.kept.length) return
    const kept = feed.kept
    feed.kept = []
    for (const message of kept) this.deliver(feed, message)
  }
}
