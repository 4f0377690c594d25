// One set of specs, three engines: the Playwright project picks the engine (playwright.config.ts), these
// fixtures start that engine's browser once per worker through its driver (./driver), and a Node Action
// Cable server per worker. Specs use only the EnginePage API and the helpers below.
import { test as base, expect } from "@playwright/test"
import { startNodeServer, type NodeServer } from "../support/node_server"
import type { EngineBrowser, EngineName, EnginePage } from "./driver/engine"
import { launchEngine } from "./driver/launch"

export { appendItem, appendStream } from "../support/sources"

export interface EngineOptions {
  engine: EngineName
}

/** Pages of the one browser profile, opened and closed by a test (shared_connection specs). */
export interface Tabs {
  /** Opens `url` in a new window of the browser's profile and starts its recorder (record()). */
  open(url: string): Promise<EnginePage>
  close(page: EnginePage): Promise<void>
}

export const test = base.extend<{ tabs: Tabs }, EngineOptions & { web: EngineBrowser; server: NodeServer }>({
  engine: ["chromium", { option: true, scope: "worker" }],
  web: [
    async ({ engine }, use) => {
      const browser = await launchEngine(engine)
      await use(browser)
      await browser.close()
    },
    { scope: "worker", timeout: 60_000 },
  ],
  server: [
    async ({}, use) => {
      const server = await startNodeServer()
      await use(server)
      await server.stop()
    },
    { scope: "worker" },
  ],
  tabs: async ({ web, server }, use) => {
    // The first page may still show a page of this server (an earlier test), which would share the connection too.
    await web.page.goto("about:blank")
    await server.waitForNoConnections()
    const opened = new Set<EnginePage>()
    await use({
      async open(url) {
        const page = await web.newPage()
        opened.add(page)
        await page.goto(url)
        await record(page)
        return page
      },
      async close(page) {
        opened.delete(page)
        await page.close()
      },
    })
    for (const page of opened) await page.close().catch(() => {})
  },
})

export { expect }

/**
 * expect.poll over a reading of the page (listItems, cableState, ...), every 50 ms: a state that lasts a
 * moment is still seen, and a wait close to its timeout is not cut short by a long interval.
 */
export function poll<T>(read: () => Promise<T>, timeout = 10_000) {
  return expect.poll(read, { timeout, intervals: [50] })
}

/**
 * Watches the page from inside, the same way in every engine: each state change (turbo-cable:state) and
 * the first time each list item appears, with Date.now() (one clock with the test), and every frame on
 * every WebSocket opened from now on (WebSocket is wrapped; turbo-cable subclasses it on first use, so
 * this must run before the first source connects to see that socket).
 */
export async function watch(page: EnginePage): Promise<void> {
  await page.evaluate(() => {
    const w = window as any
    if (w.__watched) return
    w.__watched = true
    w.__states = []
    w.__seen = {}
    w.__pageshows = []
    w.__wire = { sockets: [], sent: [], received: [] }
    addEventListener("pageshow", (event) => w.__pageshows.push({ persisted: (event as PageTransitionEvent).persisted, at: Date.now() }))
    document.addEventListener("turbo-cable:state", (event) => {
      const { state, reason } = (event as CustomEvent).detail
      w.__states.push({ state, reason, at: Date.now() })
    })
    const note = (node: Node, now: number) => {
      if (!(node instanceof Element)) return
      for (const li of node.matches("li") ? [node] : node.querySelectorAll("li")) {
        const key = (li.textContent || "").trim()
        if (!(key in w.__seen)) w.__seen[key] = now
      }
    }
    for (const li of document.querySelectorAll("li")) note(li, 0)
    new MutationObserver((mutations) => {
      const now = Date.now()
      for (const mutation of mutations) for (const node of mutation.addedNodes) note(node, now)
    }).observe(document, { childList: true, subtree: true })
    const Native = window.WebSocket
    window.WebSocket = class RecordedWebSocket extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols)
        w.__wire.sockets.push(String(url))
        this.addEventListener("message", (event) => {
          try {
            w.__wire.received.push(JSON.parse(event.data))
          } catch {
            w.__wire.received.push({ raw: String(event.data) })
          }
        })
      }
      override send(data: string) {
        w.__wire.sent.push(JSON.parse(data))
        super.send(data)
      }
    } as typeof WebSocket
  })
}

