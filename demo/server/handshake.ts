// From an HTTP upgrade to a connection: the cable's path only (404 elsewhere), the subprotocol (Action Cable's,
// or AnyCable's extended one when offered), and who the client is: authenticated, or a restored session's
// identity without asking again, as anycable-go does.

import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"
import type { Hub } from "./hub"
import type { Settings } from "./options"
import { frames, NORMAL_CLOSURE, PROTOCOL } from "./protocol"
import type { CachedSession } from "./session_cache"

// ws has to read a frame whole before we can ignore it; beyond this it closes the socket (1009).
const MIN_HARD_FRAME_LIMIT = 1024 * 1024

/** A socket the handshake accepted, and the session it restores if it asked for one that is still kept. */
export interface Accepted {
  socket: WebSocket
  id: number
  identity: string
  extended: boolean
  restoring: { sid: string; session: CachedSession } | null
}

export interface HandshakeParts {
  hub: Hub
  /** The session to take back, if `sid` is one still restorable. */
  restorable: (sid: string) => CachedSession | null
  /** Whether the server is attached; a handshake that finishes after it stopped is ended. */
  serving: () => boolean
  accepted: (connection: Accepted) => void
}

export class Handshake {
  private readonly wss: WebSocketServer

  constructor(
    private readonly settings: Settings,
    private readonly parts: HandshakeParts,
  ) {
    const { extendedProtocol, preferPlainProtocol } = settings
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Rails' websocket-driver negotiates no extensions; match it so frame timings are comparable.
      perMessageDeflate: false,
      maxPayload: Math.max(settings.maxFrameBytes * 16, MIN_HARD_FRAME_LIMIT),
      handleProtocols: (protocols) => {
        const extended = extendedProtocol && protocols.has(PROTOCOL.extendedSubprotocol)
        if (extended && !(preferPlainProtocol && protocols.has(PROTOCOL.subprotocol))) return PROTOCOL.extendedSubprotocol
        if (protocols.has(PROTOCOL.subprotocol)) return PROTOCOL.subprotocol
        if (protocols.has(PROTOCOL.unsupportedSubprotocol)) return PROTOCOL.unsupportedSubprotocol
        return false
      },
    })
    this.wss.on("error", (err) => settings.log(`server error: ${err.message}`))
  }

  /** An HTTP server's `upgrade` listener. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (requestPath(req) !== this.settings.path) {
      refuseUpgrade(socket, "404 Not Found")
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, req))
  }

  private open(socket: WebSocket, req: IncomingMessage): void {
    const { hub, serving } = this.parts
    const log = this.settings.log
    socket.on("error", (err) => log(`socket error: ${err.message}`))
    hub.track(socket)
    if (!serving()) {
      socket.terminate()
      return
    }
    // A client that offered protocols but not ours cannot talk to us. The Rails client closes by
    // itself when it sees `actioncable-unsupported`; closing here covers every other client.
    const extended = socket.protocol === PROTOCOL.extendedSubprotocol
    if (offeredProtocols(req).length > 0 && socket.protocol !== PROTOCOL.subprotocol && !extended) {
      log(`unsupported subprotocol offered: ${offeredProtocols(req).join(", ")}`)
      socket.close(NORMAL_CLOSURE)
      return
    }

    const id = hub.newConnectionId()
    // A restored session skips authentication, as anycable-go's does.
    const sid = extended ? restoreSid(req) : null
    const session = sid === null ? null : this.parts.restorable(sid)
    const identity = session ? session.identity : this.identify(req, id)
    if (identity === null) {
      log(`connection ${id} unauthorized`)
      socket.send(frames.disconnect(PROTOCOL.disconnectReason.unauthorized, false))
      socket.close(NORMAL_CLOSURE)
      return
    }
    this.parts.accepted({ socket, id, identity, extended, restoring: session ? { sid: sid!, session } : null })
  }

  private identify(req: IncomingMessage, id: number): string | null {
    const authenticate = this.settings.authenticate
    if (!authenticate) return `guest-${id}`
    try {
      return authenticate(req)
    } catch (err) {
      this.settings.log(`authenticate threw, refusing connection ${id}: ${String(err)}`)
      return null
    }
  }
}

function requestPath(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? "/", "http://localhost").pathname
  } catch {
    return null
  }
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"]
  if (!header) return []
  return header.split(",").map((p) => p.trim()).filter((p) => p !== "")
}

/** The session a reconnecting client asks to restore: AnyCable's header, else the `sid` query parameter. */
function restoreSid(req: IncomingMessage): string | null {
  const header = req.headers[PROTOCOL.restoreSidHeader]
  if (typeof header === "string" && header !== "") return header
  try {
    return new URL(req.url ?? "/", "http://localhost").searchParams.get(PROTOCOL.restoreSidParam) || null
  } catch {
    return null
  }
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.on("error", () => {})
  socket.once("finish", () => socket.destroy())
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
