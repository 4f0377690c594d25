// Every subscription race is settled here, in a tab (its sources: stream elements, app channels) and in the
// shared worker (its sources: the tabs) alike: many sources share one server subscription (a feed, feed.ts) per
// identifier, each message reaches each source once, and the wire sees a subscribe or unsubscribe only when the
// set really changes.
import { Alarm, type Clock } from "../clock"
import type { RegistryTiming } from "../config"
import type { Emitter } from "../events"
import type { Line, Welcome } from "../line"
import { debug, guard } from "../log"
import { extendedCommand, messageCommand, type ExtendedCommand, type SubscriptionFrame } from "../protocol"
import { Feed, type FeedContent, type FeedSource } from "./feed"

/** What the registry tells the rest of the page's cable. */
export interface RegistryEvents {
  /**
   * A feed that feeds the page (has a source without a receiver of its own) was confirmed: `confirmedBefore`
   * when it had been confirmed before a drop, `missed` when it was held already and delivered messages the page's
   * content may lack (both: the page catches up), `renderedAt` when its content was rendered.
   */
  confirmed(identifier: string, confirmedBefore: boolean, renderedAt: number, missed: boolean): void
  /** No feed with sources is waiting for the server any more. */
  answered(): void
}

const CALLBACK_FAILED = "a subscription callback failed"

export class Registry {
  private readonly feeds = new Map<string, Feed>()
  /** When an unsubscribe went out, per identifier: a subscribe right behind it could overtake it on a threaded server. */
  private readonly unsubscribedAt = new Map<string, number>()
  /** Lingering feeds to unsubscribe, subscribes to send or send again: `due` runs at the earliest. */
  private readonly alarm: Alarm

  constructor(
    private readonly line: Pick<Line, "open" | "send" | "subscribe" | "unsubscribe" | "extended">,
    /** Where messages for the page go (Turbo's renderer): once per message, however many sources share it. */
    private readonly toPage: (message: unknown) => void,
    private readonly events: Pick<Emitter<RegistryEvents>, "emit">,
    private readonly timing: RegistryTiming,
    private readonly clock: Clock,
  ) {
    this.alarm = new Alarm(clock, () => this.due())
  }

  /** Live server subscriptions this page holds or is asking for. */
  get size(): number {
    return this.feeds.size
  }
  /** True when no feed with sources is waiting for the server. */
  get answered(): boolean {
    for (const feed of this.feeds.values()) if (!feed.lingering && (feed.phase == "pending" || feed.phase == "idle")) return false
    return true
  }

  /** True when the connection holds `identifier` confirmed (a source joining it is answered at once). */
  holds(identifier: string): boolean {
    return this.feeds.get(identifier)?.phase == "confirmed"
  }

  /** `source` joins the feed of `identifier`; `content`: what it says of the content it feeds (feed.ts). */
  attach(identifier: string, source: FeedSource, content: FeedContent = {}): void {
    let feed = this.feeds.get(identifier)
    if (!feed) {
      feed = new Feed(identifier, { renderedAt: this.clock.now(), ...content })
      this.feeds.set(identifier, feed)
      this.line.open()
      this.subscribe(feed)
    } else if (feed.sources.has(source)) {
      // Asked again (a tab's retry, its subscribe after a welcome): answered as it stands.
      if (feed.phase == "confirmed") guard(CALLBACK_FAILED, () => source.subscriptionConfirmed(false, false))
      return
    }
    feed.sources.add(source)
    feed.lingerUntil = null
    feed.retireOnConfirm = false
    if (feed.phase == "rejected") guard(CALLBACK_FAILED, () => source.subscriptionRejected())
    if (content.requestedAt === undefined) {
      if (feed.phase == "confirmed") guard(CALLBACK_FAILED, () => source.subscriptionConfirmed(false, false))
      return this.deliverKept(feed)
    }
    feed.kept = []
    if (feed.phase == "confirmed") this.join(feed, source, content)
  }

  /**
   * A source joins a feed the connection holds: what the feed delivered since the source's content was requested
   * may be missing from it. AnyCable's extended protocol hands it those messages (their positions make them
   * exact); on Action Cable the source is told, and its page catches up.
   */
  private join(feed: Feed, source: FeedSource, { requestedAt, renderedAt = this.clock.now() }: FeedContent): void {
    const missed = feed.missedSince(requestedAt!)
    const told = !!missed?.length && !this.line.extended
    guard(CALLBACK_FAILED, () => source.subscriptionConfirmed(false, told))
    // Content older than what the feed remembers (a snapshot from Turbo's cache): the page's own policy decides.
    if ((told || !missed) && !source.receive) this.events.emit("confirmed", feed.identifier, false, renderedAt, told)
    if (told || !missed) return
    for (const message of missed) {
      if (source.receive) guard(CALLBACK_FAILED, () => source.receive!(message))
      else this.toPage(message)
    }
  }

