// The network between a browser and a server, as a TCP relay on a loopback port of its own. The soak takes it
// away the way Wi-Fi goes: `cut()` stops every byte both ways on the connections open through it (no FIN, no
// RST: the client hears nothing, as on a half-open line) and holds new ones unanswered; `restore()` lets the
// held bytes through again. The browser's own idea of being offline is set apart (offline.ts). It also notes
// the first line of every request that reaches it, even while the server behind is down (a connection there
// is closed once its request is read, as a refused one fails): what a client asks a server that is down.
// Started here on 127.0.0.1, closed by close().
import { createServer, connect, type Server, type Socket } from "node:net"
import { freePort } from "./server_process"

/** A request that reached the relay: when, its first line, and whether it asked for a WebSocket. */
export interface RelayedRequest {
  at: number
  line: string
  websocket: boolean
}

export interface Relay {
  /** http://127.0.0.1:PORT: the server as the browser reaches it. */
  url: string
  /** Every request that reached the relay since it started (the first request of each connection). */
  readonly requests: RelayedRequest[]
  cut(): void
  restore(): void
  close(): Promise<void>
}

/** A relay to 127.0.0.1:`port`. */
export async function startRelay(port: number): Promise<Relay> {
  const listenPort = await freePort()
  const pairs = new Set<[Socket, Socket]>()
  /** Bytes read while cut, with where they go, in order. */
  let held: Array<[Socket, Buffer]> = []
  let isCut = false
  const requests: RelayedRequest[] = []
  const server: Server = createServer((client) => {
    client.once("data", (chunk: Buffer) => {
      const head = chunk.toString("latin1")
      requests.push({ at: Date.now(), line: head.split("\r\n", 1)[0]!, websocket: /^upgrade:\s*websocket/im.test(head) })
    })
    const upstream = connect({ host: "127.0.0.1", port })
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("error", end).on("close", end)
    // A refused or reset upstream (a killed server) closes the client's connection once its request is read
    // (at most 200 ms later), as the server's own would have.
    const endAfterRequest = () => {
      if (client.bytesRead > 0) return end()
      client.once("data", () => setImmediate(end))
      setTimeout(end, 200)
    }
    upstream.on("error", endAfterRequest).on("close", endAfterRequest)
    const relay = (to: Socket) => (chunk: Buffer) => (isCut ? held.push([to, chunk]) : to.write(chunk))
    client.on("data", relay(upstream))
    upstream.on("data", relay(client))
    if (isCut) for (const socket of pair) socket.pause()
  })
  await new Promise<void>((done) => server.listen(listenPort, "127.0.0.1", done))
  return {
    url: `http://127.0.0.1:${listenPort}`,
    requests,
    cut() {
      isCut = true
      for (const pair of pairs) for (const socket of pair) socket.pause()
    },
    restore() {
      isCut = false
      for (const [to, chunk] of held) if (!to.destroyed) to.write(chunk)
      held = []
      for (const pair of pairs) for (const socket of pair) socket.resume()
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy()
        upstream.destroy()
      }
      await new Promise<void>((done) => server.close(() => done()))
    },
  }
}

/**
 * How many times a client asked for `path` among `requests`: a retry the browser makes of its own within
 * 100 ms counts with the one it repeats. (The relay accepts a connection and then closes it where a killed
 * server's port refuses it; Firefox retries a request whose connection closed before any answer, up to ~9
 * times at once.)
 */
export function timesAsked(requests: RelayedRequest[], path: string): number {
  let count = 0
  let last = -Infinity
  for (const request of requests) {
    if (!request.line.startsWith(`GET ${path} `)) continue
    if (request.at - last > 100) count++
    last = request.at
  }
  return count
}
