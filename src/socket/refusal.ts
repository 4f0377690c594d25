// What a server's `disconnect` asks of the client: a pure function, so tests call it without a socket.
import { DisconnectReason, TOKEN_EXPIRED } from "../protocol"


export interface RefusalContext {
  /** `url` is a function, read again at every connect: a second read may carry a fresh token. */
  urlIsFunction: boolean
  /** The server welcomed this cable at least once: the credentials were good, and may only have expired. */
  authorizedBefore: boolean
  /** A refused connection was already retried since the last welcome. */
  retriedRefusal: boolean
}

/**
 * - "stop": refused for good (`reconnect: false`, or unauthorized with nothing that could change);
 * - "retry-fresh": refused, but a fresh URL may succeed: read it again (after the app's refresh hook), once;
 * - "reconnect": an ordinary drop (a restart, a remote disconnect that allows reconnecting).
 */
export type RefusalVerdict = "stop" | "retry-fresh" | "reconnect"

export function refusalVerdict(frame: { reason: string; reconnect: boolean }, context: RefusalContext): RefusalVerdict {
  const refused = frame.reason == DisconnectReason.unauthorized || frame.reason == TOKEN_EXPIRED
  if (refused && context.urlIsFunction && context.authorizedBefore && !context.retriedRefusal) return "retry-fresh"
  if (!frame.reconnect || frame.reason == DisconnectReason.unauthorized) return "stop"
  return "reconnect"
}

/** The longest the app's refresh hook is waited for before the one retry goes out anyway (ms). */
export const REFRESH_TIMEOUT = 10_000
