// Chromium: Debian's /usr/bin/chromium through Playwright, as the other browser specs; launched as a
// server so the test knows its pid.
import { chromium, type Page } from "@playwright/test"
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../../support/chromium"
import type { EngineBrowser, EnginePage } from "./engine"
import { killGroup, processTree } from "./processes"

function enginePage(playwrightPage: Page): EnginePage {
  return {
    goto: async (url) => void (await playwrightPage.goto(url)),
    evaluate: (fn, arg) => playwrightPage.evaluate(fn as any, arg),
    type: (selector, text) => playwrightPage.locator(selector).pressSequentially(text),
    click: (selector) => playwrightPage.locator(selector).click(),
    reload: async () => void (await playwrightPage.reload()),
    back: async () => void (await playwrightPage.goBack()),
    forward: async () => void (await playwrightPage.goForward()),
    // As a user closes a tab: the page's unload handlers run (pagehide), which a bare close skips.
    close: async () => void (await Promise.all([playwrightPage.waitForEvent("close"), playwrightPage.close({ runBeforeUnload: true })])),
  }
}

export async function launchChromium(): Promise<EngineBrowser> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, host: "127.0.0.1" })
  const pid = server.process().pid!
  const browser = await chromium.connect(server.wsEndpoint())
  const context = await browser.newContext()
  return {
    engine: "chromium",
    page: enginePage(await context.newPage()),
    // Playwright keeps every page of a context visible and focused (its focus emulation), each a window here.
    newPage: async () => enginePage(await context.newPage()),
    pids: () => processTree(pid),
    async close() {
      await browser.close().catch(() => {})
      await server.close().catch(() => {})
      killGroup(pid)
    },
  }
}
