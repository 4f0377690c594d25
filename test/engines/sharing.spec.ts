// Many tabs, one connection, in each engine: the windows of one browser profile whose pages name the same cable
// URL and identity (or declare that they may share whoever's they are) share one socket through the shared worker, each tab still gets exactly its own streams, and
// the connection outlives the tab that started it. The pages are watched with record(), never watch(): a
// wrapped WebSocket keeps a tab out of sharing.
//
// WebKitGTK 2.50 (measured here, MiniBrowser windows): closing a window sometimes ends the shared worker with
// it, though other windows still use it (the web process that hosts the worker is ended: which close does it
// varies). The remaining tabs hear nothing of it (no MessagePort close event in WebKit, no error), show
// `connected`, and miss what is sent until their watchdog finds the worker silent (WORKER_SILENT_AFTER, then a
// probe unanswered for PROBE_TIMEOUT): then they join a new one and catch up. So in WebKit a close may be followed
// by that wait and a reconnect, checked as such.
import { setTimeout as sleep } from "node:timers/promises"
import { PROBE_TIMEOUT, WORKER_SILENT_AFTER } from "../../src/sharing/messages"
import type { EngineName, EnginePage } from "./driver/engine"
import { addSource, appendItem, cableState, connectedSources, expect, listItems, newList, poll, recorded, tabCount, test } from "./fixtures"

const everySourceConnected = (page: EnginePage) =>
  page.evaluate(() => document.querySelectorAll("turbo-cable-stream-source:not([connected])").length == 0 && !!document.querySelector("turbo-cable-stream-source"))

const everyTab = (pages: EnginePage[], read: (page: EnginePage) => Promise<unknown>, timeout?: number) =>
  poll(() => Promise.all(pages.map(read)), timeout)

/** How long after a tab closes the others may take to show a write: WebKit may end the worker (see above). */
const afterClose = (engine: EngineName) => (engine == "webkit" ? WORKER_SILENT_AFTER + PROBE_TIMEOUT + 4_000 : 2_000)

/** Opens `count` tabs of `path`, one after another, each live (its sources and those of `streams(i)`) before the next opens. */
async function openLive(tabs: { open(url: string): Promise<EnginePage> }, app: string, count: number, path: string, streams: (i: number) => string[]) {
  const pages: EnginePage[] = []
  for (let i = 0; i < count; i++) {
    const page = await tabs.open(`${app}${path}`)
    for (const signed of streams(i)) await addSource(page, signed)
    await poll(() => everySourceConnected(page)).toBe(true)
    pages.push(page)
  }
  return pages
}

test("five tabs share one connection: each gets its own streams once, a stream two tabs hold is one subscription, the tab count follows closes", async ({ tabs, server, engine }) => {
  test.setTimeout(engine == "webkit" ? 180_000 : 60_000)
  const own = await server.signAll([0, 1, 2, 3, 4].map((i) => `own-${i}`))
  const both = await server.sign("both")
  const pages = await openLive(tabs, server.app, 5, "/test/pages/identity-alice.html", (i) => (i < 2 ? [own[i], both] : [own[i]]))

  await everyTab(pages, tabCount).toEqual(["5", "5", "5", "5", "5"])
  expect(await server.connections()).toBe(1)
  for (let i = 0; i < 5; i++) expect(await server.subscriptions(`own-${i}`)).toBe(1)
  expect(await server.subscriptions("both")).toBe(1)
  // Every tab says it is connected, the ones that joined a connection already open included.
  expect(await Promise.all(pages.map(cableState))).toEqual(Array(5).fill("connected"))

  for (let i = 0; i < 5; i++) await server.broadcast(`own-${i}`, appendItem(`for tab ${i}`))
  await server.broadcast("both", appendItem("for tabs 0 and 1"))
  const expected = [0, 1, 2, 3, 4].map((i) => (i < 2 ? [`for tab ${i}`, "for tabs 0 and 1"] : [`for tab ${i}`]))
  await everyTab(pages, listItems).toEqual(expected)
  // No second copy and nothing of another tab's is the point: a window for one to arrive, as nothing can be awaited.
  await sleep(500)
  expect(await Promise.all(pages.map(listItems))).toEqual(expected)

  for (let closed = 1; closed < 5; closed++) {
    await tabs.close(pages[closed - 1])
    const settle = afterClose(engine) + 8_000
    await everyTab(pages.slice(closed), tabCount, settle).toEqual(Array(5 - closed).fill(String(5 - closed)))
    // A closed tab's own stream is let go at the server; the one tab 1 still holds stays.
    await poll(() => server.subscriptions(`own-${closed - 1}`), settle).toBe(0)
    await poll(() => server.subscriptions("both"), settle).toBe(closed < 2 ? 1 : 0)
    await poll(() => server.connections(), settle).toBe(1)
  }
  // WebKit's tabs may count again from 1 in a new worker, as they join it one by one.
  if (engine != "webkit") expect((await recorded(pages[4])).tabs).toEqual([5, 4, 3, 2, 1])
})

