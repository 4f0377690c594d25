// Every option, its default, in one place. The page's cable reads them as it goes: `url` at every connect.

/** A URL, or a function that returns one (read again at every connect, e.g. to add a fresh token). */
export type CableUrl = string | (() => string)

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter (ms). */
  firstDelay: number
  /** Growth per further attempt. */
  factor: number
  /** No delay exceeds this (ms). */
  maxDelay: number
  /** Each delay is drawn uniformly from [d * (1 - jitter), d * (1 + jitter)]. */
  jitter: number
}

/** Whether to offer AnyCable's extended protocol: before the plain one, alone, or not at all. */
export type ExtendedProtocolChoice = "prefer" | "only" | "off"

/** Why a catch-up runs ("overflow": live messages held during a long catch-up passed their bound and were dropped). */
export type CatchUpReason = "reconnect" | "stale-page" | "connect" | "overflow"

/** How a page catches up: refetch and morph, Turbo's own page refresh, nothing, or the app's function. */
export type CatchUpStrategy = "morph" | "refresh" | "none" | ((reason: CatchUpReason) => void | Promise<void>)

/** What a hidden tab does when it should refetch its page: wait until it is shown ("defer"), or refetch at once ("now"). */
export type HiddenCatchUpMode = "defer" | "now"

/**
 * Which tabs may share one connection: "identified" only tabs whose pages name the same person
 * (`<meta name="turbo-cable-identity">`); true every tab of the origin and cable URL (the app says its
 * connections carry no per-user identity); false none.
 */
export type SharePolicy = boolean | "identified"

export interface CableOptions {
  /** WebSocket URL, or a function returning one, read at every connect. Default: `<meta name="action-cable-url">`, else `/cable`. */
  url?: CableUrl
  /**
   * Awaited (at most 10 s) before the one retry a `url` function gets when a cable that was authorized before
   * is refused (`unauthorized`, AnyCable's `token_expired`): fetch a fresh token here for `url` to read.
   */
  refreshCredentials?: () => void | Promise<void>
  /** Log protocol frames, ignored input and state changes with console.debug. */
  debug: boolean
  /** Reconnect timing; see backoff.ts. */
  backoff: BackoffPolicy
  /** The server pings every 3 s; a line silent for this long is dead (two ping intervals). */
  staleAfter: number
  /** How often liveness, clock jumps and unconfirmed subscribes are checked (ms). */
  pollInterval: number
  /** A socket still connecting after this long is abandoned (left to close itself, never closed while connecting). */
  connectTimeout: number
  /** After this long connected, the next drop starts the backoff from its first step again (ms). */
  stableAfter: number
  /** A subscribe with no confirmation after this long is sent again (ms). */
  confirmTimeout: number
  /** How many times an unconfirmed subscribe is sent again. */
  maxSubscribeRetries: number
  /** The last source of a stream may come back within this long (navigation, morph) without an unsubscribe (ms). */
  unsubscribeDelay: number
  /**
   * How the page catches up after a reconnect: "morph" (refetch the URL, morph the body), "refresh"
   * (Turbo's page refresh), "none", or a function. `<meta name="turbo-cable-catch-up">` overrides it per page.
   */
  catchUp: CatchUpStrategy
  /** Catch up when a page's first confirmation comes this long (ms) after the server rendered it. */
  catchUpAfter: number
  /** Catch up on every first confirmation, however fast (also `<meta name="turbo-cable-catch-up-on-connect" content="true">`). */
  catchUpOnConnect: boolean
  /** Attempts at a refetch that fails on the network or with a 5xx, with the reconnect backoff between them. */
  catchUpAttempts: number
  /** A reconnect's refetch waits a random 0 to this many ms: a deploy's thousand pages do not ask for themselves at once. */
  catchUpSpread: number
  /**
   * A hidden tab that should refetch its page (a catch-up, a Turbo refresh broadcast): "defer" waits until it is
   * shown and then refetches once (state `behind` meanwhile; live messages still apply), "now" refetches at once.
   * `<meta name="turbo-cable-hidden-catch-up" content="defer|now">` overrides it per page.
   */
  hiddenCatchUp: HiddenCatchUpMode
  /**
   * Let Turbo's <turbo-stream> find the elements an append repeats by id lookup instead of scanning every
   * child of the target (same result; see streams/duplicate_lookup.ts). Read when the cable starts.
   */
  fastDuplicateRemoval: boolean
  /**
   * AnyCable's extended protocol (`actioncable-v1-ext-json`: session restore, stream history): "prefer" offers
   * it before the plain one and uses whichever the server picks; "only" offers it alone, for a server that picks
   * by its own order (anycable-go lists the plain one first); "off" offers the plain one only. Read at every connect.
   */
  extendedProtocol: ExtendedProtocolChoice
  /** The header Turbo's requests carry the extended protocol's session id in ("X-Socket-ID"); false for none. */
  socketIdHeader: string | false
  /**
   * Share one connection with the other tabs of this browser that name the same cable URL, through a shared
   * worker: "identified" (default) only between pages that say whose they are with `<meta
   * name="turbo-cable-identity">` (a page without it keeps a socket of its own, as with turbo-rails); true
   * whoever's they are; false never. `<meta name="turbo-cable-share-connection" content="true|false|identified">`
   * overrides it per page. Read when the line first opens.
   */
  shareConnection: SharePolicy
  /**
   * Where the shared worker's script is, when your tooling moved it; also `<meta name="turbo-cable-worker">`.
   * Default: the script-tag build is its own worker; the module builds use turbo-cable-worker.js beside them.
   */
  workerUrl?: string
}

