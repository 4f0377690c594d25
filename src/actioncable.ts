// `turbo-cable/actioncable`: the module surface apps import from `@rails/actioncable`, over the page's one
// socket. Point `@rails/actioncable` at it (import map pin or bundler alias) and channel files that call
// `createConsumer()` share the socket with the stream sources, unchanged.
// Everything with state comes through the main entry: bundled separately, this module must share the page's cable.
import { adapters, configure, Consumer, consumerFor, pageConsumer, Subscription, Subscriptions } from "./index"
import { systemClock } from "./clock"
import { readMeta } from "./dom"
import { MessageType, DisconnectReason, SUBPROTOCOLS } from "./protocol"
import { DEFAULT_MOUNT_PATH, toWebSocketUrl } from "./socket/url"
import { type CableUrl } from "./config"

/** The page's consumer (the one socket); a `url` that names another server gets a socket of its own. */
export function createConsumer(url: CableUrl | undefined = getConfig("url") ?? undefined): Consumer {
  return url === undefined ? pageConsumer() : consumerFor(url)
}

/** `<meta name="action-cable-NAME">`'s content, as @rails/actioncable reads it. */
export function getConfig(name: string): string | null {
  return readMeta(`action-cable-${name}`) ?? null
}

/** `url` (called, if a function) as a ws(s) URL resolved against the page. */
export function createWebSocketURL(url: CableUrl): string {
  return toWebSocketUrl(typeof url == "function" ? url() : url, document.baseURI)
}

/** `logger.enabled = true` turns on turbo-cable's debug log (frames, ignored input, state changes). */
export const logger = {
  get enabled(): boolean {
    return configure({}).debug
  },
  set enabled(on: boolean) {
    configure({ debug: on })
  },
  log(...messages: unknown[]): void {
    if (this.enabled) adapters.logger.log("[ActionCable]", ...messages, systemClock.now())
  },
}

/** @rails/actioncable's protocol table. */
export const INTERNAL = {
  message_types: {
    welcome: MessageType.welcome,
    disconnect: MessageType.disconnect,
    ping: MessageType.ping,
    confirmation: MessageType.confirmation,
    rejection: MessageType.rejection,
  },
  disconnect_reasons: {
    unauthorized: DisconnectReason.unauthorized,
    invalid_request: DisconnectReason.invalidRequest,
    server_restart: DisconnectReason.serverRestart,
    remote: DisconnectReason.remote,
  },
  default_mount_path: DEFAULT_MOUNT_PATH,
  protocols: [...SUBPROTOCOLS],
} as const

function shared(name: string): never {
  throw new Error(`turbo-cable: the page's socket is shared; use createConsumer() instead of new ${name}()`)
}

/** The socket is turbo-cable's own and shared: made by `createConsumer()`, never by hand. */
export class Connection {
  constructor() {
    shared("Connection")
  }
}

/** Liveness is turbo-cable's (`staleAfter` option); `staleThreshold` (seconds) sets it. */
export class ConnectionMonitor {
  static get staleThreshold(): number {
    return configure({}).staleAfter / 1000
  }
  static set staleThreshold(seconds: number) {
    configure({ staleAfter: seconds * 1000 })
  }
  constructor() {
    shared("ConnectionMonitor")
  }
}

/** Unconfirmed subscribes are retried by turbo-cable's registry (`confirmTimeout`, `maxSubscribeRetries`). */
export class SubscriptionGuarantor {
  constructor() {
    shared("SubscriptionGuarantor")
  }
}

export { adapters, Consumer, Subscription, Subscriptions }
export type { ChannelMixin, ChannelParams } from "./consumer/subscription"
