// @rails/actioncable's `adapters`: what the page's cable is made with, read when it is made (the first
// stream source or consumer). Until an app sets `WebSocket`, it is the page's WebSocket at that moment, so
// a page that wraps WebSocket after turbo-cable loads (instrumentation, a test's recorder) is heard.

let chosenWebSocket: typeof WebSocket | undefined

export const adapters: { logger: Pick<Console, "log">; WebSocket: typeof WebSocket } = {
  logger: globalThis.console,
  get WebSocket(): typeof WebSocket {
    return chosenWebSocket ?? globalThis.WebSocket
  },
  set WebSocket(value: typeof WebSocket) {
    chosenWebSocket = value
  },
}
