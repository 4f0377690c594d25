// The composition root: the page's cable made from its parts (options, a clock, a WebSocket class, Turbo)
// and wired by events, nothing else. The path of one frame:
//
//   socket --message--> SocketLine.receive (parse) --frame--> Registry.receive --> StreamRenderer.render --> Turbo
//                                                                             \--> an app channel's `received`
//
// Confirmations go to the page's catch-up (catch_up/page_catch_up.ts) as `confirmed` events; the refetch itself
// loads on first use.
import { systemClock, type Clock } from "./clock"
import type { Line, StopReason } from "./line"
import { watchPageLifecycle } from "./socket/page_lifecycle"
import { Registry, type RegistryEvents } from "./subscriptions/registry"
import type { FeedContent, FeedSource } from "./subscriptions/feed"
import { TabLine } from "./line_choice/tab_line"
import { PageStatus, type ConnectionState } from "./status"
import { resolveCableUrl } from "./socket/url"
import type { TurboMorph } from "./catch_up/morph"
import { PageAge } from "./catch_up/page_age"
import { PageCatchUp } from "./catch_up/page_catch_up"
import { resolveOptions, type CableOptions, type OptionChanges } from "./config"
import { adapters } from "./consumer/adapters"
import { Consumer } from "./consumer/consumer"
import { Emitter } from "./events"
import { logError } from "./log"
import { nameConnectionInRequests } from "./extended/socket_id"
import { StreamRenderer, type StreamSink } from "./streams/stream_renderer"

/** The parts of Turbo turbo-cable uses. */
export type TurboLike = StreamSink & TurboMorph & { session?: { refresh?(url: string): void } }

export interface PageCableParts {
  options?: OptionChanges
  clock?: Clock
  /** Default: `adapters.WebSocket` (the page's, unless the app chose one), read when the line first opens. */
  WebSocket?: typeof WebSocket
  /** What carries the commands; default: a WebSocket of this page (SocketLine, loaded on first use). */
  line?: Line
  /** Turbo, for stream messages and the catch-up; without it the cable carries app channels only. */
  turbo?: () => TurboLike
  /** What a stream source says of its content when it attaches; default: the page's age (catch_up/page_age.ts). */
  content?: () => FeedContent
  /** Where the state shows (`<html data-turbo-cable-state>`, `turbo-cable:state`); null for none. */
  document?: Document | null
}

/** What `getCable()` hands an app: enough to act on the cable, nothing of its insides. */
export interface CableHandle {
  /** Sends a channel action on a confirmed subscription; false when it was not sent. */
  perform(identifier: string, data: Record<string, unknown>): boolean
  /** Closes the socket for good (state `stopped`); `restart()` opens a new one. */
  stop(reason?: StopReason): void
  restart(): void
  readonly state: ConnectionState
}

export class PageCable {
  readonly options: CableOptions
  readonly status: PageStatus
  readonly line: Line
  readonly registry: Registry
  readonly events = new Emitter<RegistryEvents>()
  readonly handle: CableHandle
  /** The consumer `getConsumer()` hands out when the app chose its own (turbo-rails' `setConsumer`). */
  chosenConsumer: unknown = null
  /** Consumers for other servers, each with a socket of its own, by URL. */
  readonly consumersElsewhere = new Map<string, Consumer>()
  private consumerMade: Consumer | null = null
  private readonly renderer: StreamRenderer | null
  private readonly content: () => FeedContent
  private readonly catchUp: PageCatchUp | null
  /** Turbo's stream element was tuned (read when the first source attaches). */
  private tuned = false

  constructor(parts: PageCableParts) {
    const { clock = systemClock, turbo, document = globalThis.document } = parts
    const options = (this.options = resolveOptions(parts.options))
    this.status = new PageStatus(document ?? undefined)
    const line = (this.line = parts.line ?? new TabLine(async (replace) => (await import("./line_choice/choose_line")).chooseLine(options, clock, () => parts.WebSocket ?? adapters.WebSocket, replace)))
    // Past its bound the paused queue is dropped, never applied out of turn: one more catch-up, fetched after
    // the drop, brings every dropped message's effect with it.
    this.renderer = turbo ? new StreamRenderer(turbo, clock, () => this.catchUp?.request("overflow")) : null
    this.registry = new Registry(line, this.renderer?.render ?? ignore, this.events, options, clock)

    line.on("frame", this.registry.receive)
    line.on("welcome", this.registry.welcomed)
    line.on("lost", this.registry.lost)
    line.on("state", this.status.lineChanged)
    line.on("tabs", this.status.tabsChanged)
    if (document?.defaultView) {
      let unwatch: (() => void) | null = null
      line.on("state", ({ state }) => {
        if (state == "stopped") unwatch = (unwatch?.(), null)
        else unwatch ??= watchPageLifecycle((why) => line.wake(why))
      })
    }

    const age = turbo && document ? new PageAge(clock) : null
    this.content = parts.content ?? (() => age?.content() ?? { renderedAt: clock.now() })
    this.catchUp = turbo
      ? new PageCatchUp({ line, registry: this.registry, events: this.events, status: this.status, renderer: this.renderer!, turbo, document, options, clock })
      : null
    if (document) nameConnectionInRequests(document, () => options.socketIdHeader, () => line.sessionId)

    const self = this
    this.handle = {
      perform: (identifier, data) => this.registry.perform(identifier, data),
      stop: (reason = "stopped by the app") => line.stop(reason),
      restart: () => line.restart(),
      get state() {
        return self.status.state
      },
    }
  }

  /** @rails/actioncable's consumer over this cable, made on first use. */
  get consumer(): Consumer {
    const { line, registry, options } = this
    return (this.consumerMade ??= new Consumer({
      attach: (identifier, source) => registry.attach(identifier, source),
      detach: (identifier, source) => registry.detach(identifier, source),
      perform: (identifier, data) => registry.perform(identifier, data),
      sendExtended: (identifier, command) => registry.sendExtended(identifier, command),
      send: (command) => line.send(command),
      connect: () => (line.state == "stopped" ? line.restart() : line.open()),
      disconnect: () => line.stop("disconnected by the app"),
      get active() {
        return line.state != "idle" && line.state != "stopped"
      },
      get url() {
        return resolveCableUrl(options.url)
      },
    }))
  }

  /** A stream source joins (its messages go to Turbo, its confirmations decide when the page catches up). */
  attachSource(identifier: string, source: FeedSource): void {
    // A speed-up only (the same elements go either way): the messages that come before it loads take Turbo's path.
    if (!this.tuned) {
      this.tuned = true
      const { options } = this
      import("./streams/duplicate_lookup").then(({ tuneTurbo }) => tuneTurbo(options)).catch((error) => logError("the duplicate lookup failed to load", error))
    }
    this.registry.attach(identifier, source, this.content())
  }

  detachSource(identifier: string, source: FeedSource): void {
    this.registry.detach(identifier, source)
  }

  /** Refetches and morphs the page now (or as the strategy says), holding live messages meanwhile. */
  catchUpNow(): void {
    this.catchUp?.request("connect")
  }
}

function ignore(): void {}

/** Makes a cable from its parts: the page's (with Turbo), or one that carries app channels only. */
export function createPageCable(parts: PageCableParts = {}): PageCable {
  return new PageCable(parts)
}
