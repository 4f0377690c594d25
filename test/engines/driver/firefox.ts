// Firefox: Debian's firefox-esr over WebDriver BiDi, driven by puppeteer-core (which never downloads a
// browser). Playwright's moz-firefox channel calls a BiDi command ESR 153 lacks.
import { setTimeout as sleep } from "node:timers/promises"
import puppeteer, { type Page } from "puppeteer-core"
import type { EngineBrowser, EnginePage } from "./engine"
import { killGroup, processTree } from "./processes"

export const FIREFOX_PATH = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr"

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
    back: async () => void (await puppeteerPage.goBack()),
    forward: async () => void (await puppeteerPage.goForward()),
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
