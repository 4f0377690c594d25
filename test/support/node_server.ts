// The project's Node Action Cable server (test/server/test_server.ts) for the tests and the bench: started
// through server_process.ts (one process per test file, or per bench run), and a client of its control API.
import type { ChildProcess } from "node:child_process"
import { Agent, request } from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import { startTestServer, stopServerProcess } from "./server_process"

const REQUEST_TIMEOUT_MS = 30_000

/** An item of a list, as GET /items answers and POST /items broadcasts it. */
export interface Item {
  id: number
  text: string
}

/** A command a client sent, as the server logged it (GET /commands). */
export interface Command {
  connection: number
  command: string
  identifier: string
}

/** Starts the test server with `env`; it ends with this process however that ends, a crash included. */
export async function startNodeServer(env: Record<string, string> = {}): Promise<NodeServer> {
  const { child, app, control } = await startTestServer(env)
  return new NodeServer(child, app, control)
}

export class NodeServer {
  /** http://127.0.0.1:PORT of the app: the test pages and /cable. */
  readonly app: string
  /** http://127.0.0.1:PORT of the control API. */
  readonly control: string
  readonly cableUrl: string
  private frozen = false
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 })
  // Never left stopped or orphaned, whatever ends the runner.
  private readonly killNow = () => {
    this.child.kill("SIGCONT")
    this.child.kill("SIGKILL")
  }

  constructor(
    readonly child: ChildProcess,
    appPort: number,
    private readonly controlPort: number,
  ) {
    this.app = `http://127.0.0.1:${appPort}`
    this.control = `http://127.0.0.1:${controlPort}`
    this.cableUrl = `ws://127.0.0.1:${appPort}/cable`
    process.once("exit", this.killNow)
  }

  get<T = any>(path: string): Promise<T> {
    return this.call("GET", path)
  }

  post<T = any>(path: string, body: unknown = {}): Promise<T> {
    return this.call("POST", path, body)
  }

  async sign(stream: string): Promise<string> {
    return (await this.get<{ signed: string }>(`/sign?stream=${encodeURIComponent(stream)}`)).signed
  }

  signAll(streams: string[]): Promise<string[]> {
    return Promise.all(streams.map((stream) => this.sign(stream)))
  }

  /** Sends `message` to the stream's subscribers `count` times; resolves with the deliveries. */
  async broadcast(stream: string, message: unknown, count = 1): Promise<number> {
    return (await this.post<{ delivered: number }>("/broadcast", { stream, message, count })).delivered
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

  commands(): Promise<Command[]> {
    return this.get("/commands")
  }

  async clearCommands(): Promise<void> {
    await this.post("/commands/clear")
  }

  items(list: string): Promise<Item[]> {
    return this.get(`/items?list=${encodeURIComponent(list)}`)
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
    process.off("exit", this.killNow)
  }

  private call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers = payload === undefined ? {} : { "content-type": "application/json" }
    return new Promise<T>((done, fail) => {
      const req = request(
        { host: "127.0.0.1", port: this.controlPort, path, method, headers, agent: this.agent, timeout: REQUEST_TIMEOUT_MS },
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
