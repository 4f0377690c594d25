// Catch-up against a REAL Rails server shedding load: the catch-up refetch of the list's page is answered
// 429 / 503 with Retry-After (or 404) by the Rails app itself (test/conformance/rails_app, POST
// /lists/:name/shed), as a rate limiter in front of a deploy would. Servers as in rails.spec.ts.
import { expect, test, type Page } from "@playwright/test"
import { requestsReported } from "../support/fences"
import { railsForSpecFile } from "../support/rails_server"

const A = 0
const B = 1

test.describe.configure({ timeout: 90_000 })

const rails = railsForSpecFile(test, 2)

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status != testInfo.expectedStatus) for (const server of [A, B]) console.log(rails.logTail(server))
})

let listCount = 0
const newList = () => `shed-${Date.now()}-${listCount++}`

/** Logs in on process `server` (a signed session cookie) and lands on the list's page, connected. */
async function openLive(page: Page, server: number, list: string): Promise<void> {
  await page.goto(`${rails.url(server)}/login?name=alice&return_to=${encodeURIComponent(`/lists/${list}`)}`)
  await expect(page).toHaveURL(`${rails.url(server)}/lists/${list}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await page.evaluate(() => {
    const w = window as any
    w.notReloaded = true
    document.addEventListener("turbo-cable:catch-up-failed", (event) => (w.__failed = (event as CustomEvent).detail))
  })
}

/** The next `count` catch-up refetches of the list's page answer `status` (through process `via`). */
async function shed(list: string, status: number, count: number, retryAfter?: number, via = B): Promise<void> {
  const body = new URLSearchParams({ status: String(status), count: String(count) })
  if (retryAfter !== undefined) body.set("retry_after", String(retryAfter))
  const response = await fetch(`${rails.url(via)}/lists/${encodeURIComponent(list)}/shed`, { method: "POST", body })
  expect(response.status).toBe(204)
}

/** Wall-clock times and statuses of the page's catch-up refetches. */
function refetches(page: Page): Array<{ at: number; status?: number }> {
  const seen: Array<{ at: number; status?: number }> = []
  page.on("request", (request) => {
    if (!request.headers()["x-turbo-cable-catch-up"]) return
    const entry: { at: number; status?: number } = { at: Date.now() }
    seen.push(entry)
    request.response().then((response) => (entry.status = response?.status()))
  })
  return seen
}

for (const status of [429, 503]) {
  test(`a refetch answered ${status} with Retry-After: 1 twice still catches up about a second after each`, async ({ page }) => {
    const list = newList()
    await rails.write(list, "before", { via: A })
    await openLive(page, A, list)
    await page.locator("#draft").fill("half-typed")
    const seen = refetches(page)

    await rails.kill(A)
    await rails.write(list, "written while down", { via: B })
    await shed(list, status, 2, 1)
    await rails.start(A)

    await expect(page.locator("#items li")).toHaveText(["before", "written while down"], { timeout: 15_000 })
    await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
    expect(seen.map((r) => r.status)).toEqual([status, status, 200])
    expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(900)
    expect(seen[2].at - seen[1].at).toBeGreaterThanOrEqual(900)
    expect(seen[2].at - seen[0].at).toBeLessThan(5_000)
    await expect(page.locator("#draft")).toHaveValue("half-typed")
    expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
    expect(await page.evaluate(() => (window as any).__failed)).toBeUndefined()

    await rails.write(list, "live again", { via: B })
    await expect(page.locator("#items li")).toHaveText(["before", "written while down", "live again"])
  })
}

test("a refetch answered 404 gives up with turbo-cable:catch-up-failed, and live messages flow again", async ({ page }) => {
  const list = newList()
  await page.clock.install()
  await openLive(page, A, list)
  const seen = refetches(page)
  await rails.kill(A)
  await rails.write(list, "written while down", { via: B })
  await shed(list, 404, 1)
  await rails.start(A)

  await expect.poll(() => page.evaluate(() => (window as any).__failed?.error), { timeout: 15_000 }).toBe("the page answered 404")
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
  // Past the backoff's first steps and the catch-up's spread, at once: a refetch again starts within the run.
  await page.clock.runFor(2_000)
  await requestsReported(page, "/up")
  expect(seen.map((r) => r.status)).toEqual([404])
  // Stale, as the failure event said, but live.
  await expect(page.locator("#items li")).toHaveCount(0)
  await rails.write(list, "live again", { via: B })
  await expect(page.locator("#items li")).toHaveText(["live again"])
})
