// Conformance against a REAL Rails server: Debian's Rails 6.1 Action Cable under puma, two processes
// behind one Redis (test/conformance/rails_app, started by test/support/rails_server.ts). The pages are
// rendered by Rails with turbo-rails' markup, stream names are signed and verified as turbo-rails does,
// and the connection is authenticated by a signed cookie. What is asserted is what the user sees: the
// list, the connection state on <html>, the `connected` / `rejected` attributes, input kept, no reload.
import { setTimeout as sleep } from "node:timers/promises"
import { expect, test, type Page } from "@playwright/test"
import { railsForSpecFile } from "../support/rails_server"
import { appendSource } from "../support/sources"
import { freezePage, launchFreezableBrowser, resumePage, type FreezableBrowser } from "../support/freezable_browser"
import { subscribeTo } from "../support/channels"
import { tapWire, type TappedSocket } from "../support/wire_tap"

const A = 0
const B = 1

test.describe.configure({ timeout: 90_000 })

const rails = railsForSpecFile(test, 2)

// A failure reports what the pages saw and what the servers logged.
test.afterEach(async ({}, testInfo) => {
  const pages = watched.splice(0)
  if (testInfo.status == testInfo.expectedStatus) return
  const time = (at: number) => new Date(at).toISOString().slice(11, 23)
  for (const [index, page] of pages.entries()) {
    const wire = wires.get(page)!
    const seen = page.isClosed() ? [] : await Promise.race([states(page).catch(() => []), sleep(2_000).then(() => [])])
    const frames = [...wire.sent.map((f) => ({ ...f, way: ">" })), ...wire.received.map((f) => ({ ...f, way: "<" }))]
      .filter((f) => f.data.type != "ping")
      .sort((a, b) => a.at - b.at)
      .slice(-40)
    console.log(
      `page ${index} (${page.isClosed() ? "closed" : page.url()}): ${wire.sockets.length} sockets; states ` +
        (seen ?? []).map((s) => `${time(s.at)} ${s.state}${s.reason ? ` (${s.reason})` : ""}`).join(", ") +
        `\nlast frames (pings left out):\n` +
        frames.map((f) => `  ${time(f.at)} #${f.socket} ${f.way} ${JSON.stringify(f.data).slice(0, 200)}`).join("\n"),
    )
  }
  for (const server of [A, B]) console.log(rails.logTail(server))
})

let listCount = 0
const newList = () => `list-${Date.now()}-${listCount++}`

/** What the page saw, with wall-clock times (the browser and this runner share the machine's clock). */
async function watchPage(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as any
    w.__states = [] as Array<{ state: string; reason?: string; at: number }>
    w.__seen = {} as Record<string, number>
    w.__added = {} as Record<string, number>
    document.addEventListener("turbo-cable:state", (event) => {
      const { state, reason } = (event as CustomEvent).detail
      w.__states.push({ state, reason, at: Date.now() })
    })
    new MutationObserver((mutations) => {
      const now = Date.now()
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          if (!(node instanceof Element)) continue
          for (const li of node.matches("li") ? [node] : node.querySelectorAll("li")) {
            if (!li.id) continue
            w.__seen[li.id] ??= now
            w.__added[li.id] = (w.__added[li.id] ?? 0) + 1
          }
        }
      }
    }).observe(document, { childList: true, subtree: true })
  })
}

const states = (page: Page): Promise<Array<{ state: string; reason?: string; at: number }>> => page.evaluate(() => (window as any).__states)
const seenAt = (page: Page, id: string): Promise<number | undefined> => page.evaluate((id) => (window as any).__seen[id], id)
/**
 * How often each item (by id) was added to the page: a message applied twice adds its item twice, though Turbo
 * then removes the older copy of the id.
 */
const timesAdded = (page: Page): Promise<Record<string, number>> => page.evaluate(() => (window as any).__added)

