// Starts demo/server/test_server.ts (the project's Node Action Cable server) as a child process and
// talks to its control port. One process per test file; stopped by the process id it was started with.
import { spawn, type ChildProcess } from "node:child_process"
import { resolve } from "node:path"

const root = resolve(import.meta.dirname, "../..")

export interface NodeServer {
  app: string
  control: string
  process: ChildProcess
  sign(stream: string): Promise<string>
  broadcast(stream: string, message: unknown, count?: number): Promise<number>
  subscriptions(stream?: string): Promise<number>
  connections(): Promise<number>
  commands(): Promise<Array<{ connection: number; command: string; identifier: string }>>
  clearCommands(): Promise<void>
  post(path: string, body?: unknown): Promise<any>
  stop(): Promise<void>
}

export async function startNodeServer(env: Record<string, string> = {}): Promise<NodeServer> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(root, "demo/server/test_server.ts")], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stderr = ""
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const ports = await new Promise<{ app: number; control: number }>((resolvePorts, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error(`test server did not start:\n${stderr}`)), 20_000)
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const match = out.match(/^READY (.+)$/m)
      if (match) {
        clearTimeout(timer)
        resolvePorts(JSON.parse(match[1]))
      }
    })
    child.on("exit", (code) => reject(new Error(`test server exited (${code}):\n${stderr}`)))
  })
  const control = `http://127.0.0.1:${ports.control}`
  const get = async (path: string) => (await fetch(control + path)).json()
  const post = async (path: string, body: unknown = {}) =>
    (await fetch(control + path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } })).json()

  return {
    app: `http://127.0.0.1:${ports.app}`,
    control,
    process: child,
    sign: async (stream) => (await get(`/sign?stream=${encodeURIComponent(stream)}`)).signed,
    broadcast: async (stream, message, count = 1) => (await post("/broadcast", { stream, message, count })).delivered,
    subscriptions: async (stream) => (await get(`/subscriptions${stream ? `?stream=${encodeURIComponent(stream)}` : ""}`)).count,
    connections: async () => (await get("/connections")).count,
    commands: async () => get("/commands"),
    clearCommands: async () => void (await post("/commands/clear")),
    post,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((done) => child.once("exit", done))
      child.kill("SIGTERM")
      await Promise.race([exited, new Promise((done) => setTimeout(done, 3_000))])
      if (child.exitCode === null) child.kill("SIGKILL")
    },
  }
}