/**
 * Watches a page without touching its WebSocket (watch() wraps it, which keeps a tab from sharing): each
 * `turbo-cable:state` and `turbo-cable:tabs`, when each list item first appeared (Date.now()) and how many
 * times an item of that text was added (a stream applied twice adds it twice, even where Turbo then removes
 * the older copy of an id).
 */
export async function record(page: EnginePage): Promise<void> {
  await page.evaluate(() => {
    const w = window as any
    if (w.__recorded) return
    const recorded = (w.__recorded = { states: [] as string[], tabs: [] as number[], seen: {} as Record<string, number>, added: {} as Record<string, number> })
    document.addEventListener("turbo-cable:state", (event) => recorded.states.push((event as CustomEvent).detail.state))
    document.addEventListener("turbo-cable:tabs", (event) => recorded.tabs.push((event as CustomEvent).detail.tabs))
    new MutationObserver((mutations) => {
      const now = Date.now()
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          if (!(node instanceof Element)) continue
          for (const li of node.matches("li") ? [node] : node.querySelectorAll("li")) {
            const text = (li.textContent || "").trim()
            recorded.seen[text] ??= now
            recorded.added[text] = (recorded.added[text] ?? 0) + 1
          }
        }
      }
    }).observe(document, { childList: true, subtree: true })
  })
}

/** What record() saw: the states and tab counts announced, in order, when each item first appeared and how often. */
export const recorded = (page: EnginePage): Promise<{ states: string[]; tabs: number[]; seen: Record<string, number>; added: Record<string, number> }> =>
  page.evaluate(() => (window as any).__recorded)
/** `<html data-turbo-cable-tabs>`: how many tabs share the page's connection. */
export const tabCount = (page: EnginePage): Promise<string | null> =>
  page.evaluate(() => document.documentElement.getAttribute("data-turbo-cable-tabs"))

export interface Wire {
  sockets: string[]
  sent: Array<Record<string, any>>
  received: Array<Record<string, any>>
}

export const wire = (page: EnginePage): Promise<Wire> => page.evaluate(() => (window as any).__wire)
export const states = (page: EnginePage): Promise<Array<{ state: string; reason?: string; at: number }>> =>
  page.evaluate(() => (window as any).__states)
/** When an item (by its text) first appeared in the page (Date.now()). */
export const seenAt = (page: EnginePage, key: string): Promise<number | undefined> => page.evaluate((key) => (window as any).__seen[key], key)
export const listItems = (page: EnginePage): Promise<string[]> =>
  page.evaluate(() => [...document.querySelectorAll("#items li")].map((li) => li.textContent!.trim()))
export const cableState = (page: EnginePage): Promise<string | null> =>
  page.evaluate(() => document.documentElement.getAttribute("data-turbo-cable-state"))
export const connectedSources = (page: EnginePage): Promise<number> =>
  page.evaluate(() => document.querySelectorAll("turbo-cable-stream-source[connected]").length)

/** Adds a real <turbo-cable-stream-source> for `signedName` (inside #sources); returns its id. */
export function addSource(page: EnginePage, signedName: string): Promise<string> {
  return page.evaluate((signedName) => {
    const element = document.createElement("turbo-cable-stream-source")
    element.setAttribute("channel", "Turbo::StreamsChannel")
    element.setAttribute("signed-stream-name", signedName)
    element.id = `source_${Math.random().toString(36).slice(2)}`
    ;(document.getElementById("sources") ?? document.body).append(element)
    return element.id
  }, signedName)
}

let lists = 0
export const newList = () => `list-${Date.now()}-${lists++}`