/** Logs in on process `server` (a signed session cookie) and lands on the list's page (`query` added), connected. */
async function openLive(page: Page, server: number, list: string, query = ""): Promise<void> {
  recordWire(page)
  await watchPage(page)
  await page.goto(`${rails.url(server)}/login?name=alice&return_to=${encodeURIComponent(`/lists/${list}${query}`)}`)
  await expect(page).toHaveURL(`${rails.url(server)}/lists/${list}${query}`)
  await expect(page.locator("#server")).toHaveText(String.fromCharCode(65 + server))
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  // A marker that a reload would lose.
  await page.evaluate(() => ((window as any).notReloaded = true))
}

/** Each item once, nothing else in the list. */
async function expectNoDuplicates(page: Page): Promise<void> {
  const ids = await page.locator("#items li").evaluateAll((items) => items.map((li) => li.id))
  expect(ids.every((id) => /^item_\d+$/.test(id))).toBe(true)
  expect(new Set(ids).size).toBe(ids.length)
}

interface Frame {
  socket: number
  at: number
  data: Record<string, any>
}

interface Wire {
  sockets: TappedSocket[]
  received: Frame[]
  sent: Frame[]
}

const wires = new WeakMap<Page, Wire>()
/** Pages of the running test, reported on failure. */
const watched: Page[] = []

/**
 * Every frame received and sent on every socket the page opens, parsed, in order (one recorder per page): the
 * page's own and the shared worker's its tabs share (tapWire), which holds the socket when sharing is on.
 */
function recordWire(page: Page): Wire {
  const known = wires.get(page)
  if (known) return known
  const wire: Wire = { sockets: [], received: [], sent: [] }
  wires.set(page, wire)
  watched.push(page)
  const parse = (payload: string) => {
    try {
      return JSON.parse(payload)
    } catch {
      return { raw: payload }
    }
  }
  tapWire(page, {
    opened: (socket) => wire.sockets.push(socket),
    received: (payload, socket) => wire.received.push({ socket, at: Date.now(), data: parse(payload) }),
    sent: (payload, socket) => wire.sent.push({ socket, at: Date.now(), data: parse(payload) }),
  })
  return wire
}

const itemIdsIn = (message: string): string[] => [...message.matchAll(/<li id="(item_\d+)"/g)].map((match) => match[1])

test("two processes behind one Redis: a write on either reaches the pages on both", async ({ page, context }) => {
  const list = newList()
  await openLive(page, A, list)
  const other = await context.newPage()
  await openLive(other, B, list)

  const [viaB] = await rails.write(list, "written through B", { via: B })
  await expect(page.locator("#items li")).toHaveText(["written through B"])
  await expect(page.locator(`#item_${viaB}`)).toHaveCount(1)
  const [viaA] = await rails.write(list, "written through A", { via: A })
  for (const each of [page, other]) {
    await expect(each.locator("#items li")).toHaveText(["written through B", "written through A"])
    await expect(each.locator(`#item_${viaA}`)).toHaveCount(1)
    await expectNoDuplicates(each)
  }
})

