// The shared workers of a page's browser context (turbo-cable's shared connection lives in one), over CDP: Playwright
// has no API for them. Chromium only. Each is attached without flattening, so a command is sent through the
// browser session (the session's commands to it last while it stays attached).
import type { CDPSession, Page } from "@playwright/test"

export interface SharedWorkerSession {
  url: string
  send(method: string, params?: object): Promise<void>
}

/** A browser-level CDP session, and the targets of the shared workers of `page`'s context. */
async function sharedWorkerTargets(page: Page): Promise<{ cdp: CDPSession; targets: Array<{ targetId: string; url: string }> }> {
  const context = page.context()
  const pageSession = await context.newCDPSession(page)
  const { targetInfo } = (await pageSession.send("Target.getTargetInfo")) as any
  await pageSession.detach()
  const cdp = await context.browser()!.newBrowserCDPSession()
  const { targetInfos } = (await cdp.send("Target.getTargets")) as any
  const targets = targetInfos.filter((info: any) => info.type == "shared_worker" && info.browserContextId == targetInfo.browserContextId)
  return { cdp, targets }
}

/** A browser-level CDP session, and the shared workers of `page`'s context attached to it. */
export async function attachSharedWorkers(page: Page): Promise<{ cdp: CDPSession; workers: SharedWorkerSession[] }> {
  const { cdp, targets } = await sharedWorkerTargets(page)
  const workers: SharedWorkerSession[] = []
  let id = 0
  for (const info of targets) {
    const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId: info.targetId, flatten: false } as any)) as any
    workers.push({
      url: info.url,
      send: async (method, params = {}) =>
        void (await cdp.send("Target.sendMessageToTarget" as any, { sessionId, message: JSON.stringify({ id: ++id, method, params }) })),
    })
  }
  return { cdp, workers }
}

/** Ends the shared workers of `page`'s context abruptly, as a crash of their process would: no close() runs in them. */
export async function killSharedWorkers(page: Page): Promise<number> {
  const { cdp, targets } = await sharedWorkerTargets(page)
  for (const worker of targets) await cdp.send("Target.closeTarget", { targetId: worker.targetId })
  await cdp.detach()
  return targets.length
}
