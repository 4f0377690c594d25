// Chromium driven over plain CDP, without Playwright, for the one thing Playwright prevents: freezing a
// page. Playwright turns on Emulation.setFocusEmulationEnabled for every page it drives, and a page under
// focus emulation is never hidden, so Page.setWebLifecycleState {state: "frozen"} silently does nothing
// (no freeze event, timers keep running). Here nothing emulates focus and the freeze is real.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import WebSocket from "ws"
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "./browser"

const START_TIMEOUT_MS = 20_000
const CALL_TIMEOUT_MS = 30_000

export class RawChromium {
  private constructor(
    private readonly child: ChildProcess,
    private readonly profileDir: string,
    private readonly port: number,
  ) {}

  static async launch(): Promise<RawChromium> {
    const profileDir = mkdtempSync(join(tmpdir(), "turbo-cable-bench-"))
    const child = spawn(
      CHROMIUM_PATH,
      ["--headless", ...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
      { stdio: "ignore" },
    )
    process.once("exit", () => child.kill("SIGKILL")) // never leave a browser behind, even on a crash
    const portFile = join(profileDir, "DevToolsActivePort")
    const deadline = Date.now() + START_TIMEOUT_MS
    while (!existsSync(portFile) || !readFileSync(portFile, "utf8").includes("\n")) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill("SIGKILL")
        throw new Error("Chromium did not open its DevTools port")
      }
      await sleep(50)
    }
    return new RawChromium(child, profileDir, Number(readFileSync(portFile, "utf8").split("\n")[0]))
  }

  /** A new tab with `initScripts` (JS source) run before any page script of every document. */
  async newPage(initScripts: string[] = []): Promise<RawPage> {
    const response = await fetch(`http://127.0.0.1:${this.port}/json/new?about:blank`, { method: "PUT" })
    const target = (await response.json()) as { id: string; webSocketDebuggerUrl: string }
    const page = await RawPage.connect(target.webSocketDebuggerUrl, async () => {
      await fetch(`http://127.0.0.1:${this.port}/json/close/${target.id}`).catch(() => {})
    })
    await page.send("Page.enable")
    await page.send("Runtime.enable")
    for (const source of initScripts) await page.send("Page.addScriptToEvaluateOnNewDocument", { source })
    return page
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((done) => this.child.once("exit", done))
      this.child.kill("SIGTERM")
      await Promise.race([exited, sleep(3_000)])
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL")
    }
    // Best effort: a helper process may still be writing to the profile as the browser exits.
    try {
      rmSync(this.profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })
    } catch {
      // a leftover temporary directory is harmless
    }
  }
}

export class RawPage {
  private nextId = 1
  private readonly calls = new Map<number, { done(result: any): void; fail(error: Error): void }>()
  private readonly listeners = new Map<string, Array<(params: any) => void>>()

  private constructor(
    private readonly socket: WebSocket,
    private readonly closeTarget: () => Promise<void>,
  ) {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data))
      if (message.id !== undefined) {
        const call = this.calls.get(message.id)
        this.calls.delete(message.id)
        if (message.error) call?.fail(new Error(`${message.error.message} (${message.error.code})`))
        else call?.done(message.result)
      } else {
        for (const listener of this.listeners.get(message.method) ?? []) listener(message.params)
      }
    })
    socket.on("close", () => {
      for (const call of this.calls.values()) call.fail(new Error("CDP connection closed"))
      this.calls.clear()
    })
  }

  static async connect(url: string, closeTarget: () => Promise<void>): Promise<RawPage> {
    const socket = new WebSocket(url, { perMessageDeflate: false })
    await new Promise<void>((done, fail) => {
      socket.once("open", () => done())
      socket.once("error", fail)
    })
    return new RawPage(socket, closeTarget)
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((done, fail) => {
      const timer = setTimeout(() => {
        this.calls.delete(id)
        fail(new Error(`${method}: no answer in ${CALL_TIMEOUT_MS} ms`))
      }, CALL_TIMEOUT_MS)
      this.calls.set(id, {
        done: (result) => {
          clearTimeout(timer)
          done(result)
        },
        fail: (error) => {
          clearTimeout(timer)
          fail(error)
        },
      })
      this.socket.send(JSON.stringify({ id, method, params }))
    })
  }

  /** Evaluates `expression` (awaiting a promise) and returns its value, serialised as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })
    if (result.exceptionDetails) throw new Error(`page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`)
    return result.result.value as T
  }

  /** Navigates and waits for the load event. */
  async goto(url: string, timeout = 15_000): Promise<void> {
    const loaded = new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${url} did not load in ${timeout} ms`)), timeout)
      const listeners = (this.listeners.get("Page.loadEventFired") ?? []).concat(() => {
        clearTimeout(timer)
        done()
      })
      this.listeners.set("Page.loadEventFired", listeners)
    })
    await this.send("Page.navigate", { url })
    await loaded
    this.listeners.delete("Page.loadEventFired")
  }

  /** Polls `expression` until it is truthy. */
  async waitFor(expression: string, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout
    while (!(await this.evaluate<boolean>(`!!(${expression})`))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${expression}`)
      await sleep(20)
    }
  }

  async close(): Promise<void> {
    this.socket.close()
    await this.closeTarget()
  }
}
