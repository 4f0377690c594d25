// The shared workers of a page's browser context (turbo-cable's shared connection lives in one), over CDP: Playwright
// has no API for them. Chromium only. Each is attached without flattening, so a command is sent through the
// browser session (the session's commands to it last while it stays attached).
import type { CDPSession, Page } from "@playwright/test"

export interface SharedWorkerSession {
  url: string
  send(method: string, params?: object): Promise<void>
  /** Sends a command and resolves with its result (rejects with its error). */
  call<T = any>(method: string, params?: object): Promise<T>
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
  // Answers come back as events of the browser session, by the id of the command.
  const waiting = new Map<number, { done: (result: any) => void; fail: (error: Error) => void }>()
  cdp.on("Target.receivedMessageFromTarget" as any, ({ message }: { message: string }) => {
    const answer = JSON.parse(message)
    const waiter = waiting.get(answer.id)
    if (!waiter) return
    waiting.delete(answer.id)
    if (answer.error) waiter.fail(new Error(`${answer.error.message} (${answer.error.code})`))
    else waiter.done(answer.result)
  })
  for (const info of targets) {
    const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId: info.targetId, flatten: false } as any)) as any
    const call = (method: string, params: object = {}) => {
      const callId = ++id
      const answered = new Promise<any>((done, fail) => waiting.set(callId, { done, fail }))
      return cdp
        .send("Target.sendMessageToTarget" as any, { sessionId, message: JSON.stringify({ id: callId, method, params }) })
        .then(() => answered)
    }
    workers.push({
      url: info.url,
      send: async (method, params = {}) => void (await cdp.send("Target.sendMessageToTarget" as any, { sessionId, message: JSON.stringify({ id: ++id, method, params }) })),
      call,
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
