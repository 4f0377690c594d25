// Starts the demo (`node --import tsx demo/main.ts`) as a child process on a free port with its own data
// directory, reads the URL it prints, and stops it by the process id it was started with. `restart()`
// keeps the port and the data, as a deploy would.
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startServerProcess, stopServerProcess } from "../support/server_process"

const READY = /^turbo-cable demo: (http:\/\/\S+)$/m

export interface DemoServer {
  readonly url: string
  readonly dataDir: string
  /** Stored records of one type ("message", "topic", "read"), as the store wrote them. */
  records(type?: string): Array<Record<string, any>>
  /** The raw store file. */
  storeBytes(): Buffer
  /** SIGTERM (the server tells its sockets it is restarting) and wait for the process to end. */
  stop(): Promise<void>
  /** Start again on the same port with the same data. */
  start(): Promise<void>
  /** Stop for good and remove the data directory. */
  dispose(): Promise<void>
}

async function spawnDemo(port: number, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await startServerProcess("demo/main.ts", READY, { PORT: String(port), DEMO_DATA_DIR: dataDir }, 30_000)
  return { child, url: match[1] }
}

// The demo flushes its store and tells its sockets it is restarting on SIGTERM: give it time.
const stopChild = (child: ChildProcess) => stopServerProcess(child, 6_000)

export async function startDemoServer(): Promise<DemoServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "turbo-cable-demo-test-"))
  let { child, url } = await spawnDemo(0, dataDir)
  const port = Number(new URL(url).port)
  const storeFile = join(dataDir, "chat.jsonl")
  return {
    url,
    dataDir,
    storeBytes: () => readFileSync(storeFile),
    records: (type) =>
      readFileSync(storeFile, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line))
        .filter((record) => type === undefined || record.type === type),
    stop: () => stopChild(child),
    start: async () => {
      ;({ child } = await spawnDemo(port, dataDir))
    },
    dispose: async () => {
      await stopChild(child)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
