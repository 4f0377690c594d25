// Many tabs, one deploy: a tab in the background asks for its page only when it is shown again, once, and is
// current within a second of it; live messages reach it meanwhile. Tabs are hidden for real (another tab in
// front, test/support/background_tabs.ts), in a Chromium without Playwright's focus emulation; each tab has a
// window of its own, so one is hidden only when the test says so.
import type { Page } from "@playwright/test"
import { bringBack, closeTab, sendToBackground } from "../support/background_tabs"
import { launchFreezableBrowser, type FreezableBrowser } from "../support/freezable_browser"
import type { NodeServer } from "../support/node_server"
import { expect, PLAIN_SERVER, test } from "./fixtures"

// The refetch-and-morph catch-up, as on Rails.
test.use({ serverEnv: PLAIN_SERVER })

let browser: FreezableBrowser
test.beforeAll(async () => {
  browser = await launchFreezableBrowser()
})
test.afterAll(async () => browser?.close())
const opened: Page[] = []
test.afterEach(async () => {
  for (const page of opened.splice(0)) await closeTab(page)
})

let listCount = 0
const newList = () => `hidden-${Date.now()}-${listCount++}`

interface Tab {
  page: Page
  /** Requests for the page's own URL since it loaded: catch-up refetches and Turbo's refresh visits. */
  pageRequests: number
  state(): Promise<string | null>
  items(): Promise<string[]>
  /** How long after the tab was last shown the page was current (ms), by the page's own clock. */
  currentAfterShown(): Promise<number>
}

