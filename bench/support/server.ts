// The project's Node Action Cable server (demo/server/test_server.ts), started through the tests' own
// helper (test/support/server_process.ts), and its control API as the bench uses it.
import type { ChildProcess } from "node:child_process"
import { Agent, request } from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import { startTestServer, stopServerProcess } from "../../test/support/server_process"

const REQUEST_TIMEOUT_MS = 30_000

export interface Item {
  id: number
  text: string
}

export class CableServer {
  private frozen = false
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 })

  private constructor(
    readonly child: ChildProcess,
    readonly appPort: number,
    readonly controlPort: number,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<CableServer> {
    const { child, ...ports } = await startTestServer(env)
    // However the harness ends (a crash included), the server goes with it, never left stopped or orphaned.
    process.once("exit", () => {
      child.kill("SIGCONT")
      child.kill("SIGKILL")
    })
    return new CableServer(child, ports.app, ports.control)
  }

  get cableUrl(): string {
    return `ws://127.0.0.1:${this.appPort}/cable`
  }

  get controlUrl(): string {
    return `http://127.0.0.1:${this.controlPort}`
  }

  async get<T = any>(path: string): Promise<T> {
    return this.call("GET", path)
  }

  async post<T = any>(path: string, body: unknown = {}): Promise<T> {
    return this.call("POST", path, body)
  }

  async sign(stream: string): Promise<string> {
    return (await this.get<{ signed: string }>(`/sign?stream=${encodeURIComponent(stream)}`)).signed
  }

  async signAll(streams: string[]): Promise<string[]> {
    return Promise.all(streams.map((stream) => this.sign(stream)))
  }

  /** Live server subscriptions, of one stream or of every connection. */
  async subscriptions(stream?: string): Promise<number> {
    return (await this.get<{ count: number }>(`/subscriptions${stream ? `?stream=${encodeURIComponent(stream)}` : ""}`)).count
  }

  async connections(): Promise<number> {
    return (await this.get<{ count: number }>("/connections")).count
  }

  /** Live subscriptions are counted server-wide: after closing a page, wait until its socket has gone. */
  async waitForNoConnections(timeout = 5_000): Promise<void> {
    const deadline = Date.now() + timeout
    while ((await this.connections()) > 0 && Date.now() < deadline) await sleep(25)
  }

  async items(list: string): Promise<Item[]> {
    return this.get<Item[]>(`/items?list=${encodeURIComponent(list)}`)
  }

  /** SIGSTOP: the process stops dead, sockets stay open, no pings, no FIN. Control calls hang until thaw(). */
  freeze(): void {
    this.frozen = true
    this.child.kill("SIGSTOP")
  }

  thaw(): void {
    if (!this.frozen) return
    this.frozen = false
    this.child.kill("SIGCONT")
  }

  async stop(): Promise<void> {
    this.frozen = false
    this.agent.destroy()
    await stopServerProcess(this.child)
  }

  private call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise<T>((done, fail) => {
      const req = request(
        { host: "127.0.0.1", port: this.controlPort, path, method, agent: this.agent, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          let text = ""
          res.setEncoding("utf8")
          res.on("data", (chunk) => (text += chunk))
          res.on("end", () => {
            if ((res.statusCode ?? 500) >= 400) return fail(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
            try {
              done(JSON.parse(text))
            } catch (error) {
              fail(error)
            }
          })
        },
      )
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)))
      req.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed just as it was reused (after a SIGSTOP, say): the request
        // never reached the server, so sending it again on a fresh socket is safe (Node's documented pattern).
        if (req.reusedSocket && !retried && (error.code == "ECONNRESET" || error.code == "EPIPE")) {
          this.call<T>(method, path, body, true).then(done, fail)
        } else {
          fail(error)
        }
      })
      req.end(payload)
    })
  }
}
