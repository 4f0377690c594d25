// Takes a page's browser context off the network or back, as `context.setOffline` does, and the shared workers of
// that context with it (turbo-cable's shared connection lives in one): Playwright's emulation reaches the pages
// only. Chromium, over CDP; the emulation lasts while the session that set it is attached, so it is kept until
// the context is back online.
import type { BrowserContext, CDPSession, Page } from "@playwright/test"
import { attachSharedWorkers } from "./shared_workers"

const offlineSessions = new WeakMap<BrowserContext, CDPSession>()

export async function setOffline(page: Page, offline: boolean): Promise<void> {
  const context = page.context()
  await context.setOffline(offline)
  const held = offlineSessions.get(context)
  if (!offline) {
    offlineSessions.delete(context)
    return held?.detach()
  }
  if (held) return
  const { cdp, workers } = await attachSharedWorkers(page)
  offlineSessions.set(context, cdp)
  for (const worker of workers) {
    await worker.send("Network.enable")
    await worker.send("Network.emulateNetworkConditions", { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
  }
}