export const defaults: Readonly<Omit<CableOptions, "url" | "refreshCredentials" | "workerUrl">> = {
  debug: false,
  // A first retry at 150-450 ms, growing by 1.3 to a 10 s cap, and no fleet of clients retries in step. Each
  // retry asks the server over HTTP first; while it is down, the probe schedule (socket/probe_schedule.ts), not
  // the backoff, says when to ask again.
  backoff: { firstDelay: 300, factor: 1.3, maxDelay: 10_000, jitter: 0.5 },
  staleAfter: 6_000,
  pollInterval: 500,
  connectTimeout: 4_000,
  stableAfter: 3_000,
  confirmTimeout: 2_000,
  maxSubscribeRetries: 3,
  unsubscribeDelay: 500,
  catchUp: "morph",
  // A page served, parsed and connected in under 1.5 s costs no second request; one whose first confirmation
  // comes later (a slow first connect, a page left in the back/forward cache) is refetched. A fast mobile
  // load (connect, upgrade, welcome, subscribe, confirm: ~4 round trips) stays well under it.
  catchUpAfter: 1_500,
  catchUpOnConnect: false,
  catchUpAttempts: 6,
  // Pages dropped together rejoin within the backoff's first window (150-450 ms after the server listens);
  // a further 0-500 ms before each refetch makes the requests' window ~0.8 s instead of ~0.3 s (peak rate
  // /2.7), and the last page is still caught up by ~1.1 s (0.45 + 0.5 + a refetch and morph), under the
  // 1.5 s target.
  catchUpSpread: 500,
  // People keep many tabs open: after a deploy only the ones they look at should ask for their page.
  hiddenCatchUp: "defer",
  fastDuplicateRemoval: true,
  extendedProtocol: "prefer",
  socketIdHeader: "X-Socket-ID",
  // A connection is opened with the browser's cookies: only pages that say they are one person's may share it.
  shareConnection: "identified",
}

/** Options with the defaults filled in; `backoff` may be given in part. */
export type OptionChanges = Partial<Omit<CableOptions, "backoff">> & { backoff?: Partial<BackoffPolicy> }

/** `changes` applied to `options` in place (the cable holds on to that object), backoff merged field by field. */
export function applyOptions(options: CableOptions, changes: OptionChanges): CableOptions {
  Object.assign(options, changes, { backoff: { ...options.backoff, ...changes.backoff } })
  return options
}

/** A fresh set of options: the defaults, then `changes`. */
export function resolveOptions(changes: OptionChanges = {}): CableOptions {
  return applyOptions({ ...defaults, backoff: { ...defaults.backoff } }, changes)
}

/** What the line reads of the options, as it goes (the URL at every connect). */
export type LineSettings = Pick<
  CableOptions,
  "url" | "refreshCredentials" | "backoff" | "staleAfter" | "pollInterval" | "connectTimeout" | "stableAfter" | "extendedProtocol"
>

/** What a tab's line reads of the options: the socket's settings, whether to share, and the shared worker's registry timing. */
export type TabLineOptions = LineSettings & Pick<CableOptions, "shareConnection" | "workerUrl" | "debug" | "unsubscribeDelay" | "confirmTimeout" | "maxSubscribeRetries">

/** When a registry subscribes again, and how long a feed with no source lingers. */
export type RegistryTiming = Pick<CableOptions, "confirmTimeout" | "maxSubscribeRetries" | "unsubscribeDelay">
