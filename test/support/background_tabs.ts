// Tabs sent to the background for real: another tab opened in the page's window and made the active one, as a
// user does, so the page turns `hidden` (visibilitychange and all) while its timers and socket keep running.
//
// Playwright's own pages stay visible whatever is in front (its focus emulation), so this needs a Chromium
// Playwright attached to without it: launchFreezableBrowser (test/support/freezable_browser.ts). There, the
// page's `window.open` opens a tab in its window, in front, and CDP's Target.activateTarget switches tabs;
// each checked against the page's own document.visibilityState. (CDP's Target.createTarget with newWindow
// false puts the tab in the window created last, which need not be the page's.)
import { expect, type CDPSession, type Page } from "@playwright/test"

interface Tabs {
  cdp: CDPSession
  /** The page's own target. */
  self: string
  /** The tab in front of it while it is hidden. */
  cover: { page: Page; target: string } | null
}

const tabs = new WeakMap<Page, Tabs>()

async function tabsOf(page: Page): Promise<Tabs> {
  let known = tabs.get(page)
  if (!known) {
    const cdp = await page.context().newCDPSession(page)
    const { targetInfo } = await cdp.send("Target.getTargetInfo")
    tabs.set(page, (known = { cdp, self: targetInfo.targetId, cover: null }))
  }
  return known
}

const visibility = (page: Page) => page.evaluate(() => document.visibilityState)

/** Puts another tab of its window in front of `page`: the page is hidden. */
export async function sendToBackground(page: Page): Promise<void> {
  const known = await tabsOf(page)
  if (known.cover) await known.cdp.send("Target.activateTarget", { targetId: known.cover.target })
  else {
    // As a link opened in a new tab: it opens in the page's window, in front.
    const [cover] = await Promise.all([page.context().waitForEvent("page"), page.evaluate(() => void window.open("about:blank", "_blank"))])
    known.cover = { page: cover, target: (await (await page.context().newCDPSession(cover)).send("Target.getTargetInfo")).targetInfo.targetId }
  }
  await expect.poll(() => visibility(page), { timeout: 5_000 }).toBe("hidden")
}

/** Switches back to `page`'s tab; resolves once it is visible. */
export async function bringBack(page: Page): Promise<void> {
  const known = await tabsOf(page)
  await known.cdp.send("Target.activateTarget", { targetId: known.self })
  await expect.poll(() => visibility(page), { timeout: 5_000 }).toBe("visible")
}

/** Closes `page` and the tab that hid it. */
export async function closeTab(page: Page): Promise<void> {
  await tabs.get(page)?.cover?.page.close()
  await page.close()
}
