// A Chromium whose pages CDP's Page.setWebLifecycleState can really freeze, for the tests and the bench.
//
// Playwright turns on focus emulation (Emulation.setFocusEmulationEnabled) for every page it opens, and a
// page under focus emulation stays visible: `Page.setWebLifecycleState {state: "frozen"}` then answers
// success but does nothing (no visibilitychange, no freeze event, timers and socket messages keep
// running). Playwright skips that override only for the default context of a browser it attached to
// with `connectOverCDP(..., {noDefaults: true})`, so that is what this does: it starts Debian's Chromium
// itself (headless, the flags of playwright.config.ts) and attaches to it. The process is ended by its pid.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { chromium, type Browser, type CDPSession, type Page } from "@playwright/test"
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "./chromium"

export interface FreezableBrowser {
  /** A new tab in the browser's window: the tab that was in front goes to the background. */
  newPage(): Promise<Page>
  /** A new tab in a window of its own: no other tab hides it, nor does it hide one. */
  newWindow(): Promise<Page>
  close(): Promise<void>
}

export async function launchFreezableBrowser(): Promise<FreezableBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "turbo-cable-chromium-"))
  const child = spawn(
    CHROMIUM_PATH,
    ["--headless", "--remote-debugging-port=0", `--user-data-dir=${profile}`, ...CHROMIUM_FLAGS, "--no-default-browser-check", "about:blank"],
    // Its own process group: Chromium and the helpers it forks, ended together by the group of this pid.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  )
  const group = -child.pid!
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(group, signal)
      return true
    } catch {
      return false // the group is gone
    }
  }
  const groupAlive = () => signalGroup(0)
  const kill = () => signalGroup("SIGKILL")
  // A helper process may still be writing the profile for a moment: a leftover temp dir is not a failure.
  const removeProfile = () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })
    } catch (error) {
      console.warn(`could not remove ${profile}: ${error}`)
    }
  }
  process.on("exit", kill)
  let browser: Browser | undefined
  try {
    const endpoint = await new Promise<string>((done, fail) => {
      let stderr = ""
      const timer = setTimeout(() => fail(new Error(`chromium did not start:\n${stderr}`)), 20_000)
      child.stderr!.on("data", (chunk) => {
        stderr += chunk
        const match = stderr.match(/DevTools listening on (ws:\/\/\S+)/)
        if (match) {
          clearTimeout(timer)
          done(match[1])
        }
      })
      child.once("exit", (code) => fail(new Error(`chromium exited (${code}):\n${stderr}`)))
    })
    // Keep draining stderr so Chromium never blocks on a full pipe.
    child.stderr!.resume()
    browser = await chromium.connectOverCDP(endpoint, { noDefaults: true, isLocal: true })
  } catch (error) {
    kill()
    removeProfile()
    throw error
  }
  const context = browser.contexts()[0]
  return {
    newPage: () => context.newPage(),
    async newWindow() {
      const cdp = await browser!.newBrowserCDPSession()
      const opened = context.waitForEvent("page")
      await cdp.send("Target.createTarget", { url: "about:blank", newWindow: true })
      await cdp.detach()
      return opened
    },
    async close() {
      // Disconnects only (Playwright did not launch it).
      await browser!.close().catch(() => {})
      // SIGTERM lets Chromium shut down; whatever of its group is left after 5 s gets SIGKILL.
      signalGroup("SIGTERM")
      const deadline = Date.now() + 7_000
      while (groupAlive() && Date.now() < deadline) {
        if (Date.now() > deadline - 2_000) kill()
        await sleep(100)
      }
      process.off("exit", kill)
      removeProfile()
    },
  }
}

const sessions = new WeakMap<Page, CDPSession>()

/**
 * Freezes `page` through the Page Lifecycle, as Chrome does to a background tab: the page turns hidden,
 * gets `freeze`, and runs nothing more (no timers, no socket events) until resumed.
 */
export async function freezePage(page: Page): Promise<void> {
  let cdp = sessions.get(page)
  if (!cdp) sessions.set(page, (cdp = await page.context().newCDPSession(page)))
  await page.evaluate(() => {
    const w = window as any
    w.__lifecycle = []
    if (!w.__lifecycleWatched) {
      w.__lifecycleWatched = true
      for (const name of ["freeze", "resume", "visibilitychange"]) {
        document.addEventListener(name, () => w.__lifecycle.push(name == "visibilitychange" ? document.visibilityState : name))
      }
    }
  })
  // A page shown by an earlier resumePage is kept visible by that emulation: let it go first.
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false })
  await cdp.send("Page.setWebLifecycleState", { state: "frozen" })
}

/**
 * Resumes a page frozen by freezePage and shows it again (the user comes back to the tab), checking that it
 * really was frozen. Resolves with the time of the resume (Date.now()).
 */
export async function resumePage(page: Page): Promise<number> {
  const cdp = sessions.get(page)
  if (!cdp) throw new Error("resumePage without freezePage")
  const resumedAt = Date.now()
  await cdp.send("Page.setWebLifecycleState", { state: "active" })
  // Page.setWebLifecycleState leaves the page hidden; focus emulation makes it visible and focused.
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: true })
  // Frozen, a page runs no script: this answers only once it has resumed.
  const lifecycle: string[] = await page.evaluate(() => (window as any).__lifecycle.slice())
  if (!["hidden", "freeze", "resume"].every((event) => lifecycle.includes(event))) {
    throw new Error(`the page was not frozen (lifecycle events seen: ${JSON.stringify(lifecycle)})`)
  }
  return resumedAt
}
