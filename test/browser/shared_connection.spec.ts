// Many tabs, one connection, as Chromium's tabs of one profile (a Playwright context) see it: one socket at the
// server, every guarantee per tab, and what keeps a tab apart (another identity, a URL function, sharing off).
// The three engines run the core of it in test/engines/sharing.spec.ts; hidden tabs are in hidden_catch_up.spec.ts.
import type { BrowserContext, Page } from "@playwright/test"
import { freezePage, launchFreezableBrowser, resumePage } from "../support/freezable_browser"
import { killSharedWorkers } from "../support/shared_workers"
import { additions, addSource, appendItem, countAdditions, eventually, expect, test } from "./fixtures"

const live = (page: Page, count = 1) => expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(count)
const tabs = (page: Page) => page.locator("html").getAttribute("data-turbo-cable-tabs")

async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  return page
}

// The server counts connections of every test in this file: the last test's context must have gone.
test.beforeEach(async ({ server }) => {
  await server.waitForNoConnections()
})

test("tabs of one profile share one connection; each gets its own streams, the shared one once in each", async ({ page, context, server }) => {
  const alicePage = `${server.app}/test/pages/identity-alice.html`
  await page.goto(alicePage)
  const pages = [page, ...(await Promise.all([1, 2, 3, 4].map(() => openTab(context, alicePage))))]
  for (const [index, tab] of pages.entries()) {
    await addSource(tab, server, `own-${index}`)
    await addSource(tab, server, "everyone")
  }
  for (const tab of pages) await live(tab, 2)
  expect(await server.connections()).toBe(1)
  await eventually(() => server.subscriptions("everyone"), 1)
  for (const tab of pages) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "5")

  await server.broadcast("everyone", appendItem("to everyone"))
  for (const index of pages.keys()) await server.broadcast(`own-${index}`, appendItem(`to tab ${index}`))
  for (const [index, tab] of pages.entries()) {
    await expect(tab.locator("#items li")).toHaveText(["to everyone", `to tab ${index}`])
    await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
  }
  for (const tab of pages) await tab.close()
})

