// Debian's Chromium through Playwright (never a downloaded browser), one fresh context per page (or several
// tabs of one, for the tabs scenario), and the CDP calls the scenarios share: metrics, garbage collection,
// and the page's clock.
import { setTimeout as sleep } from "node:timers/promises"
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "@playwright/test"

import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../../test/support/chromium"

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS })
}

// tsx compiles the harness with esbuild's keepNames, which wraps named functions in `__name(...)`;
// functions handed to page.evaluate carry those calls into the page, where this makes them harmless.
export const NAME_SHIM = "globalThis.__name = globalThis.__name || ((fn) => fn)"

/** A page in its own browser context, with a CDP session and the Performance domain enabled. */
export interface BenchPage {
  page: Page
  context: BrowserContext
  cdp: CDPSession
  close(): Promise<void>
}

export type InitScript = { fn: (arg: any) => unknown; arg?: unknown }

export async function openPage(browser: Browser, init: InitScript[] = []): Promise<BenchPage> {
  const context = await browser.newContext()
  await context.addInitScript({ content: NAME_SHIM })
  for (const { fn, arg } of init) await context.addInitScript(fn, arg)
  const tab = await openTab(context)
  return { ...tab, close: () => context.close().catch(() => {}) }
}

/**
 * Another page of `context`, as openPage's (a second tab of the same browser profile: turbo-cable's tabs of
 * one context share a connection); close() closes this page only.
 */
export async function openTab(context: BrowserContext): Promise<BenchPage> {
  const page = await context.newPage()
  page.on("pageerror", (error) => process.stderr.write(`[page error] ${error.message}\n`))
  const cdp = await context.newCDPSession(page)
  await cdp.send("Performance.enable", { timeDomain: "timeTicks" })
  return {
    page,
    context,
    cdp,
    close: async () => {
      await page.close().catch(() => {})
    },
  }
}

/** Performance.getMetrics as a name → value map (TaskDuration in seconds, JSHeapUsedSize in bytes, ...). */
export async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send("Performance.getMetrics")
  return Object.fromEntries(metrics.map(({ name, value }) => [name, value]))
}

/** Main-thread task time so far, in ms. */
export async function taskDuration(cdp: CDPSession): Promise<number> {
  return (await metrics(cdp)).TaskDuration * 1000
}

/** JS heap in use after full garbage collections, in bytes. */
export async function heapAfterGc(cdp: CDPSession): Promise<number> {
  for (let i = 0; i < 3; i++) await cdp.send("HeapProfiler.collectGarbage")
  return (await metrics(cdp)).JSHeapUsedSize
}

/**
 * Maps the harness clock (performance.now() here) to the page's performance.now(). Both are monotonic;
 * the offset comes from the quickest of several round trips, so it is off by at most half of that one.
 */
export async function pageClock(page: Page | (() => Promise<number>)): Promise<{ toPage(harnessMs: number): number; error: number }> {
  const readPage = typeof page == "function" ? page : () => page.evaluate(() => performance.now())
  let best = { roundTrip: Infinity, offset: 0 }
  // At least seven round trips; more (up to 30) while a busy machine keeps them all slow.
  for (let i = 0; i < 30 && (i < 7 || best.roundTrip > 2); i++) {
    const before = performance.now()
    const inPage = await readPage()
    const after = performance.now()
    if (after - before < best.roundTrip) best = { roundTrip: after - before, offset: inPage - (before + after) / 2 }
  }
  return { toPage: (harnessMs) => harnessMs + best.offset, error: best.roundTrip / 2 }
}

/** JS source running `fn(arg)`, for init scripts handed over as text. */
export function scriptSource(fn: (arg: any) => unknown, arg?: unknown): string {
  return `${NAME_SHIM};(${fn.toString()})(${JSON.stringify(arg)})`
}

/** Polls `read` until it returns true, or throws after `timeout` ms. */
export async function until(read: () => Promise<boolean> | boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await read())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(25)
  }
}

/** Waits until `count` sources of the page have the `connected` attribute. */
export async function waitConnected(page: Page, count: number, timeout = 15_000): Promise<void> {
  await page.waitForFunction((count) => document.querySelectorAll("turbo-cable-stream-source[connected]").length >= count, count, {
    timeout,
    polling: 20,
  })
}
