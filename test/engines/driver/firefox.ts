// Firefox: Debian's firefox-esr over WebDriver BiDi, driven by puppeteer-core (which never downloads a
// browser). Playwright's moz-firefox channel calls a BiDi command ESR 153 lacks.
import { setTimeout as sleep } from "node:timers/promises"
import puppeteer, { type Page } from "puppeteer-core"
import type { EngineBrowser, EnginePage } from "./engine"
import { killGroup, processTree } from "./processes"

export const FIREFOX_PATH = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr"

/**
 * Navigates with `navigate` and resolves once it does, or once the page shows a new, loaded document, whichever
 * is first: puppeteer waits for a load, and a page the back/forward cache restores (a page that shares its
 * connection through a worker has no socket of its own, so Firefox keeps it) fires none; after such a restore
 * its next navigation's load is not seen either. The pending wait is left to end by itself.
 */
async function navigated(page: Page, what: string, navigate: () => Promise<unknown>, target?: string): Promise<void> {
  const mark = Math.random().toString(36).slice(2)
  await page.evaluate((mark) => void ((window as any).__engineDriverMark = mark), mark).catch(() => {})
  const settled = navigate().then(
    () => "done",
    (error) => error,
  )
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const fresh = await page
      // A new document, loaded, and not the empty one a navigation starts with (unless that is where it goes).
      .evaluate(
        ({ mark, target }) =>
          document.readyState == "complete" &&
          (window as any).__engineDriverMark !== mark &&
          (target ? location.href == target : location.href != "about:blank"),
        { mark, target },
      )
      .catch(() => false)
    if (fresh) return
    const outcome = await Promise.race([settled, sleep(50).then(() => "waiting")])
    if (outcome == "done") return
    if (outcome instanceof Error) throw outcome
  }
  throw new Error(`${what}: no new page shown within 30 s`)
}

function enginePage(puppeteerPage: Page): EnginePage {
  return {
    goto: (url) => navigated(puppeteerPage, `goto ${url}`, () => puppeteerPage.goto(url), new URL(url).href),
    evaluate: (fn, arg) => puppeteerPage.evaluate(fn as any, arg) as any,
    type: async (selector, text) => {
      await puppeteerPage.focus(selector)
      await puppeteerPage.keyboard.type(text)
    },
    click: (selector) => puppeteerPage.click(selector),
    reload: async () => void (await puppeteerPage.reload()),
    back: () => navigated(puppeteerPage, "back", () => puppeteerPage.goBack()),
    forward: () => navigated(puppeteerPage, "forward", () => puppeteerPage.goForward()),
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
