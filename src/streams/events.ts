// Events a source element dispatches; they bubble, so `document` hears every source.
import { dispatch } from "../dom"

export const SourceEvent = {
  /** The server confirmed the subscription; the element has the `connected` attribute. */
  connected: "turbo-cable:connected",
  /** The subscription was lost (socket dropped, or the element left the page). */
  disconnected: "turbo-cable:disconnected",
  /** The server refused the subscription (e.g. a forged stream name); the element has the `rejected` attribute. */
  rejected: "turbo-cable:rejected",
} as const

export interface SourceEventDetail {
  identifier: string
  /** The <turbo-cable-stream-source> the event is about (also the target, while it is in the document). */
  source: Element
}

export function dispatchSourceEvent(source: Element, name: string, identifier: string): void {
  const detail: SourceEventDetail = { identifier, source }
  dispatch(name, { target: source, detail })
}
