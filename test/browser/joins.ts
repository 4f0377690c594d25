// A tab that joins a subscription its connection holds misses nothing since its page was requested, exactly once:
// a second tab joining the shared connection, and a Turbo visit whose new page shows a stream the old one showed.
// The write goes out after the server rendered the joining page and before the page joins (its response held until
// the write is seen elsewhere). On AnyCable's extended protocol the connection hands the page what it lacks, with no
// page request; on Action Cable the page refetches itself once, and only when something went by.
import type { BrowserContext, Page } from "@playwright/test"
import type { NodeServer } from "../support/node_server"
import { expect, test } from "./fixtures"

let lists = 0
const newList = () => `join-${Date.now()}-${lists++}`

/** Counts, by text, the list items added to the page, and those added since Turbo last rendered a new body. */
async function countAdditions(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as any
    w.added = {}
    w.addedSinceRender = {}
    document.addEventListener("turbo:before-render", () => (w.addedSinceRender = {}))
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof Element)) continue
          for (const li of node.matches("li") ? [node] : node.querySelectorAll("li")) {
            const text = li.textContent!.trim()
            w.added[text] = (w.added[text] ?? 0) + 1
            w.addedSinceRender[text] = (w.addedSinceRender[text] ?? 0) + 1
          }
        }
      }
    }).observe(document, { childList: true, subtree: true })
  })
}

const additions = (page: Page, key: "added" | "addedSinceRender", text: string) => page.evaluate(([key, text]) => (window as any)[key][text] ?? 0, [key, text])

/** The list's page requests the server answered since it was cleared: loads (false) and catch-up refetches (true). */
async function pageRequests(server: NodeServer, list: string): Promise<boolean[]> {
  const log = await server.get<Array<{ list: string; catchUp: boolean }>>("/pages")
  return log.filter((entry) => entry.list == list).map((entry) => entry.catchUp)
}

/** Holds `url`'s next response on `page` until `meanwhile` is done: the server has rendered it, the page has not joined. */
async function holdResponse(page: Page, url: string, meanwhile: () => Promise<void>): Promise<void> {
  await page.route(
    url,
    async (route) => {
      const response = await route.fetch()
      await meanwhile()
      await route.fulfill({ response })
    },
    { times: 1 },
  )
}

async function liveTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  return page
}

/** The join specs, run by a spec file per protocol: `catchUps`, the page requests a join that missed a write costs. */
export function joinSpecs(catchUps: number): void {

    test(`a second tab joining the shared connection shows a write made after its page was rendered, once, with ${catchUps} page request(s) more`, async ({ context, server }) => {
      const list = newList()
      const url = `${server.app}/test/live/${list}?identity=alice`
      const first = await liveTab(context, url)
      const second = await context.newPage()
      await countAdditions(second)
      await holdResponse(second, url, async () => {
        await server.post("/items", { list, text: "written meanwhile" })
        await expect(first.locator("#items li")).toHaveText(["written meanwhile"])
      })
      await server.post("/pages/clear")
      await second.goto(url)
      await expect(second.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "2")
      await expect(second.locator("#items li")).toHaveText(["written meanwhile"])
      await server.post("/items", { list, text: "fence" })
      await expect(second.locator("#items li")).toHaveText(["written meanwhile", "fence"])
      expect(await additions(second, "added", "written meanwhile")).toBe(1)
      expect(await pageRequests(server, list)).toEqual([false, ...Array(catchUps).fill(true)])
      expect(await server.connections()).toBe(1)
    })

    test("a second tab joining when nothing went by since its page was requested makes no request", async ({ context, server }) => {
      const list = newList()
      const url = `${server.app}/test/live/${list}?identity=alice`
      await server.post("/items", { list, text: "before" })
      await liveTab(context, url)
      await server.post("/pages/clear")
      const second = await liveTab(context, url)
      await expect(second.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "2")
      await server.post("/items", { list, text: "fence" })
      await expect(second.locator("#items li")).toHaveText(["before", "fence"])
      expect(await pageRequests(server, list)).toEqual([false])
    })

    test(`a Turbo visit to a page of the same stream shows a write made while it was under way, once, with ${catchUps} page request(s) more`, async ({ page, server }) => {
      const list = newList()
      const visited = `${server.app}/test/live/${list}?visited=1`
      await countAdditions(page)
      await page.goto(`${server.app}/test/live/${list}`)
      await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
      await holdResponse(page, visited, async () => {
        await server.post("/items", { list, text: "written during the visit" })
        await expect(page.locator("#items li")).toHaveText(["written during the visit"])
      })
      await server.post("/pages/clear")
      await page.evaluate((url) => (window as any).Turbo.visit(url), visited)
      await expect(page).toHaveURL(visited)
      await expect(page.locator("#items li")).toHaveText(["written during the visit"])
      await server.post("/items", { list, text: "fence" })
      await expect(page.locator("#items li")).toHaveText(["written during the visit", "fence"])
      expect(await additions(page, "addedSinceRender", "written during the visit")).toBe(1)
      expect(await pageRequests(server, list)).toEqual([false, ...Array(catchUps).fill(true)])
    })
}