  detach(identifier: string, source: FeedSource): void {
    const feed = this.feeds.get(identifier)
    if (!feed || !feed.sources.delete(source) || feed.sources.size > 0) return
    // Navigation, cache restores and morphs remove and re-add sources within a task or a frame:
    // linger before telling the server, so that churn never reaches the wire.
    feed.lingerUntil = this.clock.now() + this.timing.unsubscribeDelay
    this.alarm.at(feed.lingerUntil)
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
      if (feed.lingering) this.letGo(feed)
      else if (feed.phase == "rejected") continue
      else if (held.delete(feed.identifier)) restored.push(feed)
      else this.subscribe(feed)
    }
    for (const identifier of held) {
      if (this.line.unsubscribe(identifier)) this.unsubscribedAt.set(identifier, this.clock.now())
    }
    for (const feed of restored) {
      feed.phase = "pending"
      this.confirm(feed, false)
    }
  }

  /** The connection is gone: sources lose their `connected` state until the next confirmation. */
  readonly lost = (willReconnect: boolean): void => {
    this.unsubscribedAt.clear()
    for (const feed of this.feeds.values()) {
      if (feed.lingering) {
        this.letGo(feed)
      } else if (feed.phase != "rejected") {
        const wasConfirmed = feed.phase == "confirmed"
        feed.phase = "idle"
        feed.lost()
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
        return this.confirm(feed, frame.missed ?? false)
      case "reject":
        return this.reject(feed)
      case "presence":
        for (const source of [...feed.sources]) if (source.presenceChanged) guard(CALLBACK_FAILED, () => source.presenceChanged!(frame.message))
    }
  }

  private deliver(feed: Feed, message: unknown): void {
    feed.delivered(message, this.clock.now(), feed.sources.size == 0)
    // With no source, the last one left moments ago; the next one (same page after a morph, or the next page) gets it.
    this.fanOut(feed, message)
  }

  private fanOut(feed: Feed, message: unknown): void {
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

  /** `missed`: the shared worker's word that the feed it joined delivered messages this page may lack. */
  private confirm(feed: Feed, missed: boolean): void {
    // A confirmation for a rejected feed (a retry that crossed the rejection): nobody here wants what it holds.
    if (feed.phase == "rejected") this.line.unsubscribe(feed.identifier)
    if (feed.phase != "pending") return debug("confirmation ignored:", feed.identifier)
    feed.phase = "confirmed"
    feed.confirmedAt(this.clock.now())
    const confirmedBefore = feed.confirmedBefore
    feed.confirmedBefore = true
    // It stopped lingering while the subscribe was in flight: unsubscribe now, after the server has it, never before.
    if (feed.retireOnConfirm) return this.retire(feed)
    debug(confirmedBefore ? "subscription confirmed again:" : "subscription confirmed:", feed.identifier)
    feed.sources.forEach((source) => guard(CALLBACK_FAILED, () => source.subscriptionConfirmed(confirmedBefore, missed)))
    if (feed.feedsPage) this.events.emit("confirmed", feed.identifier, confirmedBefore, feed.content.renderedAt!, missed)
    if (this.answered) this.events.emit("answered")
  }

  private reject(feed: Feed): void {
    debug("subscription rejected:", feed.identifier)
    feed.phase = "rejected"
    if (feed.lingering) return this.letGo(feed)
    feed.sources.forEach((source) => guard(CALLBACK_FAILED, () => source.subscriptionRejected()))
    if (this.answered) this.events.emit("answered")
  }

  private subscribe(feed: Feed): void {
    const unsubscribedAt = this.unsubscribedAt.get(feed.identifier)
    if (unsubscribedAt !== undefined && this.clock.now() - unsubscribedAt < this.timing.unsubscribeDelay) {
      // Rails runs commands on a thread pool: a subscribe right behind an unsubscribe may overtake it.
      feed.phase = "idle"
      return this.alarm.at(unsubscribedAt + this.timing.unsubscribeDelay)
    }
    feed.sentAt = this.clock.now()
    if (this.line.subscribe(feed.identifier, feed.anchor)) {
      feed.phase = "pending"
      feed.retries = 0
      this.alarm.at(feed.sentAt + this.timing.confirmTimeout)
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
        else this.alarm.at(feed.lingerUntil!)
      } else if (feed.phase == "idle") {
        if (this.unsubscribedAt.has(feed.identifier)) this.subscribe(feed)
      } else if (feed.phase == "pending" && feed.retries < maxSubscribeRetries) {
        if (now - feed.sentAt < confirmTimeout) {
          this.alarm.at(feed.sentAt + confirmTimeout)
          continue
        }
        feed.retries++
        debug(`no confirmation, subscribing again (${feed.retries}):`, feed.identifier)
        feed.sentAt = now
        if (this.line.subscribe(feed.identifier, feed.anchor)) this.alarm.at(now + confirmTimeout)
      }
    }
  }

  private retire(feed: Feed): void {
    if (feed.phase == "pending") {
      feed.retireOnConfirm = true
      return
    }
    this.letGo(feed)
  }

  /**
   * The feed ends: unless rejected (then nobody holds it), the line hears that it is not wanted, whatever the
   * phase. A socket sends the unsubscribe only for what its connection holds; a tab's shared line tells the worker,
   * which holds it for this tab across the worker's own drops.
   */
  private letGo(feed: Feed): void {
    if (feed.phase != "rejected" && this.line.unsubscribe(feed.identifier)) this.unsubscribedAt.set(feed.identifier, this.clock.now())
    if (feed.kept.length) debug(`${feed.kept.length} kept message(s) dropped: no source came back`)
    this.feeds.delete(feed.identifier)
  }

  private deliverKept(feed: Feed): void {
    if (!feed.kept.length) return
    const kept = feed.kept
    feed.kept = []
    for (const message of kept) this.fanOut(feed, message)
  }
}
