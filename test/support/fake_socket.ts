import { vi } from "vitest"

// A WebSocket class for unit tests of the cable: every instance is recorded, the test plays the server
// (open, welcome, confirm, broadcast, close) and reads what the client sent.

export class FakeWebSocket extends EventTarget {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3
  static instances: FakeWebSocket[] = []

  readonly CONNECTING = 0
  readonly OPEN = 1
  readonly CLOSING = 2
  readonly CLOSED = 3
  readyState = 0
  protocol = ""
  binaryType = "blob"
  bufferedAmount = 0
  extensions = ""
  /** Every frame the client sent, parsed. */
  readonly sent: Array<Record<string, any>> = []

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    super()
    FakeWebSocket.instances.push(this)
  }

  static reset(): void {
    FakeWebSocket.instances = []
  }

  /** The socket the client opened last. */
  static get latest(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1)
    if (!socket) throw new Error("no socket was opened")
    return socket
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open")
    this.sent.push(JSON.parse(data))
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return
    this.readyState = 3
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason, wasClean: true }))
  }

  // The server's side

  /** The handshake completes with the Action Cable subprotocol. */
  accept(protocol = "actioncable-v1-json"): void {
    this.protocol = protocol
    this.readyState = 1
    this.dispatchEvent(new Event("open"))
  }

  /** A frame from the server (an object is sent as JSON). */
  receive(frame: unknown): void {
    const data = typeof frame == "string" ? frame : JSON.stringify(frame)
    this.dispatchEvent(Object.assign(new Event("message"), { data }))
  }

  welcome(): void {
    this.receive({ type: "welcome" })
  }

  /** The line dies without a close frame reaching the client until now. */
  drop(code = 1006): void {
    if (this.readyState === 3) return
    this.readyState = 3
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason: "", wasClean: false }))
  }

  commands(command?: string): Array<Record<string, any>> {
    return command ? this.sent.filter((frame) => frame.command == command) : this.sent
  }
}

/** Lets the socket's code load: it is imported when something first asks for the line. */
export async function settle(): Promise<void> {
  await vi.dynamicImportSettled()
}
