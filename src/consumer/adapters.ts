// @rails/actioncable's `adapters`: what the page's cable is made with. Set `WebSocket` before the first
// stream source or consumer (the cable reads it once, when it is made).

export const adapters: { logger: Pick<Console, "log">; WebSocket: typeof WebSocket } = {
  logger: globalThis.console,
  WebSocket: globalThis.WebSocket,
}
