// @rails/actioncable's `adapters`: what the page's socket is made with, read when it first opens (the first
// stream source or channel). Until an app sets `WebSocket`, it is the page's WebSocket at that moment, so
// a page that wraps WebSocket after turbo-cable loads (instrumentation, a test's recorder) is heard.

export const adapters = {
  logger: globalThis.console as Pick<Console, "log">,
  /** The WebSocket class an app chose; unset, the page's own. */
  chosen: undefined as typeof WebSocket | undefined,
  get WebSocket(): typeof WebSocket {
    return this.chosen ?? globalThis.WebSocket
  },
  set WebSocket(value: typeof WebSocket) {
    this.chosen = value
  },
}
