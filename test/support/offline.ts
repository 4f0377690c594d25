// Takes a page's browser context off the network or back, as `context.setOffline` does, and the shared workers of
// that context with it (turbo-cable's shared connection lives in one): Playwright's emulation reaches the pages
// only. Chromium, over CDP; the emulation lasts while the session that set it is attached, so it is kept until
// the context is back online.
import type { BrowserContext, CDPSession, Page } from "@playwright/test"

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
  const pageSession = await context.newCDPSession(page)
  const { targetInfo } = (await pageSession.send("Target.getTargetInfo")) as any
  await pageSession.detach()
  const cdp = await context.browser()!.newBrowserCDPSession()
  offlineSessions.set(context, cdp)
  const { targetInfos } = (await cdp.send("Target.getTargets")) as any
  const workers = targetInfos.filter((info: any) => info.type == "shared_worker" && info.browserContextId == targetInfo.browserContextId)
  for (const worker of workers) {
    const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId: worker.targetId, flatten: false } as any)) as any
    const conditions = { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }
    for (const [id, method, params] of [
      [1, "Network.enable", {}],
      [2, "Network.emulateNetworkConditions", conditions],
    ] as const) {
      await cdp.send("Target.sendMessageToTarget" as any, { sessionId, message: JSON.stringify({ id, method, params }) })
    }
  }
}
