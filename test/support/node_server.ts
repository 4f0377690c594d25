// Starts demo/server/test_server.ts (the project's Node Action Cable server) through server_process.ts and
// talks to its control port. One process per test file; stopped by the process id it was started with.
import type { ChildProcess } from "node:child_process"
import { startTestServer, stopServerProcess } from "./server_process"

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
  const { child, ...ports } = await startTestServer(env)
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
    stop: () => stopServerProcess(child),
  }
}
