// Whether this tab shares a connection with the other tabs of its browser, and with which: the worker's
// name is its key. A shared worker is one per (origin, script URL, name) in a browser profile (and per
// storage partition), so tabs share exactly when they name the same cable URL, the same identity and the
// same version of these messages; anything that makes a tab's socket its own keeps it out.
//
// A connection carries the cookies of whoever opened it. Two people can use one browser (a second window
// still signed in as Alice while Bob signs in), and nothing a script can read tells their tabs apart unless
// the page says whose it is: so by default only pages that render the identity tag share.
import type { CableOptions, SharePolicy } from "../../config"
import { readMeta } from "../../dom"
import { resolveCableUrl } from "../../socket/url"
import { SHARING_VERSION } from "../messages"
import { hasWorkerBeside } from "./worker_script"

/** `<meta name="turbo-cable-share-connection" content="true|false|identified">`: the page's sharing policy. */
export const SHARE_META = "turbo-cable-share-connection"
/** `<meta name="turbo-cable-identity" content="DIGEST">`: who the page is for; tabs of other identities never share. */
export const IDENTITY_META = "turbo-cable-identity"
/** `<meta name="turbo-cable-worker" content="URL">`: where the worker script is, when tooling moved it. */
export const WORKER_META = "turbo-cable-worker"

/** A shared worker to join: its script and its name (the sharing key). */
export interface SharedWorkerSpec {
  /** The worker's script; null: the module builds' turbo-cable-worker.js beside them (worker_script.ts). */
  url: string | null
  name: string
  /** The cable URL the worker's socket connects to. */
  cableUrl: string
}

/** Why a tab keeps a socket of its own; `expected` when the page chose it, so nobody needs telling. */
export interface OwnSocket {
  why: string
  expected: boolean
}

export type SharingOptions = Pick<CableOptions, "url" | "shareConnection" | "workerUrl" | "extendedProtocol">

/** The page's policy: its meta tag, else the option. */
export function sharePolicy(option: SharePolicy, meta = readMeta(SHARE_META)): SharePolicy {
  if (meta == "true") return true
  if (meta == "false") return false
  if (meta == "identified") return "identified"
  return option
}

/**
 * The worker this tab should join, or why it keeps a socket of its own. `selfScript`: the script-tag build's
 * own URL (it is its own worker). `decided`: the tab shares already and joins again (the page may have
 * wrapped WebSocket since): only the key is read anew.
 */
export function sharedWorkerFor(options: SharingOptions, webSocketClass: typeof WebSocket, selfScript: string | null, decided = false): SharedWorkerSpec | OwnSocket {
  const policy = sharePolicy(options.shareConnection)
  const identity = pageIdentity()
  if (policy === false) return { why: "sharing is turned off", expected: true }
  if (policy == "identified" && !identity) {
    return { why: `the page does not say whose it is (<meta name="${IDENTITY_META}">), so it shares its connection with no other tab`, expected: true }
  }
  if (!decided) {
    if (typeof options.url == "function") return { why: "the cable URL is a function (a token of this tab's)", expected: true }
    if (!isNative(webSocketClass)) return { why: "the page's WebSocket class is not the browser's", expected: true }
    if (globalThis.location?.origin == "null") return { why: "the page has an opaque origin", expected: true }
  }
  let cableUrl: string
  let url: string | null
  try {
    cableUrl = resolveCableUrl(options.url)
    url = workerScriptUrl(selfScript, options.workerUrl)
  } catch {
    return { why: "no URL for the cable or the worker", expected: false }
  }
  if (!url && !hasWorkerBeside()) return { why: "turbo-cable's script cannot tell its own URL (document.currentScript)", expected: false }
  if (url && new URL(url).origin != location.origin) {
    return { why: `${url} is not of the page's origin, as a shared worker must be`, expected: false }
  }
  return { url, cableUrl, name: `turbo-cable v${SHARING_VERSION} ${options.extendedProtocol} ${cableUrl} ${identity}` }
}

/** The worker script: the option, else the meta tag (both against the page), else `selfScript`, else null (beside the module). */
export function workerScriptUrl(selfScript: string | null, workerUrl?: string): string | null {
  const configured = workerUrl ?? readMeta(WORKER_META)
  if (configured) return new URL(configured, document.baseURI).href
  return selfScript
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
