// Starts the conformance suite's real servers: one redis-server and N puma processes running the Rails
// app in test/conformance/rails_app (Debian's Rails 6.1 Action Cable with its Redis adapter), each on a
// free loopback port, all in one temp dir. Every process is started here and ended here, by the pid it
// was started with: stopAll() always, and a last-resort SIGKILL if the test runner exits without it.
//
// Needs Debian's ruby-actioncable, ruby-railties, ruby-redis, puma and redis-server, and a built dist/.
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs"
import { createConnection } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { randomBytes } from "node:crypto"
import { freePort } from "./server_process"
import { setTimeout as sleep } from "node:timers/promises"

const root = resolve(import.meta.dirname, "../..")
const appDir = resolve(root, "test/conformance/rails_app")
const HOST = "127.0.0.1"

export interface WriteOptions {
  /** Which process takes the write (and so broadcasts it, through Redis, to every process). Default 0. */
  via?: number
  /** Items written back to back by one request; `{{i}}` in the text becomes 1..count. */
  count?: number
}

export interface RailsServers {
  /** http://127.0.0.1:PORT of process i. */
  url(i: number): string
  redisUrl: string
  /** The temp dir holding the logs (rails-<name>.log, puma-<name>.log, redis.log). */
  dir: string
  /** Milliseconds from spawn to answering HTTP, for each start of process i. */
  bootTimes(i: number): number[]
  /** SIGKILL process i and wait for it to exit: no FIN from the app, the kernel closes its sockets. */
  kill(i: number): Promise<void>
  /** Starts process i again on its port; resolves once it answers HTTP, with the time that took. */
  start(i: number): Promise<number>
  /** SIGSTOP / SIGCONT process i: it keeps its sockets open but sends nothing, not even pings. */
  freeze(i: number): void
  thaw(i: number): void
  /** Appends items to a list through process i; resolves with their ids (item_<id> in the page). */
  write(list: string, text: string, options?: WriteOptions): Promise<number[]>
  /** The last lines of process i's Rails and puma logs, for a failure's report. */
  logTail(i: number, lines?: number): string
  /** Ends every process started here (SIGKILL, thawing first is not needed) and removes the temp dir. */
  stopAll(): Promise<void>
}

interface Puma {
  name: string
  port: number
  child: ChildProcess | null
  boots: number[]
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n")
  } catch {
    return "(no log)"
  }
}

/** Fails early, with the fix, when a piece the suite needs is missing. */
function checkPrerequisites(): void {
  if (!existsSync(resolve(root, "dist/turbo-cable.min.js"))) {
    throw new Error("dist/turbo-cable.min.js is missing: run `npm run build` first")
  }
  const ruby = spawnSync("ruby", ["-e", 'require "rails"; require "action_cable"; require "redis"; require "puma"'], { encoding: "utf8" })
  if (ruby.error || ruby.status != 0) {
    throw new Error(
      "the Rails conformance suite needs Debian's ruby-actioncable ruby-railties ruby-redis puma redis-server " +
        `(apt-get install ruby-actioncable ruby-railties ruby-redis puma redis-server):\n${ruby.error ?? ruby.stderr}`,
    )
  }
  const redis = spawnSync("redis-server", ["--version"], { encoding: "utf8" })
  if (redis.error || redis.status != 0) throw new Error(`redis-server is missing (apt-get install redis-server): ${redis.error ?? redis.stderr}`)
}

