// Firefox: Debian's firefox-esr over WebDriver BiDi, driven by puppeteer-core (which never downloads a
// browser). Playwright's moz-firefox channel calls a BiDi command ESR 153 lacks.
import { setTimeout as sleep } from "node:timers/promises"
import puppeteer, { type Page } from "puppeteer-core"
import type { EngineBrowser, EnginePage } from "./engine"
import { killGroup, processTree } from "./processes"

export const FIREFOX_PATH = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr"

/**
 * Back or forward through the page's history, resolved once the other entry is shown. Not puppeteer's goBack:
 * it waits for a load, and a page the back/forward cache restores (a page that shares its connection through
 * a worker, with no socket of its own, is kept) fires none.
 */
async function traverse(page: Page, delta: number): Promise<void> {
  const before = page.url()
  await page.evaluate((delta) => history.go(delta), delta)
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const shown = await page.evaluate(() => document.readyState == "complete" && location.href).catch(() => false)
    if (shown && shown != before) return
    await sleep(50)
  }
  throw new Error(`history.go(${delta}) from ${before}: no other page shown within 30 s`)
}

function enginePage(puppeteerPage: Page): EnginePage {
  return {
    goto: async (url) => void (await puppeteerPage.goto(url)),
    evaluate: (fn, arg) => puppeteerPage.evaluate(fn as any, arg) as any,
    type: async (selector, text) => {
      await puppeteerPage.focus(selector)
      await puppeteerPage.keyboard.type(text)
    },
    click: (selector) => puppeteerPage.click(selector),
    reload: async () => void (await puppeteerPage.reload()),
    back: () => traverse(puppeteerPage, -1),
    forward: () => traverse(puppeteerPage, 1),
    close: () => puppeteerPage.close(),
  }
}

export async function launchFirefox(): Promise<EngineBrowser> {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX_PATH,
    headless: true,
    // puppeteer's own kill-on-exit hooks stay on as a last resort; close() below ends it by its pid.
    protocolTimeout: 60_000,
  })
  const pid = browser.process()!.pid!
  return {
    engine: "firefox",
    page: enginePage((await browser.pages())[0] ?? (await browser.newPage())),
    // A window, not a tab: a tab opened in the first page's window would hide it (the one in front is visible).
    newPage: async () => enginePage(await browser.newPage({ type: "window" })),
    pids: () => processTree(pid),
    async close() {
      await Promise.race([browser.close().catch(() => {}), sleep(5_000)])
      killGroup(pid)
    },
  }
}
