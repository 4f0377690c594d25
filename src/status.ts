// The page-wide state: the line's, with the catch-up's on top while connected. Shown as an attribute on
// <html> and a `turbo-cable:state` event on document.
import { dispatch } from "./dom"
import type { DropReason, LineChange, LineState, StopReason } from "./line"

/** Where the page stands with what happened while it was away (only while the line is connected). */
export type CatchUpState =
  | "none" // nothing to catch up since the line was welcomed, or the catch-up gave up
  | "behind" // the tab is hidden: it missed something and catches up when it is shown (`hiddenCatchUp: "defer"`)
  | "catching-up" // the page is being refetched: it may still miss what happened while away
  | "caught-up" // the page was refetched after a reconnect: nothing missed is missing

/** The state the page shows: the line's (see line.ts), or the catch-up's while the line is connected. */
export type ConnectionState = LineState | Exclude<CatchUpState, "none">

export const STATE_ATTRIBUTE = "data-turbo-cable-state"
export const STATE_EVENT = "turbo-cable:state"
/** How many tabs share the page's connection (set once the line opens; 1 for a socket of the tab's own). */
export const TABS_ATTRIBUTE = "data-turbo-cable-tabs"
export const TABS_EVENT = "turbo-cable:tabs"

export interface StateChange {
  state: ConnectionState
  previous: ConnectionState
  /** Why the line dropped or stopped: a server disconnect reason, "stale", "slept", "closed", "unsupported", "bad-url", ... */
  reason?: StopReason | DropReason
}

/** Holds the two states and shows their sum on a document (none outside a browser). */
export class PageStatus {
  line: LineState = "idle"
  catchUp: CatchUpState = "none"

  constructor(private readonly doc: Document | undefined = globalThis.document) {}

  get state(): ConnectionState {
    return this.line == "connected" && this.catchUp != "none" ? this.catchUp : this.line
  }

  readonly lineChanged = ({ state, reason }: LineChange): void => {
    const previous = this.state
    this.line = state
    this.catchUp = "none"
    this.publish({ state: this.state, previous, reason })
  }

  /** A catch-up state counts only while the line is connected; a dropped line's state stays. */
  readonly catchUpChanged = (state: CatchUpState): void => {
    if (this.line != "connected" || state == this.catchUp) return
    const previous = this.state
    this.catchUp = state
    this.publish({ state: this.state, previous })
  }

  /** The tabs sharing the connection (sharing/tab/shared_line.ts), as an attribute and an event `{ tabs }`. */
  readonly tabsChanged = (tabs: number): void => {
    if (!this.doc || this.doc.documentElement.getAttribute(TABS_ATTRIBUTE) == String(tabs)) return
    this.doc.documentElement.setAttribute(TABS_ATTRIBUTE, String(tabs))
    dispatch(TABS_EVENT, { detail: { tabs } })
  }

  private publish(change: StateChange): void {
    if (!this.doc) return
    this.doc.documentElement.setAttribute(STATE_ATTRIBUTE, change.state)
    dispatch(STATE_EVENT, { detail: change })
  }
}