test("a killed and restarted server is rejoined and the page shows writes made while it was down, keeping typed input", async ({ page }) => {
  const list = newList()
  await rails.write(list, "before", { via: A })
  await openLive(page, A, list)
  await expect(page.locator("#items li")).toHaveText(["before"])
  await page.locator("#draft").fill("half-typed")
  await page.locator("#notes").fill("my notes")
  await page.locator("#draft").focus()
  await page.evaluate(() => (document.getElementById("draft") as HTMLInputElement).setSelectionRange(2, 5))

  await rails.kill(A)
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /disconnected|reconnecting/)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  // A is down: the write goes through B, into the shared store; nobody is subscribed on B.
  const [missedId] = await rails.write(list, "written while down", { via: B })
  const startedAt = Date.now()
  const boot = await rails.start(A)
  const listeningAt = Date.now()

  await expect(page.locator("#items li")).toHaveText(["before", "written while down"], { timeout: 10_000 })
  const shownAt = (await seenAt(page, `item_${missedId}`))!
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  const rejoinedAt = (await states(page)).find((s) => s.at >= listeningAt && /^(connected|caught-up)$/.test(s.state))?.at
  console.log(
    `rails restart: A booted in ${boot} ms; after it listened, rejoined in ${rejoinedAt! - listeningAt} ms, ` +
      `missed write shown in ${shownAt - listeningAt} ms (${shownAt - startedAt} ms after the restart began)`,
  )
  expect(shownAt - listeningAt).toBeLessThan(10_000)

  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await expect(page.locator("#count")).toHaveText("2 items")
  await expect(page.locator("#draft")).toHaveValue("half-typed")
  await expect(page.locator("#notes")).toHaveValue("my notes")
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("draft")
  expect(await page.evaluate(() => [(document.activeElement as HTMLInputElement).selectionStart, (document.activeElement as HTMLInputElement).selectionEnd])).toEqual([2, 5])

  await rails.write(list, "live again", { via: B })
  await expect(page.locator("#items li")).toHaveText(["before", "written while down", "live again"])
  await expectNoDuplicates(page)
})

test("a frozen server process (SIGSTOP: no pings, no FIN) is noticed within two ping intervals and recovered from", async ({ page }) => {
  const list = newList()
  await openLive(page, A, list)
  // Let a ping go by first: the line is known alive.
  const pings = () => recordWire(page).received.filter((frame) => frame.data.type == "ping").length
  const pingsBefore = pings()
  await expect.poll(pings, { timeout: 10_000 }).toBeGreaterThan(pingsBefore)
  const frozenAt = Date.now()
  rails.freeze(A)
  let noticedAfter = Number.POSITIVE_INFINITY
  try {
    await expect(page.locator("html")).not.toHaveAttribute("data-turbo-cable-state", /^(connected|caught-up)$/, { timeout: 12_000 })
    const left = (await states(page)).find((s) => s.at >= frozenAt && !/^(connected|caught-up)$/.test(s.state))!
    noticedAfter = left.at - frozenAt
    console.log(`rails freeze: noticed after ${noticedAfter} ms (state ${left.state}, reason ${left.reason})`)
    // Meanwhile a write through B: A's Redis subscription queues it, the page must get it all the same.
    await rails.write(list, "written during the freeze", { via: B })
  } finally {
    rails.thaw(A)
  }
  const thawedAt = Date.now()
  expect(noticedAfter).toBeLessThan(8_000)
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /^(connected|caught-up)$/, { timeout: 15_000 })
  await expect(page.locator("#items li")).toHaveText(["written during the freeze"], { timeout: 10_000 })
  console.log(`rails freeze: write made during the freeze shown ${(await seenAt(page, (await page.locator("#items li").first().getAttribute("id"))!))! - thawedAt} ms after SIGCONT`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await rails.write(list, "after the freeze", { via: B })
  await expect(page.locator("#items li")).toHaveText(["written during the freeze", "after the freeze"])
  // Stale sockets from before the freeze may open once A runs again: still one application per message.
  // No late copy is the point, and it could come on any socket: frames of two sockets keep no order between
  // them, so no later write fences it, and Rails' time is real. A window, as nothing can be awaited.
  await page.waitForTimeout(1_000)
  await expect(page.locator("#items li")).toHaveText(["written during the freeze", "after the freeze"])
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
  await expectNoDuplicates(page)
})

