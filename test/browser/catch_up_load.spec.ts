// Catch-up under load: a server shedding load (429/503/408 + Retry-After), pages of unknown age, expiring
// credentials, a herd of pages after a restart, and big pages. Against the project's Node server.
import type { Page } from "@playwright/test"
import { expect, test } from "./fixtures"

let listCount = 0
const newList = () => `load-${Date.now()}-${listCount++}`

async function openLive(page: Page, app: string, list: string) {
  await page.goto(`${app}/test/live/${list}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  // A marker that a reload would lose.
  await page.evaluate(() => ((window as any).notReloaded = true))
}

/** Wall-clock times of the page's catch-up refetches. */
function refetchTimes(page: Page): number[] {
  const times: number[] = []
  page.on("request", (request) => {
    if (request.headers()["x-turbo-cable-catch-up"]) times.push(Date.now())
  })
  return times
}

/** The states the page published, in order. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any
    w.__states = []
    document.addEventListener("turbo-cable:state", (event) => w.__states.push((event as CustomEvent).detail.state))
    document.addEventListener("turbo-cable:catch-up-failed", (event) => (w.__failed = (event as CustomEvent).detail))
  })
}

test.describe("a refetch answered by a server shedding load", () => {
  for (const status of [429, 503]) {
    test(`answered ${status} with Retry-After: 1 twice, the page waits as asked and still catches up`, async ({ page, server }) => {
      const list = newList()
      await server.post("/items", { list, text: "before" })
      await openLive(page, server.app, list)
      await recordStates(page)
      const refetches = refetchTimes(page)
      await page.locator("#draft").fill("half-typed")

      await server.post("/stop")
      await server.post("/items", { list, text: "written while down" })
      await server.post("/shed", { list, status, count: 2, retryAfter: 1 })
      await server.post("/start")

      // While it waits, the page says so, and live messages wait with it.
      await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "catching-up", { timeout: 10_000 })
      await expect.poll(() => refetches.length).toBe(1)
      await server.post("/items", { list, text: "live while waiting" })
      await expect(page.locator("#items li")).toHaveText(["before"])

      await expect(page.locator("#items li")).toHaveText(["before", "written while down", "live while waiting"], { timeout: 10_000 })
      await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
      expect(refetches).toHaveLength(3)
      // Retry-After was honoured: a second between tries, not the backoff's 150-450 ms.
      expect(refetches[1] - refetches[0]).toBeGreaterThanOrEqual(900)
      expect(refetches[2] - refetches[1]).toBeGreaterThanOrEqual(900)
      expect(refetches[2] - refetches[0]).toBeLessThan(5_000)
      await expect(page.locator("#draft")).toHaveValue("half-typed")
      expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
      expect(await page.evaluate(() => (window as any).__failed)).toBeUndefined()
    })
  }

  test("answered 429 more times than the retry budget, the page keeps asking while connected", async ({ page, server }) => {
    const list = newList()
    await openLive(page, server.app, list)
    await page.evaluate(() => (window as any).TurboCable.configure({ catchUpAttempts: 2 }))
    const refetches = refetchTimes(page)
    await server.post("/stop")
    await server.post("/items", { list, text: "missed" })
    await server.post("/shed", { list, status: 429, count: 4, retryAfter: 0 })
    await server.post("/start")
    await expect(page.locator("#items li")).toHaveText(["missed"], { timeout: 15_000 })
    expect(refetches).toHaveLength(5)
  })

  test("answered 404, the page gives up with turbo-cable:catch-up-failed and says it is connected, not caught up", async ({ page, server }) => {
    const list = newList()
    await openLive(page, server.app, list)
    await recordStates(page)
    const refetches = refetchTimes(page)
    await server.post("/shed", { list, status: 404, count: 1 })
    await server.post("/kill")
    await expect.poll(() => page.evaluate(() => (window as any).__failed?.error), { timeout: 10_000 }).toBe("the page answered 404")
    await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
    expect(await page.evaluate(() => (window as any).__states)).toContain("catching-up")
    await page.waitForTimeout(1_000)
    expect(refetches).toHaveLength(1)
    // Live again: the next broadcast shows.
    await server.post("/items", { list, text: "after the failure" })
    await expect(page.locator("#items li")).toHaveText(["after the failure"])
  })
})
