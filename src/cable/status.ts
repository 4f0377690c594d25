// The page-wide connection state: an attribute on <html> and a `turbo-cable:state` event on document.

export type ConnectionState =
  | "idle" // no source has asked for a socket yet
  | "connecting" // the first socket is opening
  | "connected" // welcomed by the server
  | "disconnected" // the line dropped; a retry is scheduled
  | "reconnecting" // a retry is under way
  | "catching-up" // connected, and the page is being refetched: it may still miss what happened while away
  | "caught-up" // connected, and the page was refetched after a reconnect: nothing missed is missing
  | "stopped" // the server refused us for good (unauthorized, reconnect: false) or the app stopped the cable

export const STATE_ATTRIBUTE = "data-turbo-cable-state"
export const STATE_EVENT = "turbo-cable:state"

export interface StateChange {
  state: ConnectionState
  previous: ConnectionState
  /** Why the line dropped or stopped: a server disconnect reason, "stale", "slept", "closed", "unsupported", "bad-url". */
  reason?: string
}

/** Shows the state on a document (none outside a browser). */
export class PageStatus {
  state: ConnectionState = "idle"

  constructor(private readonly doc: Document | undefined = globalThis.document) {}

  publish(change: StateChange): void {
    this.state = change.state
    if (!this.doc) return
    this.doc.documentElement.setAttribute(STATE_ATTRIBUTE, change.state)
    this.doc.dispatchEvent(new CustomEvent<StateChange>(STATE_EVENT, { detail: change }))
  }
}
