// Every socket a page uses, with its frames: the page's own (Playwright's `websocket` event) and, in Chromium,
// the socket of the shared worker the tabs of its context share (turbo-cable's shared connection), read over
// CDP: Playwright reports no network of shared workers. A worker's script request is held (context.route)
// until the tap is attached to the new worker with its network events on, so no frame is missed.
import type { BrowserContext, CDPSession, Page, Route } from "@playwright/test"

export interface TappedSocket {
  url(): string
}

export interface WireTap {
  opened(socket: TappedSocket, index: number): void
  sent(payload: string, index: number): void
  received(payload: string, index: number): void
}

/** Reports the page's sockets and its context's shared worker sockets to `tap`, each with an index of its own. */
export function tapWire(page: Page, tap: WireTap): void {
  let count = 0
  const indexes = new Map<string, number>()
  const indexOf = (key: string, url: string): number => {
    let index = indexes.get(key)
    if (index === undefined) {
      indexes.set(key, (index = count++))
      tap.opened({ url: () => url }, index)
    }
    return index
  }
  page.on("websocket", (socket) => {
    const index = indexOf(`page ${indexes.size}`, socket.url())
    socket.on("framesent", ({ payload }) => tap.sent(String(payload), index))
    socket.on("framereceived", ({ payload }) => tap.received(String(payload), index))
  })
  if (page.context().browser()?.browserType().name() != "chromium") return
  const workers = workerTap(page)
  const listener: WorkerListener = {
    opened: (key, url) => void indexOf(key, url),
    sent: (key, url, payload) => tap.sent(payload, indexOf(key, url)),
    received: (key, url, payload) => tap.received(payload, indexOf(key, url)),
  }
  workers.listeners.add(listener)
  page.once("close", () => workers.listeners.delete(listener))
}

interface WorkerListener {
  opened(key: string, url: string): void
  sent(key: string, url: string, payload: string): void
  received(key: string, url: string, payload: string): void
}

interface WorkerTap {
  listeners: Set<WorkerListener>
}

const taps = new WeakMap<BrowserContext, WorkerTap>()

function workerTap(page: Page): WorkerTap {
  const context = page.context()
  const known = taps.get(context)
  if (known) return known
  const tap: WorkerTap = { listeners: new Set() }
  taps.set(context, tap)
  const ready = attachToWorkers(page, tap)
  ready.catch((error) => console.warn("wire tap: shared workers not tapped:", error))
  // Installed before the caller's next navigation (Playwright sends calls in order), awaited by the request.
  // The worker's script: the script-tag build itself (its page's own request passes once no worker is waiting on
  // it), or the module builds' worker file.
  void context.route(/\/(turbo-cable\.min|turbo-cable-worker)\.js$/, async (route: Route) => {
    const tapped = await ready.catch(() => null)
    if (tapped) await tapped.untilAttached(route.request().url())
    await route.fallback()
  })
  return tap
}

async function attachToWorkers(page: Page, tap: WorkerTap) {
  const context = page.context()
  const pageSession = await context.newCDPSession(page)
  const { targetInfo } = (await pageSession.send("Target.getTargetInfo")) as any
  await pageSession.detach()
  const contextId = targetInfo.browserContextId
  const cdp: CDPSession = await context.browser()!.newBrowserCDPSession()
  context.once("close", () => cdp.detach().catch(() => {}))
  const attached = new Map<string, Promise<void>>()
  const workers = new Map<string, { cableUrl: string; sockets: Map<string, string> }>()
  let sockets = 0

  const socketOf = (sessionId: string, requestId: string, url?: string): [string, string] => {
    const worker = workers.get(sessionId)!
    let key = worker.sockets.get(requestId)
    const socketUrl = url ?? worker.cableUrl
    if (key === undefined) {
      worker.sockets.set(requestId, (key = `worker ${sockets++}`))
      for (const listener of tap.listeners) listener.opened(key, socketUrl)
    }
    return [key, socketUrl]
  }

  cdp.on("Target.receivedMessageFromTarget" as any, ({ sessionId, message }: { sessionId: string; message: string }) => {
    const { id, method, params, result } = JSON.parse(message)
    const worker = workers.get(sessionId)
    if (!worker) return
    if (id == 2) worker.cableUrl = String(result?.result?.value ?? "").split(" ")[3] ?? ""
    switch (method) {
      case "Network.webSocketCreated":
        return void socketOf(sessionId, params.requestId, params.url)
      case "Network.webSocketFrameSent":
        for (const listener of tap.listeners) listener.sent(...socketOf(sessionId, params.requestId), params.response.payloadData)
        return
      case "Network.webSocketFrameReceived":
        for (const listener of tap.listeners) listener.received(...socketOf(sessionId, params.requestId), params.response.payloadData)
    }
  })
  const attach = (info: any): Promise<void> => {
    if (info.type != "shared_worker" || info.browserContextId != contextId) return Promise.resolve()
    let done = attached.get(info.targetId)
    if (done) return done
    done = (async () => {
      const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId: info.targetId, flatten: false } as any)) as any
      workers.set(sessionId, { cableUrl: "", sockets: new Map() })
      const send = (id: number, method: string, params = {}) =>
        cdp.send("Target.sendMessageToTarget" as any, { sessionId, message: JSON.stringify({ id, method, params }) })
      await send(1, "Network.enable")
      await send(2, "Runtime.evaluate", { expression: "self.name" })
    })()
    attached.set(info.targetId, done)
    return done
  }
  cdp.on("Target.targetCreated" as any, ({ targetInfo }: any) => void attach(targetInfo).catch(() => {}))
  await cdp.send("Target.setDiscoverTargets", { discover: true })

  return {
    /** Resolves once every shared worker of `url` in this context is attached (the one asking among them). */
    async untilAttached(url: string): Promise<void> {
      // A shared worker's target exists before its script is asked for; with none, the request is a page's
      // <script>, and is not held.
      const { targetInfos } = (await cdp.send("Target.getTargets")) as any
      const mine = targetInfos.filter((info: any) => info.type == "shared_worker" && info.url == url && info.browserContextId == contextId)
      await Promise.all(mine.map(attach))
    },
  }
}