test("the tab that started the connection closes, then the next: writes around each close reach the others soon, once each", async ({ tabs, server, engine }) => {
  test.setTimeout(engine == "webkit" ? 180_000 : 60_000)
  const list = newList()
  const pages = await openLive(tabs, server.app, 3, `/test/live/${list}?identity=alice`, () => [])
  await everyTab(pages, tabCount).toEqual(["3", "3", "3"])
  const sentAt: Record<string, number> = {}
  const write = async (text: string) => {
    sentAt[text] = Date.now()
    await server.post("/items", { list, text })
  }

  const written: string[] = []
  for (const [closing, remaining] of [
    [pages[0], pages.slice(1)],
    [pages[1], pages.slice(2)],
  ] as const) {
    const n = 3 - remaining.length
    await write(`before close ${n}`)
    await Promise.all([tabs.close(closing), write(`during close ${n}`)])
    await write(`after close ${n}`)
    written.push(`before close ${n}`, `during close ${n}`, `after close ${n}`)
    await everyTab(remaining, listItems, afterClose(engine) + 5_000).toEqual(remaining.map(() => written))
    for (const page of remaining) {
      const { seen, added } = await recorded(page)
      for (const text of written.slice(-3)) {
        console.log(`${engine}: "${text}" shown ${seen[text] - sentAt[text]} ms after it was written`)
        expect(seen[text] - sentAt[text], `${text}: shown after`).toBeLessThan(afterClose(engine))
        // A catch-up refetch (WebKit's new worker) renders the list again: only a live stream adds an item once.
        if (engine != "webkit") expect(added[text], `${text}: added`).toBe(1)
      }
    }
    await everyTab(remaining, tabCount).toEqual(remaining.map(() => String(remaining.length)))
  }
  await sleep(500)
  expect(await listItems(pages[2])).toEqual(written)
  expect(await server.connections()).toBe(1)
  expect(await server.subscriptions(list)).toBe(1)
})

test("a restarted server: every tab shows the writes made while it was down, once each, on one connection again", async ({ tabs, server }) => {
  const list = newList()
  await server.post("/items", { list, text: "before" })
  const pages = await openLive(tabs, server.app, 3, `/test/live/${list}?identity=alice`, () => [])
  await everyTab(pages, connectedSources).toEqual([1, 1, 1])
  await everyTab(pages, tabCount).toEqual(["3", "3", "3"])
  expect(await server.connections()).toBe(1)

  await server.post("/stop")
  await everyTab(pages, cableState).toEqual(pages.map(() => expect.stringMatching(/disconnected|reconnecting/)))
  for (const text of ["written while down 1", "written while down 2"]) await server.post("/items", { list, text })
  await server.post("/start")

  const missed = ["before", "written while down 1", "written while down 2"]
  await everyTab(pages, listItems).toEqual(pages.map(() => missed))
  await everyTab(pages, cableState).toEqual(["caught-up", "caught-up", "caught-up"])
  expect(await server.connections()).toBe(1)
  await server.post("/items", { list, text: "live again" })
  await everyTab(pages, listItems).toEqual(pages.map(() => [...missed, "live again"]))
  // Items carry ids, and Turbo drops an id's older copy: a second application shows only in how often each was added.
  for (const page of pages) expect((await recorded(page)).added).toMatchObject({ "written while down 1": 1, "written while down 2": 1, "live again": 1 })
})

test("a tab with sharing turned off by its meta tag keeps a connection of its own", async ({ tabs, server }) => {
  const signed = await server.sign("share-off")
  const shared = await openLive(tabs, server.app, 2, "/test/pages/identity-alice.html", () => [signed])
  const [own] = await openLive(tabs, server.app, 1, "/test/pages/share-off.html", () => [signed])
  await everyTab(shared, tabCount).toEqual(["2", "2"])
  expect(await tabCount(own)).toBe("1")
  expect(await server.connections()).toBe(2)
  expect(await server.subscriptions("share-off")).toBe(2)

  await server.broadcast("share-off", appendItem("to all three"))
  await everyTab([...shared, own], listItems).toEqual([["to all three"], ["to all three"], ["to all three"]])
  await sleep(500)
  expect(await Promise.all([...shared, own].map(listItems))).toEqual([["to all three"], ["to all three"], ["to all three"]])
})

test("tabs of another identity never share with this one's: two connections, each shared by its own tabs", async ({ tabs, server }) => {
  const signed = await server.sign("identities")
  const mine = await openLive(tabs, server.app, 2, "/test/pages/identity-alice.html", () => [signed])
  const theirs = await openLive(tabs, server.app, 2, "/test/pages/identity-bob.html", () => [signed])
  await everyTab([...mine, ...theirs], tabCount).toEqual(["2", "2", "2", "2"])
  expect(await server.connections()).toBe(2)
  expect(await server.subscriptions("identities")).toBe(2)

  await server.broadcast("identities", appendItem("to every tab"))
  await everyTab([...mine, ...theirs], listItems).toEqual(Array(4).fill(["to every tab"]))
  await sleep(500)
  expect(await Promise.all([...mine, ...theirs].map(listItems))).toEqual(Array(4).fill(["to every tab"]))
})

test("pages that declare their connections carry no person's identity share without the tag; pages that say nothing do not", async ({ tabs, server }) => {
  const signed = await server.sign("declared")
  const declared = await openLive(tabs, server.app, 2, "/test/pages/share-all.html", () => [signed])
  const silent = await openLive(tabs, server.app, 2, "/test/pages/blank.html", () => [signed])
  await everyTab(declared, tabCount).toEqual(["2", "2"])
  await everyTab(silent, tabCount).toEqual(["1", "1"])
  expect(await server.connections()).toBe(3)
  await server.broadcast("declared", appendItem("to every tab"))
  await everyTab([...declared, ...silent], listItems).toEqual(Array(4).fill(["to every tab"]))
})
