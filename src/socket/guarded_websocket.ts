// Safari drops the next connection when a socket is closed while still connecting (rails/rails#44304).
// A socket asked to close in that state is left to finish its handshake and closed then.

/** `Base` (the page's WebSocket, or a test's) with a `close()` that waits for a connecting socket to open. */
export function guardedWebSocket(Base: typeof WebSocket): typeof WebSocket {
  return class GuardedWebSocket extends Base {
    override close(code?: number, reason?: string): void {
      if (this.readyState === Base.CONNECTING) {
        this.addEventListener("open", () => super.close(code, reason), { once: true })
      } else {
        super.close(code, reason)
      }
    }
  }
}
