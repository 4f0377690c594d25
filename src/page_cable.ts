// The page's cable, made from its parts instead of module-level singletons: options, a clock, a WebSocket
// class and Turbo. It wires the cable's messages to the renderer and its confirmations to the catch-up, and
// carries the app's channels (the consumer) beside the stream sources, on the one socket.
import { Cable } from "./cable/cable"
import { systemClock, type Clock } from "./cable/clock"
import { PageStatus, type ConnectionState } from "./cable/status"
import type { SubscriptionSource } from "./cable/subscriptions"
import { resolveCableUrl } from "./cable/url"
import { CatchUp } from "./catch_up/catch_up"
import { LocalRenders } from "./catch_up/local_renders"
import type { TurboMorph } from "./catch_up/morph"
import { catchUpReason } from "./catch_up/policy"
import { resolveOptions, type CableOptions, type OptionChanges } from "./config"
import { Consumer } from "./consumer/consumer"
import { StreamRenderer, type StreamSink } from "./streams/stream_renderer"

/** The parts of Turbo turbo-cable uses. */
export type TurboLike = StreamSink & TurboMorph & { session?: { refresh?(url: string): void } }

const ON_CONNECT_META = "turbo-cable-catch-up-on-connect"

export interface PageCableParts {
  options?: OptionChanges
  clock?: Clock
  /** Default: the page's WebSocket. */
  WebSocket?: typeof WebSocket
  /** Turbo, for stream messages and the catch-up; without it the cable carries app channels only. */
  turbo?: () => TurboLike
  /** When the page's server-rendered content was rendered (ms), for sources found in it (catch_up/page_age.ts). */
  renderedAt?: () => number
  /** Where the state shows (`<html data-turbo-cable-state>`, `turbo-cable:state`); null for none. */
  document?: Document | null
}

/** What `getCable()` hands an app: enough to act on the cable, nothing of its insides. */
export interface CableHandle {
  /** Sends a channel action on a confirmed subscription; false when it was not sent. */
  perform(identifier: string, data: Record<string, unknown>): boolean
  /** Closes the socket for good (state `stopped`); `restart()` opens a new one. */
  stop(reason?: string): void
  restart(): void
  readonly state: ConnectionState
}

export class PageCable {
  readonly options: CableOptions
  readonly status: PageStatus
  readonly cable: Cable
  readonly consumer: Consumer
  readonly handle: CableHandle
  private readonly catchUp: CatchUp | null

  constructor({ options = {}, clock = systemClock, WebSocket = globalThis.WebSocket, turbo, renderedAt, document = globalThis.document }: PageCableParts) {
    this.options = resolveOptions(options)
    this.status = new PageStatus(document ?? undefined)
    // Past its bound the held queue is dropped, never applied out of turn: one more catch-up, fetched after the
    // drop, brings every dropped message's effect with it.
    const renderer = turbo ? new StreamRenderer(turbo, () => this.catchUp?.request("overflow")) : null
    const catchUp = (this.catchUp = turbo
      ? new CatchUp(
          {
            ready: () => this.cable.connection.state == "connected" && this.cable.subscriptions.settled,
            connected: () => this.cable.connection.state == "connected",
            holdMessages: () => renderer!.hold(),
            releaseMessages: () => renderer!.release(),
            turbo,
            catchingUp: () => this.publishCatchUpState("catching-up"),
            caughtUp: () => this.publishCatchUpState("caught-up"),
            gaveUp: () => this.publishCatchUpState("connected"),
          },
          () => ({
            strategy: this.options.catchUp,
            backoff: this.options.backoff,
            maxAttempts: this.options.catchUpAttempts,
            settleTimeout: 2 * this.options.confirmTimeout,
            // The spread keeps a fleet dropped by a restart from refetching at once; a page back from its own
            // sleep or freeze is alone, and waits for nothing.
            spread: this.cable.connection.rejoiningAfterWake ? 0 : this.options.catchUpSpread,
          }),
          // The page's window hears its stream renders; outside a browser there are none to hold.
          new LocalRenders(document?.defaultView ?? new EventTarget()),
          clock,
        )
      : null)

    this.cable = new Cable(
      {
        deliver: (message) => renderer?.render(message),
        confirmed: (_, again, rendered) => {
          if (!catchUp) return
          const reason = catchUpReason(
            { again, renderedAt: rendered, now: clock.now() },
            { catchUpAfter: this.options.catchUpAfter, onConnect: this.catchUpOnConnect(document) },
          )
          if (reason) catchUp.request(reason)
          else catchUp.startIfReady()
        },
        poll: () => catchUp?.startIfReady(),
      },
      { options: this.options, clock, WebSocket, status: this.status },
    )

    const cable = this.cable
    this.consumer = new Consumer({
      attach: (identifier, source) => cable.attach(identifier, source),
      detach: (identifier, source) => cable.detach(identifier, source),
      perform: (identifier, data) => cable.perform(identifier, data),
      send: (command) => cable.connection.send(command),
      connect: () => cable.connect(),
      disconnect: () => cable.stop("disconnected by the app"),
      get active() {
        const { state } = cable.connection
        return state != "idle" && state != "stopped"
      },
      get url() {
        return resolveCableUrl(cable.options.url)
      },
    })

    const status = this.status
    this.handle = {
      perform: (identifier, data) => cable.perform(identifier, data),
      stop: (reason) => cable.stop(reason),
      restart: () => cable.restart(),
      get state() {
        return status.state
      },
    }
    this.renderedAt = renderedAt ?? (() => clock.now())
  }

  private readonly renderedAt: () => number

  /** A stream source joins (its messages go to Turbo, its confirmations decide when the page catches up). */
  attachSource(identifier: string, source: SubscriptionSource): void {
    this.cable.attach(identifier, source, this.renderedAt())
  }

  detachSource(identifier: string, source: SubscriptionSource): void {
    this.cable.detach(identifier, source)
  }

  /** Refetches and morphs the page now (or as the strategy says), holding live messages meanwhile. */
  catchUpNow(): void {
    this.catchUp?.request("connect")
  }

  /** Moves the page-wide state between connected, catching-up and caught-up; a dropped line's state stays. */
  private publishCatchUpState(state: "catching-up" | "caught-up" | "connected"): void {
    const previous = this.status.state
    if (previous == state || !(previous == "connected" || previous == "catching-up" || previous == "caught-up")) return
    this.status.publish({ state, previous })
  }

  private catchUpOnConnect(document: Document | null): boolean {
    if (this.options.catchUpOnConnect) return true
    return document?.head?.querySelector(`meta[name="${ON_CONNECT_META}"]`)?.getAttribute("content") == "true"
  }
}

/** Makes a cable from its parts: the page's (with Turbo), or one that carries app channels only. */
export function createPageCable(parts: PageCableParts = {}): PageCable {
  return new PageCable(parts)
}