/** A tab of one person's on the list's live page (`query`: more parameters), subscribed, counting its own page requests from here on. */
async function openTab(server: NodeServer, list: string, query = ""): Promise<Tab> {
  // A window each: a tab is hidden only by sendToBackground.
  const page = await browser.newWindow()
  opened.push(page)
  // The page says whose it is: the tabs share one connection.
  await page.goto(`${server.app}/test/live/${list}?identity=alice${query ? `&${query}` : ""}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await page.evaluate(() => {
    const w = window as any
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState == "visible") w.shownAt = performance.now()
    })
    // A catch-up ends with caught-up, Turbo's refresh with its visit's turbo:load.
    for (const done of ["turbo-cable:caught-up", "turbo:load"]) document.addEventListener(done, () => (w.currentAt = performance.now()))
  })
  const tab: Tab = {
    page,
    pageRequests: 0,
    state: () => page.locator("html").getAttribute("data-turbo-cable-state"),
    items: () => page.locator("#items li").allTextContents(),
    currentAfterShown: () => page.evaluate(() => (window as any).currentAt - (window as any).shownAt),
  }
  const path = new URL(page.url()).pathname
  page.on("request", (request) => {
    if (new URL(request.url()).pathname == path) tab.pageRequests++
  })
  return tab
}

/** The tab was made current again after it was last shown, and within a second of it. */
async function expectCurrentWithinASecond(tab: Tab): Promise<void> {
  const after = await tab.currentAfterShown()
  expect(after).toBeGreaterThanOrEqual(0)
  expect(after).toBeLessThan(1_000)
}

/** A Turbo 8 refresh broadcast (`broadcasts_refreshes`), caused by a request of another document. */
const refreshBroadcast = (requestId: string) => `<turbo-stream action="refresh" request-id="${requestId}"></turbo-stream>`

/**
 * No request is the point: a window for one to start. Not Playwright's clock: these tabs share the one context of a
 * browser kept for the file, and a clock there fakes `performance` (what dates a page) for every later tab too.
 */
const noRequestWindow = (tab: Tab) => tab.page.waitForTimeout(1_500)

async function restartWithMissedWrite(server: NodeServer, list: string, text: string): Promise<void> {
  await server.post("/stop")
  await server.post("/items", { list, text })
  await server.post("/start")
}

test("after a deploy, hidden tabs ask for their page only when shown, once, current within 1 s; a visible tab catches up at once", async ({ server }) => {
  const list = newList()
  const visible = await openTab(server, list)
  const hidden = [await openTab(server, list), await openTab(server, list), await openTab(server, list), await openTab(server, list)]
  for (const tab of hidden) await sendToBackground(tab.page)
  expect(await visible.page.evaluate(() => document.visibilityState)).toBe("visible")

  await restartWithMissedWrite(server, list, "written while down")
  await expect.poll(() => visible.items(), { timeout: 10_000 }).toEqual(["written while down"])
  await expect.poll(() => visible.state()).toBe("caught-up")
  expect(visible.pageRequests).toBe(1)
  // The five tabs share one connection (the shared worker's).
  expect(await server.connections()).toBe(1)

  for (const tab of hidden) await expect.poll(() => tab.state(), { timeout: 10_000 }).toBe("behind")
  // Live messages still apply in a hidden tab: only the refetch waits.
  await server.post("/items", { list, text: "live while hidden" })
  for (const tab of hidden) await expect.poll(() => tab.items()).toEqual(["live while hidden"])
  await noRequestWindow(hidden[0])
  expect(hidden.map((tab) => tab.pageRequests)).toEqual([0, 0, 0, 0])

  for (const [index, tab] of hidden.entries()) {
    await bringBack(tab.page)
    await expect.poll(() => tab.items()).toEqual(["written while down", "live while hidden"])
    await expect.poll(() => tab.state()).toBe("caught-up")
    await expectCurrentWithinASecond(tab)
    // The others stay behind until each is shown in turn.
    for (const other of hidden.slice(index + 1)) {
      expect(other.pageRequests).toBe(0)
      expect(await other.state()).toBe("behind")
    }
  }

  await noRequestWindow(hidden[0])
  expect(hidden.map((tab) => tab.pageRequests)).toEqual([1, 1, 1, 1])
  expect(visible.pageRequests).toBe(1)
})

test("a refresh broadcast to a hidden tab waits until it is shown, then Turbo refreshes it once", async ({ server }) => {
  const list = newList()
  const visible = await openTab(server, list, "refresh=morph")
  const hidden = await openTab(server, list, "refresh=morph")
  await sendToBackground(hidden.page)

  await server.post("/items", { list, text: "seen by a refresh", broadcast: false })
  await server.broadcast(list, refreshBroadcast("another-document"))
  // A visible tab refreshes at once, as Turbo does.
  await expect.poll(() => visible.items()).toEqual(["seen by a refresh"])
  await expect.poll(() => hidden.state()).toBe("behind")
  await noRequestWindow(hidden)
  expect(hidden.pageRequests).toBe(0)
  expect(await hidden.items()).toEqual([])

  await bringBack(hidden.page)
  await expect.poll(() => hidden.items()).toEqual(["seen by a refresh"])
  await expectCurrentWithinASecond(hidden)
  await expect.poll(() => hidden.state()).toBe("connected")
  await noRequestWindow(hidden)
  expect(hidden.pageRequests).toBe(1)
})

test("a catch-up and refresh broadcasts put off together make one request when the tab is shown", async ({ server }) => {
  const list = newList()
  const hidden = await openTab(server, list, "refresh=morph")
  await sendToBackground(hidden.page)

  await server.broadcast(list, refreshBroadcast("another-document"))
  await restartWithMissedWrite(server, list, "written while down")
  await expect.poll(() => hidden.page.locator("turbo-cable-stream-source[connected]").count(), { timeout: 10_000 }).toBe(1)
  await server.broadcast(list, refreshBroadcast("yet-another-document"))
  await expect.poll(() => hidden.state()).toBe("behind")
  await noRequestWindow(hidden)
  expect(hidden.pageRequests).toBe(0)

  await bringBack(hidden.page)
  await expect.poll(() => hidden.items()).toEqual(["written while down"])
  await expect.poll(() => hidden.state()).toBe("caught-up")
  await noRequestWindow(hidden)
  expect(hidden.pageRequests).toBe(1)
})

for (const how of ["the hiddenCatchUp option", "<meta name=turbo-cable-hidden-catch-up>"]) {
  test(`"now" by ${how}: a hidden tab catches up at once, as before`, async ({ server }) => {
    const list = newList()
    const hidden = await openTab(server, list)
    await hidden.page.evaluate((byOption) => {
      if (byOption) (window as any).TurboCable.configure({ hiddenCatchUp: "now" })
      else document.head.insertAdjacentHTML("beforeend", `<meta name="turbo-cable-hidden-catch-up" content="now">`)
    }, how.includes("option"))
    await sendToBackground(hidden.page)

    await restartWithMissedWrite(server, list, "written while down")
    await expect.poll(() => hidden.items(), { timeout: 10_000 }).toEqual(["written while down"])
    await expect.poll(() => hidden.state()).toBe("caught-up")
    expect(await hidden.page.evaluate(() => document.visibilityState)).toBe("hidden")
    expect(hidden.pageRequests).toBe(1)
  })
}
