// The classic-script entry: one <script src="turbo-cable.min.js"> makes a page live, and the same file is
// the shared worker that holds the connection of the page's tabs (sharing/tab/worker_script.ts): a page starts it
// from this script's own URL, so a copy under any name or digest needs no other file. In a page it sets
// window.Turbo (unless the page already has one, e.g. from turbo-rails) and window.TurboCable; in the worker
// (no document) it serves the tabs and runs nothing of the page's, Turbo's least of all.
import * as api from "./api"
import * as cable from "./rails/cable"
import { installMethodOverride } from "./rails/method_override"
import { STATE_ATTRIBUTE, STATE_EVENT } from "./status"
import { CatchUpEvent } from "./catch_up/policy"
import { SourceEvent } from "./streams/events"
import { StreamSourceElement } from "./streams/stream_source_element"
import { logError } from "./log"
import { serveTabs } from "./sharing/worker/serve_tabs"
import { workerIsThisScript } from "./sharing/tab/worker_script"

declare global {
  interface Window {
    Turbo?: api.TurboLike
    TurboCable?: typeof TurboCable
    /** Options set before this script runs (e.g. by an inline script above a deferred tag). */
    TurboCableConfig?: api.OptionChanges
  }
}

const TurboCable = {
  /** turbo-rails' `cable` (getConsumer, setConsumer, createConsumer, subscribeTo), over the one socket. */
  cable,
  configure: api.configure,
  connectionState: api.connectionState,
  catchUpNow: api.catchUpNow,
  CatchUpEvent,
  getCable: api.getCable,
  pageConsumer: api.pageConsumer,
  StreamSourceElement,
  SourceEvent,
  STATE_ATTRIBUTE,
  STATE_EVENT,
}

async function boot(): Promise<void> {
  if (window.TurboCable) return // loaded twice: the first copy stays in charge
  window.TurboCable = TurboCable
  if (window.TurboCableConfig) api.configure(window.TurboCableConfig)
  // A page that already runs Turbo keeps it: a second Turbo would start a second Drive session.
  const turbo = window.Turbo ?? (await import("@hotwired/turbo"))
  api.start(turbo)
  installMethodOverride()
}

if (typeof document == "undefined") serveTabs()
else {
  // Only while this script runs is it document.currentScript.
  workerIsThisScript((document.currentScript as HTMLScriptElement | null)?.src || null)
  boot().catch((error) => logError("failed to start", error))
}
