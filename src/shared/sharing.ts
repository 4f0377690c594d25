// Whether this tab shares a connection with the other tabs of its browser, and with which: the worker's
// name is its key. A shared worker is one per (origin, script URL, name) in a browser profile (and per
// storage partition), so tabs share exactly when they name the same cable URL, the same identity and the
// same version of these messages; anything that makes a tab's socket its own keeps it out.
import type { CableOptions } from "../config"
import { readMeta } from "../dom"
import { resolveCableUrl } from "../cable/url"
import { SHARING_VERSION } from "./messages"

/** `<meta name="turbo-cable-share-connection" content="false">`: this page keeps a socket of its own. */
export const SHARE_META = "turbo-cable-share-connection"
/** `<meta name="turbo-cable-identity" content="DIGEST">`: who the page is for; tabs of other identities never share. */
export const IDENTITY_META = "turbo-cable-identity"
/** `<meta name="turbo-cable-worker" content="URL">`: where the worker script is, when it is not beside turbo-cable's. */
export const WORKER_META = "turbo-cable-worker"
export const WORKER_FILE = "turbo-cable-worker.js"

/** A shared worker to join: its script and its name (the sharing key). */
export interface SharedWorkerSpec {
  url: string
  name: string
  /** The cable URL the worker's socket connects to. */
  cableUrl: string
}

export type SharingOptions = Pick<CableOptions, "url" | "shareConnection" | "workerUrl" | "extendedProtocol">

/**
 * The worker this tab should join, or why it keeps a socket of its own. `here`: the URL of turbo-cable's
 * script, which the worker file sits beside (tab_line.ts reads it while the script runs). `decided`: the tab
 * shares already and joins again (the page may have wrapped WebSocket since): only the key is read anew.
 */
export function sharedWorkerFor(options: SharingOptions, webSocketClass: typeof WebSocket, here: string, decided = false): SharedWorkerSpec | string {
  if (!decided) {
    if (readMeta(SHARE_META) == "false") return "sharing is turned off"
    if (typeof options.url == "function") return "the cable URL is a function (a token of this tab's)"
    if (!isNative(webSocketClass)) return "the page's WebSocket class is not the browser's"
    if (globalThis.location?.origin == "null") return "the page has an opaque origin"
  }
  let cableUrl: string
  let url: string
  try {
    cableUrl = resolveCableUrl(options.url)
    url = workerScriptUrl(here, options.workerUrl)
  } catch {
    return "no URL for the cable or the worker"
  }
  if (new URL(url).origin != location.origin) return `the worker script ${url} is of another origin`
  const identity = readMeta(IDENTITY_META) ?? ""
  return { url, cableUrl, name: `turbo-cable v${SHARING_VERSION} ${options.extendedProtocol} ${cableUrl} ${identity}` }
}

/** The worker script: the option, else `<meta name="turbo-cable-worker">` (both against the page), else beside `here`. */
export function workerScriptUrl(here: string, workerUrl?: string): string {
  const configured = workerUrl ?? readMeta(WORKER_META)
  return new URL(configured ?? WORKER_FILE, configured ? document.baseURI : here).href
}

/** The identity this page says it is for (changes when a Turbo visit renders another user's head). */
export function pageIdentity(): string {
  return readMeta(IDENTITY_META) ?? ""
}

function isNative(webSocketClass: typeof WebSocket): boolean {
  try {
    return Function.prototype.toString.call(webSocketClass).includes("[native code]")
  } catch {
    return false
  }
}
