// Playwright fixtures: a Node Action Cable server per test file, and page helpers that add real
// <turbo-cable-stream-source> elements with signed stream names.
import { test as base, expect, type Page } from "@playwright/test"
import { startNodeServer, type NodeServer } from "../support/node_server"
import { appendSource } from "../support/sources"
import { tapWire, type TappedSocket } from "../support/wire_tap"

export { appendItem, appendStream } from "../support/sources"

export interface Wire {
  sent: Array<Record<string, any>>
  received: Array<Record<string, any>>
  sockets: TappedSocket[]
}

/** Records every frame on every socket the page opens or shares (test/support/wire_tap.ts), parsed. */
export function recordWire(page: Page): Wire {
  const wire: Wire = { sent: [], received: [], sockets: [] }
  tapWire(page, {
    opened: (socket) => wire.sockets.push(socket),
    sent: (payload) => wire.sent.push(JSON.parse(payload)),
    received: (payload) => {
      try {
        wire.received.push(JSON.parse(payload))
      } catch {
        wire.received.push({ raw: payload })
      }
    },
  })
  return wire
}

/** Records the states the page announces (`turbo-cable:state`) from now on, and a catch-up's failure (`__failed`). */
export async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any
    w.__states = []
    document.addEventListener("turbo-cable:state", (event) => w.__states.push((event as CustomEvent).detail.state))
    document.addEventListener("turbo-cable:catch-up-failed", (event) => (w.__failed = (event as CustomEvent).detail))
  })
}

/** The states the page announced since recordStates(), in order: each change the moment the page made it. */
export const states = (page: Page): Promise<string[]> => page.evaluate(() => (window as any).__states)

/**
 * Counts, from now on, how often an item of each text is added to the page: a message applied twice adds its item
 * twice, even where Turbo then removes the older copy of an id. additions() reads the counts.
 */
export async function countAdditions(page: Page): Promise<void> {
  await page.evaluate(() => {
    const added: Record<string, number> = ((window as any).added = {})
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) if (node instanceof HTMLLIElement) added[node.textContent!] = (added[node.textContent!] ?? 0) + 1
    }).observe(document.body, { childList: true, subtree: true })
  })
}

export const additions = (page: Page): Promise<Record<string, number>> => page.evaluate(() => (window as any).added)

export function commandsSent(wire: Wire, command: string): Array<Record<string, any>> {
  return wire.sent.filter((frame) => frame.command == command)
}

/** Adds a source for `stream` to the page (inside #sources), signed by the server; returns its element id. */
export async function addSource(page: Page, server: NodeServer, stream: string, attributes: Record<string, string> = {}) {
  return appendSource(page, await server.sign(stream), attributes)
}

/** Polls `read` until it returns `expected` (the server's view changes asynchronously). */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeout = 10_000): Promise<void> {
  await expect.poll(read, { timeout }).toEqual(expected)
}

/** `serverEnv`: the test server's environment for a file (`test.use({serverEnv: PLAIN_SERVER})`). */
export const test = base.extend<{}, { server: NodeServer; serverEnv: Record<string, string> }>({
  serverEnv: [{}, { scope: "worker", option: true }],
  server: [
    async ({ serverEnv }, use) => {
      const server = await startNodeServer(serverEnv)
      await use(server)
      await server.stop()
    },
    { scope: "worker" },
  ],
})

/**
 * Opens `url` with the script-tag build held back `ms` after the page asks for it, and calls `meanwhile` once it
 * asked (the server's render has reached the page, its subscription not yet made); resolves when loaded.
 */
export async function loadWithSlowScript(page: Page, url: string, ms: number, meanwhile: () => Promise<unknown>): Promise<void> {
  let scriptRequested!: () => void
  const requested = new Promise<void>((done) => (scriptRequested = done))
  await page.route("**/dist/turbo-cable.min.js", async (route) => {
    scriptRequested()
    await new Promise((done) => setTimeout(done, ms))
    await route.continue()
  })
  const loading = page.goto(url)
  await requested
  await meanwhile()
  await loading
}

export { expect }

/** A plain Action Cable server, as Rails is: no extended protocol, whatever the client offers. */
export const PLAIN_SERVER = { EXTENDED_PROTOCOL: "0" }
