// WebKit: Debian's WebKitWebDriver (package webkit2gtk-driver, WebDriver classic over HTTP) starting
// MiniBrowser --automation on an Xvfb display of its own. The protocol is a handful of HTTP calls, so
// it is spoken here with fetch rather than through a client library.
import { spawn, type ChildProcess } from "node:child_process"
import { setTimeout as sleep } from "node:timers/promises"
import { freePort } from "../../support/server_process"
import type { EngineBrowser, EnginePage } from "./engine"
import { killGroup, processTree } from "./processes"

export const MINIBROWSER_PATH = process.env.MINIBROWSER_PATH || "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

/** Xvfb on the first free display (it picks one and writes the number to fd 3). */
async function startXvfb(): Promise<{ child: ChildProcess; display: string }> {
  const child = spawn("Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x800x24"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
    detached: true,
  })
  let stderr = ""
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const display = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`Xvfb did not start:\n${stderr}`)), 10_000)
    ;(child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk) => {
      clearTimeout(timer)
      done(`:${String(chunk).trim()}`)
    })
    child.once("exit", (code) => fail(new Error(`Xvfb exited (${code}):\n${stderr}`)))
  })
  return { child, display }
}

export async function launchWebKit(): Promise<EngineBrowser> {
  const xvfb = await startXvfb()
  const port = await freePort()
  const driver = spawn("WebKitWebDriver", [`--port=${port}`, "--host=127.0.0.1"], {
    env: { ...process.env, DISPLAY: xvfb.display },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  })
  driver.stderr!.resume()
  const base = `http://127.0.0.1:${port}`
  const close = () => {
    killGroup(driver.pid)
    killGroup(xvfb.child.pid)
  }
  process.once("exit", close)

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const json: any = await response.json()
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`)
    return json.value
  }

  try {
    const deadline = Date.now() + 15_000
    for (;;) {
      try {
        if ((await call("GET", "/status")).ready) break
      } catch {
        if (Date.now() > deadline) throw new Error("WebKitWebDriver did not answer")
      }
      await sleep(50)
    }
    const session = await call("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          browserName: "MiniBrowser",
          "webkitgtk:browserOptions": { binary: MINIBROWSER_PATH, args: ["--automation"] },
        },
      },
    })
    const s = `/session/${session.sessionId}`
    await call("POST", `${s}/timeouts`, { script: 60_000, pageLoad: 30_000 })
    // WebDriver classic drives one window at a time (the session's current one): each page's commands switch
    // to its window first, and run one after another so that no other page's switch comes between.
    const first: string = await call("GET", `${s}/window`)
    let current = first
    let queue: Promise<unknown> = Promise.resolve()
    const inWindow = <T>(handle: string, command: () => Promise<T>): Promise<T> => {
      const run = queue.then(async () => {
        if (current != handle) await call("POST", `${s}/window`, { handle })
        current = handle
        return command()
      })
      queue = run.catch(() => {})
      return run
    }
    const find = async (selector: string) => (await call("POST", `${s}/element`, { using: "css selector", value: selector }))[ELEMENT]

    const enginePage = (handle: string): EnginePage => ({
      goto: (url) => inWindow(handle, async () => void (await call("POST", `${s}/url`, { url }))),
      evaluate: (fn, arg) =>
        inWindow(handle, async () => {
          // The last argument of an async script is its callback; errors come back as values to keep their text.
          const script =
            `const done = arguments[arguments.length - 1];` +
            `Promise.resolve().then(() => (${fn.toString()})(arguments[0]))` +
            `.then((value) => done({ value: value === undefined ? null : value }), (error) => done({ error: String(error && error.stack || error) }))`
          const result = await call("POST", `${s}/execute/async`, { script, args: [arg ?? null] })
          if (result.error) throw new Error(result.error)
          return result.value
        }),
      type: (selector, text) =>
        inWindow(handle, async () => {
          const element = await find(selector)
          await call("POST", `${s}/element/${element}/click`, {})
          await call("POST", `${s}/element/${element}/value`, { text })
        }),
      click: (selector) => inWindow(handle, async () => void (await call("POST", `${s}/element/${await find(selector)}/click`, {}))),
      reload: () => inWindow(handle, async () => void (await call("POST", `${s}/refresh`, {}))),
      back: () => inWindow(handle, async () => void (await call("POST", `${s}/back`, {}))),
      forward: () => inWindow(handle, async () => void (await call("POST", `${s}/forward`, {}))),
      close: () => inWindow(handle, async () => void (await call("DELETE", `${s}/window`))),
    })

    return {
      engine: "webkit",
      page: enginePage(first),
      // From the first window, which is never closed (New Window needs an open current window).
      newPage: async () => enginePage(await inWindow(first, async () => (await call("POST", `${s}/window/new`, { type: "window" })).handle)),
      // The driver's tree holds MiniBrowser and its web and network processes; the driver itself is
      // left running (it is the test's tool, not the browser).
      pids: () => processTree(driver.pid!).filter((pid) => pid != driver.pid),
      async close() {
        await Promise.race([call("DELETE", s).catch(() => {}), sleep(5_000)])
        close()
        process.off("exit", close)
      },
    }
  } catch (error) {
    close()
    process.off("exit", close)
    throw error
  }
}