// Playwright's own pages cannot be frozen (see test/support/freezable_browser.ts): these run in a Chromium it attached to.
test.describe("a page frozen through the Page Lifecycle", () => {
  let browser: FreezableBrowser
  test.beforeAll(async () => {
    browser = await launchFreezableBrowser()
  })
  test.afterAll(async () => {
    await browser?.close()
  })

  for (const frozenFor of [1_000, 8_000]) {
    test(`shows the writes made while it was frozen (${frozenFor / 1000} s, ${frozenFor > 6_000 ? "longer" : "shorter"} than the stale threshold) soon after it resumes`, async () => {
      const page = await browser.newPage()
      try {
        const list = newList()
        await openLive(page, A, list)
        await freezePage(page)
        await rails.write(list, "while frozen 1", { via: B })
        await rails.write(list, "while frozen 2", { via: A })
        await sleep(frozenFor)
        const resumedAt = await resumePage(page)
        await expect(page.locator("#items li")).toHaveText(["while frozen 1", "while frozen 2"], { timeout: 5_000 })
        const shownAt = (await seenAt(page, (await page.locator("#items li").last().getAttribute("id"))!))!
        console.log(`rails page frozen ${frozenFor} ms: writes shown ${shownAt - resumedAt} ms after resume`)
        expect(shownAt).toBeGreaterThanOrEqual(resumedAt)
        expect(shownAt - resumedAt).toBeLessThan(3_000)
        await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /^(connected|caught-up)$/)
        await rails.write(list, "after resume", { via: B })
        await expect(page.locator("#items li")).toHaveText(["while frozen 1", "while frozen 2", "after resume"])
        expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
        // No late copy is the point, and it could come on any socket (the frozen one, a new one): frames of two
        // sockets keep no order between them, so no later write fences it. A window, as nothing can be awaited.
        await page.waitForTimeout(500)
        await expect(page.locator("#items li")).toHaveText(["while frozen 1", "while frozen 2", "after resume"])
        await expectNoDuplicates(page)
      } finally {
        await page.close()
      }
    })
  }

  test("catches up after it resumes when its server restarted while it was frozen", async () => {
    const page = await browser.newPage()
    try {
      const list = newList()
      await openLive(page, A, list)
      await freezePage(page)
      await rails.kill(A)
      await rails.write(list, "missed while frozen", { via: B })
      await rails.start(A)
      const resumedAt = await resumePage(page)
      await expect(page.locator("#items li")).toHaveText(["missed while frozen"], { timeout: 10_000 })
      const shownAt = (await seenAt(page, (await page.locator("#items li").first().getAttribute("id"))!))!
      console.log(`rails page frozen across a restart: missed write shown ${shownAt - resumedAt} ms after resume`)
      expect(shownAt - resumedAt).toBeLessThan(5_000)
      await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
      expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
      await expectNoDuplicates(page)
    } finally {
      await page.close()
    }
  })
})

test("an unauthorized connection makes one attempt and stops", async ({ page }) => {
  const list = newList()
  await rails.write(list, "rendered", { via: A })
  const wire = recordWire(page)
  await watchPage(page)
  await page.clock.install()
  // No login: the page renders, but the cable has no session cookie to accept.
  await page.goto(`${rails.url(A)}/lists/${list}`)
  await expect(page.locator("#items li")).toHaveText(["rendered"])
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
  expect(wire.received.map((frame) => frame.data)).toContainEqual({ type: "disconnect", reason: "unauthorized", reconnect: false })
  // Well past the first retry steps and the subscribe retries, at once: an attempt then would say connecting.
  await page.clock.runFor(4_000)
  expect((await states(page)).map((s) => s.state)).toEqual(["connecting", "stopped"])
  expect(wire.sockets).toHaveLength(1)
  expect(wire.sent.filter((frame) => frame.data.command == "subscribe")).toHaveLength(0)
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
})

