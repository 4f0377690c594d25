// A `ws` client for the server's tests: records every frame and lets a test wait for the next one it
// cares about.

import WebSocket from "ws"

export type Frame = Record<string, unknown>

/** What @rails/actioncable offers. */
export const CLIENT_PROTOCOLS = ["actioncable-v1-json", "actioncable-unsupported"]
/** What @anycable/core offers for the extended protocol. */
export const EXTENDED_PROTOCOLS = ["actioncable-v1-ext-json"]

export class Client {
  readonly frames: Frame[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private cursor = 0
  private wake: (() => void) | undefined

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame)
      this.wake?.()
    })
    this.closed = new Promise((done) => {
      socket.on("close", (code, reason) => {
        this.wake?.()
        done({ code, reason: reason.toString() })
      })
    })
  }

  static open(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<Client> {
    const socket = new WebSocket(url, options.protocols ?? CLIENT_PROTOCOLS, { headers: options.headers })
    const client = new Client(socket)
    return new Promise((done, fail) => {
      socket.once("open", () => done(client))
      socket.once("error", fail)
    })
  }

  send(value: unknown): void {
    this.socket.send(typeof value === "string" ? value : JSON.stringify(value))
  }

  subscribe(identifier: string): void {
    this.send({ command: "subscribe", identifier })
  }

  /** The next frame (after the last one returned) that matches; skips pings unless asked for. */
  async next(match: (frame: Frame) => boolean = (f) => f.type !== "ping", timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!
        if (match(frame)) return frame
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching frame; got ${JSON.stringify(this.frames)}`)
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left)
        this.wake = () => {
          clearTimeout(timer)
          wake()
        }
      })
    }
  }

  /** Subscribe and wait for the answer (confirm or reject). */
  async subscribeAndWait(identifier: string): Promise<Frame> {
    this.subscribe(identifier)
    return this.next((f) => f.identifier === identifier && typeof f.type === "string")
  }

  close(): void {
    this.socket.terminate()
  }
}
