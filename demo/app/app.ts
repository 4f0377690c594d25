// Wires the demo together: the store, the Action Cable server and the routes on one HTTP server.

import { createServer, type IncomingMessage, type Server } from "node:http"
import { join } from "node:path"
import { CableServer } from "../server/cable_server"
import { Chat } from "./chat"
import { createRouter } from "./routes"
import { deriveKey, loadSecret } from "./secrets"
import { Sessions } from "./sessions"
import { ChatStore } from "./store"
import { ViteAssets } from "./vite"

export interface DemoOptions {
  /** The repository root: static files and Vite's root. */
  root: string
  /** Where the messages, the secret and Vite's cache live. */
  dataDir: string
  /** 0 for any free port. */
  port: number
  /** When `port` is taken, take any free port instead of failing. */
  fallbackToFreePort?: boolean
  host?: string
  /** Instead of the data directory's secret file. */
  secret?: string
  log?: (line: string) => void
  /** Log every cable event too. */
  verbose?: boolean
}

export interface Demo {
  readonly url: string
  readonly store: ChatStore
  /** Tells every socket the server is restarting (they reconnect), then stops. */
  close(): Promise<void>
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      const address = server.address()
      resolvePort(typeof address === "object" && address ? address.port : port)
    })
  })
}

/** Browsers send Origin on every WebSocket handshake; one from another site gets no session. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  return origin === undefined || origin === `http://${req.headers.host}`
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const host = options.host ?? "127.0.0.1"
  const log = options.log ?? ((line: string) => process.stderr.write(`[demo] ${line}\n`))
  const store = ChatStore.open(options.dataDir)
  for (const problem of store.problems) log(`${store.file}: ${problem}`)

  try {
    const secret = loadSecret(options.dataDir, options.secret)
    const streamKey = deriveKey(secret, "streams")
    const sessions = new Sessions(deriveKey(secret, "session"))
    const cable = new CableServer({
      secret: streamKey,
      authenticate: (req) => (sameOrigin(req) ? sessions.userFrom(req) : null),
      // AnyCable clients find the stream history of before a restart with the same epoch, as with a Redis broker.
      broker: { file: join(options.dataDir, "cable-broker.json") },
      log: options.verbose ? (line) => log(`cable: ${line}`) : undefined,
    })
    const chat = new Chat(store, cable, streamKey)
    cable.onSubscribe = (conn, stream) => chat.subscribed(conn, stream)
    cable.onUnsubscribe = (conn, stream) => chat.unsubscribed(conn, stream)
    cable.onMessage = (conn, params, data) => chat.performed(conn, params, data)

    const vite = new ViteAssets(options.root, join(options.dataDir, "vite-cache"))
    const handle = createRouter({ root: options.root, chat, sessions, vite, log })
    const server = createServer((req, res) => void handle(req, res))
    server.on("clientError", (_err, socket) => socket.destroy())
    cable.attach(server)

    let port: number
    try {
      port = await listen(server, options.port, host)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || !options.fallbackToFreePort) throw err
      log(`port ${options.port} is taken; using a free one`)
      port = await listen(server, 0, host)
    }

    let closing: Promise<void> | null = null
    return {
      url: `http://${host}:${port}`,
      store,
      close: () =>
        (closing ??= (async () => {
          cable.disconnectAll("server_restart", true)
          await cable.close()
          await new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
          chat.close()
          await vite.close()
          store.close()
        })()),
    }
  } catch (err) {
    store.close()
    throw err
  }
}
