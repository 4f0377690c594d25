// The one way the tests, the demo tests and the bench start a project Node server (the test server
// test/server/test_server.ts, or the demo demo/main.ts): spawned with node itself (not npx), so a
// SIGSTOP/SIGCONT or SIGTERM reaches the server and not a wrapper, ready once it prints its line, and
// ended by the pid it was started with. (Rails and Redis, for the conformance suite, start in
// rails_server.ts; the browsers in freezable_browser.ts and test/engines/driver.)
import { spawn, type ChildProcess } from "node:child_process"
import { createServer } from "node:net"
import { resolve } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"

export const REPO_ROOT = resolve(import.meta.dirname, "../..")

export interface ServerProcess {
  child: ChildProcess
  /** The first match of `ready` in the server's stdout. */
  match: RegExpExecArray
}

/** Runs `script` (relative to the repository) under tsx; resolves once its stdout matches `ready`. */
export function startServerProcess(script: string, ready: RegExp, env: Record<string, string> = {}, timeout = 20_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stderr = ""
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-20_000)))
  return new Promise((done, fail) => {
    let out = ""
    const timer = setTimeout(() => fail(new Error(`${script} did not start:\n${stderr}`)), timeout)
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const match = ready.exec(out)
      if (!match) return
      clearTimeout(timer)
      // Keep draining stdout so the server never blocks on a full pipe.
      child.stdout!.removeAllListeners("data")
      child.stdout!.resume()
      done({ child, match })
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      fail(new Error(`${script} exited (${code}):\n${stderr}`))
    })
  })
}

/** SIGCONT (a stopped server cannot exit), SIGTERM, and SIGKILL after `grace` ms; resolves once it has exited. */
export async function stopServerProcess(child: ChildProcess, grace = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((done) => child.once("exit", done))
  child.kill("SIGCONT")
  child.kill("SIGTERM")
  await Promise.race([exited, sleep(grace)])
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL")
    await exited
  }
}

/** The test server's ports, from its `READY {"app":..,"control":..}` line. */
export async function startTestServer(env: Record<string, string> = {}): Promise<{ child: ChildProcess; app: number; control: number }> {
  const { child, match } = await startServerProcess("test/server/test_server.ts", /^READY (.+)$/m, env)
  const ports = JSON.parse(match[1]) as { app: number; control: number }
  return { child, ...ports }
}

/** A port nobody listens on right now: bind 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address == "object" && address ? address.port : 0
      server.close(() => done(port))
    })
  })
}
