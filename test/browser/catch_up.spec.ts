// After a restart, a dead line, a frozen page or a slow first connect, the page shows what it missed,
// without a reload, keeping what the user typed.
import { setTimeout as sleep } from "node:timers/promises"
import type { Page } from "@playwright/test"
import { requestsReported } from "../support/fences"
import { freezePage, launchFreezableBrowser, resumePage, type FreezableBrowser } from "../support/freezable_browser"
import { appendSource } from "../support/sources"
import { additions, countAdditions, expect, loadWithSlowScript, PLAIN_SERVER, test } from "./fixtures"

// The refetch-and-morph catch-up, as on Rails: a plain Action Cable server (the history catch-up of AnyCable's
// extended protocol is in extended_protocol.spec.ts).
test.use({ serverEnv: PLAIN_SERVER })


let listCount = 0
const newList = () => `list-${Date.now()}-${listCount++}`

async function openLive(page: Page, app: string, list: string) {
  await page.goto(`${app}/test/live/${list}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  // A marker that a reload would lose.
  await page.evaluate(() => ((window as any).notReloaded = true))
}

/** Holds the catch-up's refetch of the list's page until `release()`; `refetching` resolves when it leaves. */
async function holdRefetch(page: Page, list: string): Promise<{ refetching: Promise<void>; release: () => void }> {
  let release!: () => void
  const held = new Promise<void>((done) => (release = done))
  let sawRefetch!: () => void
  const refetching = new Promise<void>((done) => (sawRefetch = done))
  await page.route(`**/test/live/${list}`, async (route) => {
    if (!route.request().headers()["x-turbo-cable-catch-up"]) return route.continue()
    sawRefetch()
    await held
    await route.continue()
  })
  return { refetching, release }
}

function countRefetches(page: Page): { count: number } {
  const counter = { count: 0 }
  page.on("request", (request) => {
    if (request.headers()["x-turbo-cable-catch-up"]) counter.count++
  })
  return counter
}

test("a restarted server is rejoined and the page shows writes made while it was down, keeping typed input", async ({ page, server }) => {
  const list = newList()
  await server.post("/items", { list, text: "before" })
  await openLive(page, server.app, list)
  await expect(page.locator("#items li")).toHaveText(["before"])
  await page.locator("#draft").fill("half-typed")
  await page.locator("#notes").fill("my notes")
  await page.locator("#draft").focus()
  await page.evaluate(() => (document.getElementById("draft") as HTMLInputElement).setSelectionRange(2, 5))

  await server.post("/stop")
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /disconnected|reconnecting/)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  await server.post("/items", { list, text: "written while down" })
  await server.post("/start")

  await expect(page.locator("#items li")).toHaveText(["before", "written while down"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  await expect(page.locator("#count")).toHaveText("2 items")
  await expect(page.locator("#draft")).toHaveValue("half-typed")
  await expect(page.locator("#notes")).toHaveValue("my notes")
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("draft")
  expect(await page.evaluate(() => [(document.activeElement as HTMLInputElement).selectionStart, (document.activeElement as HTMLInputElement).selectionEnd])).toEqual([2, 5])

  await server.post("/items", { list, text: "live again" })
  await expect(page.locator("#items li")).toHaveText(["before", "written while down", "live again"])
})

test("a <details> and a <dialog> the user opened stay open through the catch-up, while the rest is brought up to date", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  await page.locator("#more summary").click()
  await page.evaluate(() => (document.getElementById("dialog") as HTMLDialogElement).show())
  await server.post("/kill")
  await server.post("/items", { list, text: "written while away" })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up", { timeout: 10_000 })
  await expect(page.locator("#items li")).toHaveText(["written while away"])
  await expect(page.locator("#more")).toHaveAttribute("open", "")
  await expect(page.locator("#dialog")).toHaveAttribute("open", "")
})

test("the stream source survives the morph: no unsubscribe, one subscribe per connection", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  const source = await page.locator("turbo-cable-stream-source").elementHandle()
  await server.clearCommands()
  await server.post("/kill")
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up", { timeout: 10_000 })
  expect(await page.evaluate((element) => element!.isConnected, source)).toBe(true)
  const commands = await server.commands()
  expect(commands.map((c) => c.command)).toEqual(["subscribe"])
  await expect.poll(() => server.subscriptions(list)).toBe(1)
})

test("a frozen server (no pings, no FIN) is noticed within two ping intervals and recovered from", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  const frozenAt = Date.now()
  server.freeze()
  try {
    await expect(page.locator("html")).not.toHaveAttribute("data-turbo-cable-state", /^(connected|caught-up)$/, { timeout: 9_000 })
    const noticedAfter = Date.now() - frozenAt
    expect(noticedAfter).toBeLessThan(8_000)
  } finally {
    server.thaw()
  }
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /^(connected|caught-up)$/, { timeout: 15_000 })
  await server.post("/items", { list, text: "after the freeze" })
  await expect(page.locator("#items li")).toHaveText(["after the freeze"])
})

// Playwright's own pages cannot be frozen (focus emulation keeps them visible): these run in a Chromium it
// attached to, see test/support/freezable_browser.ts.
test.describe("a page frozen through the Page Lifecycle", () => {
  let browser: FreezableBrowser
  test.beforeAll(async () => {
    browser = await launchFreezableBrowser()
  })
  test.afterAll(async () => browser?.close())

  for (const frozenFor of [1_000, 8_000]) {
    test(`shows the writes made while it was frozen for ${frozenFor / 1000} s soon after it resumes`, async ({ server }) => {
      const list = newList()
      const page = await browser.newPage()
      try {
        await openLive(page, server.app, list)
        await freezePage(page)
        await server.post("/items", { list, text: "while frozen 1" })
        await server.post("/items", { list, text: "while frozen 2" })
        await sleep(frozenFor)
        const resumedAt = await resumePage(page)
        await expect(page.locator("#items li")).toHaveText(["while frozen 1", "while frozen 2"], { timeout: 5_000 })
        expect(Date.now() - resumedAt).toBeLessThan(3_000)
      } finally {
        await page.close()
      }
    })
  }

  test("catches up after it resumes when the server dropped its socket meanwhile", async ({ server }) => {
    const list = newList()
    const page = await browser.newPage()
    try {
      await openLive(page, server.app, list)
      await freezePage(page)
      await server.post("/kill")
      await server.post("/items", { list, text: "missed while frozen" })
      const resumedAt = await resumePage(page)
      await expect(page.locator("#items li")).toHaveText(["missed while frozen"], { timeout: 5_000 })
      expect(Date.now() - resumedAt).toBeLessThan(3_000)
      await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
    } finally {
      await page.close()
    }
  })
})

test("messages that arrive during the refetch are applied after the morph, once each, in order", async ({ page, server }) => {
  const list = newList()
  await server.post("/items", { list, text: "one" })
  await openLive(page, server.app, list)
  const { refetching, release } = await holdRefetch(page, list)
  await countAdditions(page)
  await server.post("/kill")
  await refetching
  // Written after the refetch left but before the server renders it: in the page AND on the socket.
  await server.post("/items", { list, text: "two" })
  release()
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  await server.post("/items", { list, text: "three" })
  await expect(page.locator("#items li")).toHaveText(["one", "two", "three"])
  // A later write on the same socket: once it shows, any copy of an earlier one would have shown before it.
  await server.post("/items", { list, text: "four" })
  await expect(page.locator("#items li")).toHaveText(["one", "two", "three", "four"])
  // Items carry ids, and Turbo drops an id's older copy: a live message applied twice shows only in the count.
  // ("two" comes with the morph and again on the socket, the second copy taking the place of the first.)
  expect(await additions(page)).toMatchObject({ three: 1, four: 1 })
})

test("a held message for an item the refetched page already shows leaves the list in the server's order", async ({ page, server }) => {
  const list = newList()
  await server.post("/items", { list, text: "one" })
  await openLive(page, server.app, list)
  const { refetching, release } = await holdRefetch(page, list)
  await server.post("/kill")
  await refetching
  // "two" is in the page and on the socket (held until the morph); "three" is in the page, its message still on
  // its way when the morph is done (as a write committed just before the render and broadcast just after it).
  await server.post("/items", { list, text: "two" })
  await server.post("/items", { list, text: "three", broadcast: false })
  release()
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  // A message on the same socket after the held one: once it shows, the held "two" has been applied.
  const marker = `<turbo-stream action="append" target="items"><template><li id="marker">marker</li></template></turbo-stream>`
  await server.post("/broadcast", { stream: list, message: marker })
  await expect(page.locator("#marker")).toHaveCount(1)
  // Applied as Turbo would, "two" would have moved behind "three".
  await expect(page.locator("#items li")).toHaveText(["one", "two", "three", "marker"])
})

test("a form's stream response during the refetch is applied after the morph, not undone by it", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  const { refetching, release } = await holdRefetch(page, list)
  await server.post("/kill")
  await refetching
  // The response exists only in this page, as a validation error does: the refetched page lacks it.
  const answered = page.waitForResponse("**/test/notes")
  // Turbo hands the response's stream over for rendering (turbo-cable holds it until the morph is done).
  const handedOver = page.evaluate(() => new Promise<void>((done) => addEventListener("turbo:before-stream-render", () => done(), { once: true })))
  await page.locator("#note").fill("seen by this page only")
  await page.locator("#note").press("Enter")
  await answered
  await handedOver
  release()
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up", { timeout: 10_000 })
  await expect(page.locator("#local-notes li")).toHaveText(["seen by this page only"])
  // A write through the socket after the catch-up: once it shows, the morph is long done.
  await server.post("/items", { list, text: "after the catch-up" })
  await expect(page.locator("#items li")).toHaveText(["after the catch-up"])
  await expect(page.locator("#local-notes li")).toHaveText(["seen by this page only"])
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
})

test("a failed refetch is retried with backoff", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  let failures = 0
  await page.route(`**/test/live/${list}`, async (route) => {
    if (route.request().headers()["x-turbo-cable-catch-up"] && failures < 2) {
      failures++
      return route.fulfill({ status: 503, body: "booting" })
    }
    await route.continue()
  })
  await server.post("/stop")
  await server.post("/items", { list, text: "missed" })
  await server.post("/start")
  await expect(page.locator("#items li")).toHaveText(["missed"], { timeout: 10_000 })
  expect(failures).toBe(2)
})

test("one refetch serves every stream on the page", async ({ page, server }) => {
  const list = newList()
  await page.clock.install()
  await openLive(page, server.app, list)
  const refetches = countRefetches(page)
  for (const extra of ["a", "b", "c"]) {
    await appendSource(page, await server.sign(`${list}-${extra}`))
  }
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(4)
  await server.post("/kill")
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up", { timeout: 10_000 })
  // Past the catch-up's spread (up to 500 ms) at once: a second refetch starts within the run.
  await page.clock.runFor(1_000)
  await requestsReported(page, "/test/pages/blank.html")
  expect(refetches.count).toBe(1)
})

test("a normal fast page load costs no second request", async ({ page, server }) => {
  const list = newList()
  const refetches = countRefetches(page)
  await openLive(page, server.app, list)
  // A page decides on its first confirmation whether it catches up, and one that does says catching-up from then on.
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
  await requestsReported(page, "/test/pages/blank.html")
  expect(refetches.count).toBe(0)
})

test("a page whose first connect was slow catches up on its first confirmation", async ({ page, server }) => {
  const list = newList()
  // The item is written after the server's render reached the page, before its script subscribed.
  await loadWithSlowScript(page, `${server.app}/test/live/${list}`, 2_500, () => server.post("/items", { list, text: "between render and subscribe" }))
  await expect(page.locator("#items li")).toHaveText(["between render and subscribe"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
})

test("pages opt out with <meta name=turbo-cable-catch-up content=none>, and the app can cancel one", async ({ page, server }) => {
  const list = newList()
  await page.clock.install()
  await openLive(page, server.app, list)
  const refetches = countRefetches(page)
  await page.evaluate(() => document.head.insertAdjacentHTML("beforeend", `<meta name="turbo-cable-catch-up" content="none">`))
  await server.post("/kill")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1, { timeout: 10_000 })
  // Past the catch-up's spread (up to 500 ms) at once: a refetch starts within the run.
  await page.clock.runFor(1_000)
  await requestsReported(page, "/test/pages/blank.html")
  expect(refetches.count).toBe(0)

  await page.evaluate(() => {
    document.querySelector('meta[name="turbo-cable-catch-up"]')!.remove()
    document.addEventListener("turbo-cable:before-catch-up", (event) => {
      ;(window as any).canceled = (event as CustomEvent).detail.reason
      event.preventDefault()
    })
  })
  await server.post("/kill")
  await expect.poll(() => page.evaluate(() => (window as any).canceled)).toBe("reconnect")
  await page.clock.runFor(1_000)
  await requestsReported(page, "/test/pages/blank.html")
  expect(refetches.count).toBe(0)
})

test("the refresh strategy uses Turbo's page refresh", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  await page.evaluate(() => (window as any).TurboCable.configure({ catchUp: "refresh" }))
  await server.post("/stop")
  await server.post("/items", { list, text: "via refresh" })
  await server.post("/start")
  await expect(page.locator("#items li")).toHaveText(["via refresh"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
})

test("sources added by script, absent from the refetched page, stay subscribed through a catch-up", async ({ page, server }) => {
  const list = newList()
  await openLive(page, server.app, list)
  await appendSource(page, await server.sign(`${list}-extra`), { id: "extra" })
  await expect(page.locator("#extra")).toHaveAttribute("connected", "")
  await server.post("/kill")
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up", { timeout: 10_000 })
  await expect(page.locator("#extra")).toHaveAttribute("connected", "")
  await expect.poll(() => server.subscriptions(`${list}-extra`)).toBe(1)
})