test("the tab that opened the connection closes, then the next: the others go on, each write once", async ({ page, context, server }) => {
  const alicePage = `${server.app}/test/pages/identity-alice.html`
  await page.goto(alicePage)
  const [second, third] = [await openTab(context, alicePage), await openTab(context, alicePage)]
  for (const tab of [page, second, third]) await addSource(tab, server, "closing")
  for (const tab of [page, second, third]) await live(tab)

  await page.close()
  await server.broadcast("closing", appendItem("after the first closed"))
  await second.close()
  await server.broadcast("closing", appendItem("after the second closed"))
  await expect(third.locator("#items li")).toHaveText(["after the first closed", "after the second closed"], { timeout: 2_000 })
  await expect(third.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
  expect(await server.connections()).toBe(1)
  await third.close()
})

test("a frozen tab does not hold the others back, and gets what it missed when it resumes", async ({ server }) => {
  // Playwright's own pages cannot be frozen (focus emulation keeps them visible): a Chromium it attached to.
  const browser = await launchFreezableBrowser()
  try {
    const alicePage = `${server.app}/test/pages/identity-alice.html`
    const [page, other] = [await browser.newWindow(), await browser.newWindow()]
    for (const tab of [page, other]) await tab.goto(alicePage)
    for (const tab of [page, other]) await addSource(tab, server, "frozen")
    for (const tab of [page, other]) await live(tab)
    await freezePage(page)
    await server.broadcast("frozen", appendItem("while the first tab was frozen"))
    await expect(other.locator("#items li")).toHaveText(["while the first tab was frozen"], { timeout: 2_000 })
    // Throws unless the page really was frozen.
    await resumePage(page)
    await expect(page.locator("#items li")).toHaveText(["while the first tab was frozen"])
    await server.broadcast("frozen", appendItem("after it resumed"))
    for (const tab of [page, other]) await expect(tab.locator("#items li")).toHaveText(["while the first tab was frozen", "after it resumed"])
  } finally {
    await browser.close()
  }
})

// Playwright's own pages cannot be frozen (focus emulation keeps them visible): this one runs in a Chromium it
// attached to (test/support/freezable_browser.ts).
test("a tab frozen until the worker lets it go joins it again over its port, once, and gets what it missed", async ({ server }) => {
  test.slow() // the worker lets a silent tab go after 30 s (EVICT_AFTER), and only real time passes in a worker
  const browser = await launchFreezableBrowser()
  try {
    // The list's live page, rendered by the server (a catch-up refetches it), with the identity tag.
    const list = `let-go-${Date.now()}`
    const [page, other] = [await browser.newWindow(), await browser.newWindow()]
    for (const tab of [page, other]) await tab.goto(`${server.app}/test/live/${list}?identity=alice`)
    for (const tab of [page, other]) await live(tab)
    const cdp = await page.context().newCDPSession(page)
    /** MessagePorts alive in the page after a garbage collection: the browser holds a SharedWorker object's port while its worker lives. */
    const ports = async () => {
      await cdp.send("HeapProfiler.collectGarbage")
      const { result } = await cdp.send("Runtime.evaluate", { expression: "MessagePort.prototype", objectGroup: "ports" })
      const { objects } = await cdp.send("Runtime.queryObjects", { prototypeObjectId: result.objectId!, objectGroup: "ports" })
      const fn = "function () { return this.length }"
      const { result: count } = await cdp.send("Runtime.callFunctionOn", { objectId: objects.objectId!, functionDeclaration: fn, returnByValue: true })
      await cdp.send("Runtime.releaseObjectGroup", { objectGroup: "ports" })
      return count.value as number
    }
    expect(await ports()).toBe(1)
    await freezePage(page)
    await server.post("/items", { list, text: "while the first tab was frozen" })
    await expect(other.locator("#items li")).toHaveText(["while the first tab was frozen"])
    await expect.poll(() => tabs(other), { timeout: 40_000 }).toBe("1")
    await resumePage(page)
    await expect.poll(() => tabs(page)).toBe("2")
    await expect(page.locator("#items li")).toHaveText(["while the first tab was frozen"])
    await server.post("/items", { list, text: "after it joined again" })
    for (const tab of [page, other]) await expect(tab.locator("#items li")).toHaveText(["while the first tab was frozen", "after it joined again"])
    expect(await ports()).toBe(1)
    expect(await server.connections()).toBe(1)
  } finally {
    await browser.close()
  }
})

test("a tab that stops its cable leaves the shared connection alone; restarted, it joins again", async ({ page, context, server }) => {
  const alicePage = `${server.app}/test/pages/identity-alice.html`
  await page.goto(alicePage)
  const other = await openTab(context, alicePage)
  for (const tab of [page, other]) await addSource(tab, server, "stopping")
  for (const tab of [page, other]) await live(tab)

  await page.evaluate(() => (window as any).TurboCable.getCable().stop())
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
  await expect(other.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
  await server.broadcast("stopping", appendItem("while one tab was stopped"))
  await expect(other.locator("#items li")).toHaveText(["while one tab was stopped"])
  await expect(other.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
  expect(await page.locator("#items li").count()).toBe(0)

  await page.evaluate(() => (window as any).TurboCable.getCable().restart())
  await live(page)
  await expect(other.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "2")
  expect(await server.connections()).toBe(1)
})

test("tabs of different identities never share, and a tab whose identity changes on a Turbo visit leaves", async ({ page, context, server }) => {
  const alice = `${server.app}/test/pages/identity-alice.html`
  await page.goto(alice)
  const other = await openTab(context, alice)
  for (const tab of [page, other]) await addSource(tab, server, "identity")
  for (const tab of [page, other]) await live(tab)
  expect(await tabs(page)).toBe("2")
  expect(await server.connections()).toBe(1)

  // A sign-in as another user in one tab: the next page says so in its head.
  await other.evaluate((url) => (window as any).Turbo.visit(url), `${server.app}/test/pages/identity-bob.html`)
  await expect(other.locator('meta[name="turbo-cable-identity"]')).toHaveAttribute("content", "digest-of-bob")
  await addSource(other, server, "identity")
  await live(other)
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
  await expect(other.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
  await eventually(() => server.connections(), 2)
  await server.broadcast("identity", appendItem("to both identities"))
  for (const tab of [page, other]) await expect(tab.locator("#items li")).toHaveText(["to both identities"])
})

test("a tab with a URL function or with sharing off keeps a socket of its own", async ({ page, context, server }) => {
  const alicePage = `${server.app}/test/pages/identity-alice.html`
  await page.goto(alicePage)
  await addSource(page, server, "apart")
  await live(page)
  const withFunction = await openTab(context, alicePage)
  await withFunction.evaluate(() => (window as any).TurboCable.configure({ url: () => "/cable?via=function" }))
  await addSource(withFunction, server, "apart")
  const sharingOff = await openTab(context, alicePage)
  await sharingOff.evaluate(() => (window as any).TurboCable.configure({ shareConnection: false }))
  await addSource(sharingOff, server, "apart")
  for (const tab of [withFunction, sharingOff]) await live(tab)
  await eventually(() => server.connections(), 3)
  expect(await tabs(page)).toBe("1")
  await server.broadcast("apart", appendItem("to every socket"))
  for (const tab of [page, withFunction, sharingOff]) await expect(tab.locator("#items li")).toHaveText(["to every socket"])
})

test("the worker is killed: the tabs start a new one within seconds and catch up what they missed, once each", async ({ page, context, server }) => {
  const list = `orphaned-${Date.now()}`
  const url = `${server.app}/test/live/${list}?identity=alice`
  await page.goto(url)
  const other = await openTab(context, url)
  for (const tab of [page, other]) await live(tab)
  // How often an item was added to the list: a write applied twice (a replay and a live copy) adds it twice.
  for (const tab of [page, other]) await countAdditions(tab)

  // Abruptly, as a crash of its process: no close() runs in it.
  expect(await killSharedWorkers(page)).toBe(1)
  await eventually(() => server.connections(), 0)
  const endedAt = Date.now()
  await server.post("/items", { list, text: "after the worker ended" })
  for (const tab of [page, other]) await expect(tab.locator("#items li")).toHaveText(["after the worker ended"], { timeout: 10_000 })
  console.log(`worker killed: its write shown in both tabs ${Date.now() - endedAt} ms later`)
  await expect(other.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "2")
  expect(await server.connections()).toBe(1)
  await server.post("/items", { list, text: "live again" })
  for (const tab of [page, other]) {
    await expect(tab.locator("#items li")).toHaveText(["after the worker ended", "live again"])
    expect(await additions(tab)).toEqual({ "after the worker ended": 1, "live again": 1 })
  }
})

test("the worker is killed and a new one cannot be started: the tab goes on on a socket of its own and catches up", async ({ page, server }) => {
  const list = `worker-gone-${Date.now()}`
  // The page's script is its own worker; the first worker starts, any later one is answered 404 (worker_faults.ts).
  await page.goto(`${server.app}/test/faults/gone-after-first/page?list=${list}`)
  await live(page)
  expect(await killSharedWorkers(page)).toBe(1)
  await eventually(() => server.connections(), 0)
  await server.post("/items", { list, text: "after the worker was killed" })
  await expect(page.locator("#items li")).toHaveText(["after the worker was killed"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /^(connected|caught-up)$/)
  expect(await server.connections()).toBe(1)
  const warnings = await page.evaluate(() => (window as any).__warnings)
  expect(warnings).toHaveLength(1)
  expect(warnings[0]).toMatch(/failed to load/)
})
