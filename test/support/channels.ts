// An app channel subscribed from a page through turbo-rails' `cable.subscribeTo` (the script build's
// `TurboCable.cable`), with every mixin callback recorded in the page, for the Node and the Rails specs.
import type { Page } from "@playwright/test"

/** Subscribes to EchoChannel in `room`; the mixin's calls land in `window.calls[name]`, the subscription in `window.subscriptions[name]`. */
export async function subscribeTo(page: Page, room: string, name = "echo"): Promise<void> {
  await page.evaluate(
    async ({ room, name }) => {
      const w = window as any
      w.calls ??= {}
      const calls: Array<[string, unknown?]> = (w.calls[name] = [])
      w.subscriptions ??= {}
      w.subscriptions[name] = await w.TurboCable.cable.subscribeTo(
        { channel: "EchoChannel", room },
        {
          connected: (details: unknown) => calls.push(["connected", details]),
          disconnected: (details: unknown) => calls.push(["disconnected", details]),
          rejected: () => calls.push(["rejected"]),
          received: (data: unknown) => calls.push(["received", data]),
        },
      )
    },
    { room, name },
  )
}

export const calls = (page: Page, name = "echo") => page.evaluate((name) => (window as any).calls[name] as Array<[string, any]>, name)
export const callKinds = async (page: Page, name = "echo") => (await calls(page, name)).map(([kind]) => kind)
export const received = async (page: Page, name = "echo") => (await calls(page, name)).filter(([kind]) => kind == "received").map(([, data]) => data)
export const connectedCalls = async (page: Page, name = "echo") =>
  (await calls(page, name)).filter(([kind]) => kind == "connected").map(([, details]) => details)
