// Safari drops the next connection when a socket is closed while still connecting (rails/rails#44304).
// A socket asked to close in that state is left to finish its handshake and closed then.

let guarded: typeof WebSocket | undefined

/** The WebSocket class handed to reconnecting-websocket: made on first use, as some hosts have no WebSocket. */
export function guardedWebSocket(): typeof WebSocket {
  return (guarded ??= class GuardedWebSocket extends WebSocket {
    override close(code?: number, reason?: string): void {
      if (this.readyState === WebSocket.CONNECTING) {
        this.addEventListener("open", () => super.close(code, reason), { once: true })
      } else {
        super.close(code, reason)
      }
    }
  })
}