test("a forged stream name is rejected by Turbo::StreamsChannel, not retried, and the others keep working", async ({ page }) => {
  const list = newList()
  const secretList = `${list}-secret`
  const wire = recordWire(page)
  // A page without the identity tag keeps a socket of its own: its subscribes and their retries run on its clock.
  await page.clock.install()
  await openLive(page, A, list, "?identity=off")
  // A name the server never signed: the signature of this page's stream on another stream's name.
  const forged = await page.locator("turbo-cable-stream-source").getAttribute("signed-stream-name")
  const [, digest] = forged!.split("--")
  const forgedName = `${Buffer.from(JSON.stringify(secretList)).toString("base64")}--${digest}`
  await appendSource(page, forgedName, { id: "forged" })
  await expect(page.locator("#forged")).toHaveAttribute("rejected", "")
  await expect(page.locator("#forged")).not.toHaveAttribute("connected", /.*/)
  const identifier = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: forgedName })
  expect(wire.received.map((frame) => frame.data)).toContainEqual({ identifier, type: "reject_subscription" })
  // Past the confirm timeout (2 s), at once: a retry goes out within the run. An app channel's subscribe after it
  // takes the same way: once that is on the wire, a retry would be too.
  await page.clock.runFor(2_000)
  await subscribeTo(page, "after-the-forged-one")
  await expect.poll(() => wire.sent.some((frame) => frame.data.command == "subscribe" && frame.data.identifier.includes("after-the-forged-one"))).toBe(true)
  expect(wire.sent.filter((frame) => frame.data.command == "subscribe" && frame.data.identifier == identifier)).toHaveLength(1)
  await expect(page.locator("#forged")).toHaveAttribute("rejected", "")

  await rails.write(secretList, "secret", { via: B })
  await rails.write(list, "public", { via: B })
  await expect(page.locator("#items li")).toHaveText(["public"])
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(wire.sockets).toHaveLength(1)
  await expectNoDuplicates(page)
})

test("2,000 broadcasts through Rails are all applied, once each, in the order they arrived", async ({ page }) => {
  test.setTimeout(120_000)
  const list = newList()
  const wire = recordWire(page)
  await openLive(page, A, list)
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
  const startedAt = Date.now()
  const ids = await rails.write(list, "message {{i}}", { via: B, count: 2_000 })
  const writtenAt = Date.now()
  expect(ids).toHaveLength(2_000)
  await expect(page.locator("#items li")).toHaveCount(2_000, { timeout: 60_000 })
  const appliedAt = Date.now()

  const sent = ids.map((id) => `item_${id}`)
  const onWire = wire.received.filter((frame) => typeof frame.data.message == "string").flatMap((frame) => itemIdsIn(frame.data.message))
  const inPage = await page.locator("#items li").evaluateAll((items) => items.map((li) => li.id))
  const texts = await page.locator("#items li").evaluateAll((items) => items.map((li) => li.textContent))
  // How far Rails' worker pool moved messages around on the way to the socket.
  const sentIndex = new Map(sent.map((id, index) => [id, index]))
  const wireIndexes = onWire.map((id) => sentIndex.get(id)!)
  const inversions = wireIndexes.filter((index, i) => i > 0 && index < wireIndexes[i - 1]).length
  const maxDisplacement = Math.max(...wireIndexes.map((index, i) => Math.abs(index - i)))
  console.log(
    `rails 2,000: written in ${writtenAt - startedAt} ms, all applied ${appliedAt - startedAt} ms after the write began; ` +
      `on the wire ${inversions} arrived after a later-sent one (max displacement ${maxDisplacement}); first arrivals: ${wireIndexes.slice(0, 12).map((i) => i + 1).join(",")}`,
  )
  // Everything arrived once on the wire, and the page applied exactly what arrived, in arrival order.
  expect(onWire).toHaveLength(2_000)
  expect([...onWire].sort()).toEqual([...sent].sort())
  expect(inPage).toEqual(onWire)
  expect(await timesAdded(page)).toEqual(Object.fromEntries(sent.map((id) => [id, 1])))
  expect(texts).toEqual(inPage.map((id) => `message ${sent.indexOf(id) + 1}`))
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
  await expectNoDuplicates(page)
})