function waitForRedis(port: number, child: ChildProcess, log: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  return new Promise((done, fail) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) return fail(new Error(`redis-server exited:\n${tail(log)}`))
      if (Date.now() > deadline) return fail(new Error(`redis-server did not answer PING on ${port}:\n${tail(log)}`))
      const socket = createConnection({ host: HOST, port })
      let reply = ""
      socket.on("connect", () => socket.write("PING\r\n"))
      socket.on("data", (chunk) => {
        reply += chunk
        if (reply.includes("\r\n")) {
          socket.destroy()
          if (reply.startsWith("+PONG")) done()
          else setTimeout(attempt, 50)
        }
      })
      socket.on("error", () => {
        socket.destroy()
        setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

export async function startRailsServers(options: { servers?: number; env?: Record<string, string> } = {}): Promise<RailsServers> {
  checkPrerequisites()
  const count = options.servers ?? 2
  const dir = mkdtempSync(join(tmpdir(), "turbo-cable-rails-"))
  const children = new Set<ChildProcess>()
  const secretKeyBase = randomBytes(64).toString("hex")

  // If the runner dies without stopAll, take our processes with it (only the pids started here).
  const killAllNow = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  process.on("exit", killAllNow)

  const redisPort = await freePort()
  const redisUrl = `redis://${HOST}:${redisPort}/0`
  const pumas: Puma[] = []
  let redis: ChildProcess | undefined

  function track(child: ChildProcess): ChildProcess {
    children.add(child)
    child.once("exit", () => children.delete(child))
    return child
  }

  async function startPuma(puma: Puma): Promise<number> {
    if (puma.child && puma.child.exitCode === null && puma.child.signalCode === null) throw new Error(`puma ${puma.name} is running`)
    const log = join(dir, `puma-${puma.name}.log`)
    const fd = openSync(log, "a")
    const started = Date.now()
    const child = track(
      spawn("puma", ["-b", `tcp://${HOST}:${puma.port}`, "-e", "production", "-t", "2:16", "config.ru"], {
        cwd: appDir,
        env: {
          ...process.env,
          ...options.env,
          RAILS_ENV: "production",
          RACK_ENV: "production",
          SECRET_KEY_BASE: secretKeyBase,
          REDIS_URL: redisUrl,
          RAILS_LOG: join(dir, `rails-${puma.name}.log`),
          CONFORMANCE_SERVER: puma.name,
          // If this runner is killed outright, each puma ends itself and Redis (see config.ru).
          CONFORMANCE_PARENT_PID: String(process.pid),
          CONFORMANCE_REDIS_PID: String(redis?.pid ?? ""),
        },
        stdio: ["ignore", fd, fd],
      }),
    )
    closeSync(fd)
    puma.child = child
    const url = `http://${HOST}:${puma.port}/up`
    const deadline = started + 60_000
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`puma ${puma.name} exited (${child.exitCode ?? child.signalCode}):\n${tail(log)}`)
      if (Date.now() > deadline) throw new Error(`puma ${puma.name} did not answer on ${puma.port} within 60 s:\n${tail(log)}`)
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
        if (response.ok && (await response.text()).trim() == `ok ${puma.name}`) break
      } catch {
        // not listening yet
      }
      await sleep(50)
    }
    const boot = Date.now() - started
    puma.boots.push(boot)
    return boot
  }

  async function kill(puma: Puma): Promise<void> {
    const child = puma.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((done) => child.once("exit", done))
    child.kill("SIGKILL")
    await exited
  }

  const end = (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    const exited = new Promise((done) => child.once("exit", done))
    child.kill("SIGKILL")
    return Promise.race([exited, sleep(5_000)])
  }
  const stopAll = async () => {
    // The pumas first: a puma that outlives Redis only logs its listener's lost connection.
    await Promise.all([...children].filter((child) => child != redis).map(end))
    await Promise.all([...children].map(end))
    process.off("exit", killAllNow)
    if (process.env.KEEP_RAILS_LOGS) console.log(`rails conformance logs kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }

  try {
    const redisLog = join(dir, "redis.log")
    redis = track(
      spawn("redis-server", ["--port", String(redisPort), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", redisLog], {
        cwd: dir,
        stdio: "ignore",
      }),
    )
    await waitForRedis(redisPort, redis, redisLog)

    for (let i = 0; i < count; i++) pumas.push({ name: String.fromCharCode(65 + i), port: await freePort(), child: null, boots: [] })
    // Booting Rails is CPU-bound: on two cores, one after another is about as fast and less flaky.
    for (const puma of pumas) await startPuma(puma)
  } catch (error) {
    // Keep the logs of a failed start for a look.
    const kept = process.env.KEEP_RAILS_LOGS
    process.env.KEEP_RAILS_LOGS = "1"
    await stopAll()
    if (kept === undefined) delete process.env.KEEP_RAILS_LOGS
    throw error
  }

  const at = (i: number): Puma => {
    const puma = pumas[i]
    if (!puma) throw new Error(`no server ${i}`)
    return puma
  }
  const signal = (i: number, name: NodeJS.Signals) => {
    const child = at(i).child
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`puma ${at(i).name} is not running`)
    child.kill(name)
  }

  return {
    url: (i) => `http://${HOST}:${at(i).port}`,
    redisUrl,
    dir,
    bootTimes: (i) => [...at(i).boots],
    kill: (i) => kill(at(i)),
    start: (i) => startPuma(at(i)),
    freeze: (i) => signal(i, "SIGSTOP"),
    thaw: (i) => signal(i, "SIGCONT"),
    async write(list, text, { via = 0, count = 1 } = {}) {
      const response = await fetch(`http://${HOST}:${at(via).port}/lists/${encodeURIComponent(list)}/items`, {
        method: "POST",
        body: new URLSearchParams({ text, count: String(count) }),
      })
      if (!response.ok) throw new Error(`write via ${at(via).name} answered ${response.status}: ${(await response.text()).slice(0, 500)}`)
      return (await response.json()).ids
    },
    logTail: (i, lines = 40) =>
      `--- rails-${at(i).name}.log\n${tail(join(dir, `rails-${at(i).name}.log`), lines)}\n--- puma-${at(i).name}.log\n${tail(join(dir, `puma-${at(i).name}.log`), lines)}`,
    stopAll,
  }
}

/** The hooks of a Playwright `test` that a spec file uses to hold Rails for its tests. */
interface SpecFileHooks {
  beforeAll(hook: () => Promise<void>): void
  afterAll(hook: () => Promise<void>): void
  setTimeout(timeout: number): void
}

/**
 * Real Rails for one spec file: Redis and `servers` pumas started before its first test (allowed 120 s to
 * boot) and ended after its last. The object returned stands for those servers once they are up.
 */
export function railsForSpecFile(test: SpecFileHooks, servers: number): RailsServers {
  let running: RailsServers | undefined
  test.beforeAll(async () => {
    test.setTimeout(120_000)
    const started = Date.now()
    running = await startRailsServers({ servers })
    const boots = Array.from({ length: servers }, (_, i) => running!.bootTimes(i)[0])
    console.log(`rails: redis + ${servers} puma process(es) up in ${Date.now() - started} ms (boots: ${boots.join(", ")} ms)`)
  })
  test.afterAll(async () => {
    await running?.stopAll()
  })
  return new Proxy({} as RailsServers, {
    get(_, key) {
      if (!running) throw new Error("Rails is not up yet: use it inside a test")
      const value = running[key as keyof RailsServers]
      return typeof value == "function" ? value.bind(running) : value
    },
  })
}
