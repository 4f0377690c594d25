// turbo-cable on AnyCable's extended protocol (`actioncable-v1-ext-json`), against the Node server, which
// speaks it when offered: session restore after a dropped line. The same scenarios against a plain server
// are in catch_up.spec.ts and connection.spec.ts.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Page } from "@playwright/test"
import { startNodeServer, type NodeServer } from "../support/node_server"
import { commandsSent, expect, loadWithSlowScript, PLAIN_SERVER, recordWire, test } from "./fixtures"

let listCount = 0
const newList = () => `ext-${Date.now()}-${listCount++}`

async function openLive(page: Page, app: string, list: string) {
  await page.goto(`${app}/test/live/${list}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
}

test("the client offers the extended protocol first, and the server picks it", async ({ page, server }) => {
  const wire = recordWire(page)
  await openLive(page, server.app, newList())
  const welcome = wire.received.find((frame) => frame.type == "welcome")
  expect(welcome?.sid).toEqual(expect.any(String))
})

test("a dropped line restores its session: no subscribe again, the source connected again", async ({ page, server }) => {
  const wire = recordWire(page)
  const list = newList()
  await openLive(page, server.app, list)
  const firstSid = wire.received.find((frame) => frame.type == "welcome")!.sid
  await server.post("/kill")
  await expect.poll(() => wire.sockets.length, { timeout: 10_000 }).toBe(2)
  expect(wire.sockets[1]!.url()).toContain(`sid=${firstSid}`)
  await expect.poll(() => wire.received.filter((frame) => frame.type == "welcome" && frame.restored).length, { timeout: 10_000 }).toBe(1)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(commandsSent(wire, "subscribe")).toHaveLength(1)
  await expect.poll(() => server.subscriptions(list)).toBe(1)
  await server.post("/items", { list, text: "after the restore" })
  await expect(page.locator("#items li")).toHaveText(["after the restore"])
})

test("a server disconnect forgets the session: the next socket subscribes afresh", async ({ page, server }) => {
  const wire = recordWire(page)
  const list = newList()
  await openLive(page, server.app, list)
  await server.post("/disconnect", { reason: "server_restart", reconnect: true })
  await expect.poll(() => wire.sockets.length, { timeout: 10_000 }).toBe(2)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1, { timeout: 10_000 })
  expect(wire.sockets[1]!.url()).not.toContain("sid=")
  expect(commandsSent(wire, "subscribe")).toHaveLength(2)
})

/** Records the id of every item a stream message renders on the page, each render (a second one included). */
async function recordRenders(page: Page) {
  await page.addInitScript(() => {
    const renders: string[] = ((window as any).renders = [])
    document.addEventListener("turbo:before-stream-render", (event) => {
      const stream = event.target as HTMLElement & { templateContent?: DocumentFragment }
      renders.push(stream.templateContent?.firstElementChild?.id ?? "?")
    })
  })
  return () => page.evaluate(() => (window as any).renders as string[])
}

async function itemIds(server: NodeServer, list: string) {
  return (await server.items(list)).map((item) => `item_${item.id}`)
}

test("a dropped line: the missed broadcasts are replayed in order, each once, and the draft is kept", async ({ page, server }) => {
  const renders = await recordRenders(page)
  const wire = recordWire(page)
  const list = newList()
  await openLive(page, server.app, list)
  await server.post("/items", { list, text: "before" })
  await expect(page.locator("#items li")).toHaveText(["before"])
  await page.locator("#draft").fill("half-typed")
  await server.post("/kill")
  for (const text of ["one", "two", "three"]) await server.post("/items", { list, text })
  await expect(page.locator("#items li")).toHaveText(["before", "one", "two", "three"], { timeout: 10_000 })
  await expect.poll(() => wire.received.filter((frame) => frame.type == "confirm_history").length).toBeGreaterThanOrEqual(2)
  expect(await renders()).toEqual(await itemIds(server, list))
  await expect(page.locator("#draft")).toHaveValue("half-typed")
})

test("a broadcast between the page's render and its first confirmation is shown, from the history", async ({ page, server }) => {
  const renders = await recordRenders(page)
  const list = newList()
  // The item is written after the server's render reached the page, before its script subscribed.
  await loadWithSlowScript(page, `${server.app}/test/live/${list}`, 700, () => server.post("/items", { list, text: "between render and subscribe" }))
  await expect(page.locator("#items li")).toHaveText(["between render and subscribe"], { timeout: 10_000 })
  expect(await renders()).toEqual(await itemIds(server, list))
})

test("live broadcasts racing a replay are shown once each, in order", async ({ page, server }) => {
  const renders = await recordRenders(page)
  const wire = recordWire(page)
  const list = newList()
  await openLive(page, server.app, list)
  await server.post("/kill")
  for (let i = 1; i <= 5; i++) await server.post("/items", { list, text: `missed ${i}` })
  // Written as the page reconnects: some reach it live while the missed ones are replayed.
  await expect.poll(() => wire.sockets.length, { timeout: 10_000 }).toBe(2)
  await Promise.all(Array.from({ length: 5 }, (_, i) => server.post("/items", { list, text: `live ${i + 1}` })))
  const texts = (await server.items(list)).map((item) => item.text)
  await expect(page.locator("#items li")).toHaveText(texts, { timeout: 10_000 })
  expect(await renders()).toEqual(await itemIds(server, list))
})

/** Catch-up refetches the server answered (GET /pages), for `list`. */
async function pageRequests(server: NodeServer, list: string): Promise<number> {
  const pages: Array<{ list: string; catchUp: boolean }> = await server.get("/pages")
  return pages.filter((entry) => entry.list == list && entry.catchUp).length
}

/** The detail of every `turbo-cable:caught-up` the page dispatches. */
async function recordCaughtUp(page: Page) {
  await page.addInitScript(() => {
    const events: unknown[] = ((window as any).caughtUp = [])
    document.addEventListener("turbo-cable:caught-up", (event) => events.push((event as CustomEvent).detail))
  })
  return () => page.evaluate(() => (window as any).caughtUp as Array<{ reason: string; strategy: string }>)
}

test("a dropped line catches up from the history: caught up, no page request", async ({ page, server }) => {
  const caughtUp = await recordCaughtUp(page)
  const list = newList()
  await openLive(page, server.app, list)
  await server.post("/kill")
  await server.post("/items", { list, text: "missed" })
  await expect(page.locator("#items li")).toHaveText(["missed"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  expect(await caughtUp()).toEqual([expect.objectContaining({ reason: "reconnect", strategy: "history" })])
  expect(await pageRequests(server, list)).toBe(0)
})

test("a broadcast between render and first confirmation costs no page request, even on a slow first connect", async ({ page, server }) => {
  const caughtUp = await recordCaughtUp(page)
  const list = newList()
  // The item is written after the server's render reached the page, before its script subscribed.
  await loadWithSlowScript(page, `${server.app}/test/live/${list}`, 2_000, () => server.post("/items", { list, text: "between render and subscribe" }))
  await expect(page.locator("#items li")).toHaveText(["between render and subscribe"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  expect(await caughtUp()).toEqual([expect.objectContaining({ reason: "stale-page", strategy: "history" })])
  expect(await pageRequests(server, list)).toBe(0)
})

test("a lost broker (new epoch): the history is refused, then one refetch and morph, nothing lost", async ({ page, server }) => {
  const caughtUp = await recordCaughtUp(page)
  const wire = recordWire(page)
  const list = newList()
  await server.post("/items", { list, text: "before" })
  await openLive(page, server.app, list)
  await server.post("/items", { list, text: "live" })
  await expect(page.locator("#items li")).toHaveText(["before", "live"])
  await server.post("/stop")
  await server.post("/items", { list, text: "missed" })
  await server.post("/broker/reset")
  await server.post("/start")
  await expect(page.locator("#items li")).toHaveText(["before", "live", "missed"], { timeout: 10_000 })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  expect(wire.received.filter((frame) => frame.type == "reject_history")).toHaveLength(1)
  expect(await caughtUp()).toEqual([expect.objectContaining({ reason: "reconnect", strategy: "morph" })])
  expect(await pageRequests(server, list)).toBe(1)
})

test.describe("a server restarted with its broker kept in a file", () => {
  let brokerDir: string
  let first: NodeServer
  test.beforeAll(async () => {
    brokerDir = await mkdtemp(join(tmpdir(), "turbo-cable-broker-"))
    first = await startNodeServer({ BROKER_FILE: join(brokerDir, "broker.json") })
  })
  test.afterAll(async () => {
    await first.stop()
    await rm(brokerDir, { recursive: true, force: true })
  })

  test("replays what was written before the restart: no page request", async ({ page }) => {
    const caughtUp = await recordCaughtUp(page)
    const list = newList()
    await openLive(page, first.app, list)
    await first.post("/stop")
    await first.post("/items", { list, text: "written before the restart" })
    await first.stop()
    first = await startNodeServer({ BROKER_FILE: join(brokerDir, "broker.json"), APP_PORT: new URL(page.url()).port })
    await expect(page.locator("#items li")).toHaveText(["written before the restart"], { timeout: 15_000 })
    await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
    expect(await caughtUp()).toEqual([expect.objectContaining({ strategy: "history" })])
    expect(await pageRequests(first, list)).toBe(0)
  })
})

test.describe("against a plain server (no extended protocol)", () => {
  let plain: NodeServer
  test.beforeAll(async () => {
    plain = await startNodeServer(PLAIN_SERVER)
  })
  test.afterAll(async () => plain.stop())

  test("the client falls back to Action Cable: a plain subscribe, and a dropped line caught up by refetching", async ({ page }) => {
    const wire = recordWire(page)
    const list = newList()
    await openLive(page, plain.app, list)
    expect(wire.received.find((frame) => frame.type == "welcome")).toEqual({ type: "welcome" })
    expect(commandsSent(wire, "subscribe")[0]).not.toHaveProperty("history")
    await plain.post("/kill")
    await plain.post("/items", { list, text: "missed" })
    await expect(page.locator("#items li")).toHaveText(["missed"], { timeout: 10_000 })
    await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
    expect(commandsSent(wire, "subscribe")).toHaveLength(2)
    expect(commandsSent(wire, "pong")).toHaveLength(0)
    expect(await pageRequests(plain, list)).toBe(1)
  })

  test("whisper fails clearly: false, and nothing on the wire", async ({ page }) => {
    const wire = recordWire(page)
    await page.goto(`${plain.app}/test/pages/blank.html`)
    await page.evaluate(async () => {
      const w = window as any
      w.connected = 0
      w.channel = await w.TurboCable.cable.subscribeTo({ channel: "EchoChannel", room: "plain" }, { connected: () => w.connected++ })
    })
    await expect.poll(() => page.evaluate(() => (window as any).connected)).toBe(1)
    expect(await page.evaluate(() => (window as any).channel.whisper({ typing: "alice" }))).toBe(false)
    expect(commandsSent(wire, "whisper")).toHaveLength(0)
  })
})

/** Subscribes the page to AnyCable's public stream `stream` ($pubsub), recording what it receives. */
async function subscribePublic(page: Page, stream: string) {
  await page.evaluate(async (stream) => {
    const w = window as any
    w.received = []
    w.connected = 0
    w.channel = await w.TurboCable.cable.subscribeTo(
      { channel: "$pubsub", stream_name: stream },
      { connected: () => w.connected++, received: (data: unknown) => w.received.push(data) },
    )
  }, stream)
  await expect.poll(() => page.evaluate(() => (window as any).connected)).toBe(1)
}

test("a whisper reaches the other subscribers of the stream, not the sender", async ({ page, context, server }) => {
  const other = await context.newPage()
  for (const p of [page, other]) {
    await p.goto(`${server.app}/test/pages/blank.html`)
    await subscribePublic(p, "whisper-room")
  }
  expect(await page.evaluate(() => (window as any).channel.whisper({ typing: "alice" }))).toBe(true)
  await expect.poll(() => other.evaluate(() => (window as any).received)).toEqual([{ typing: "alice" }])
  // A whisper back, made after the server handled the first: a copy of the first to its sender would come before it.
  expect(await other.evaluate(() => (window as any).channel.whisper({ typing: "bob" }))).toBe(true)
  await expect.poll(() => page.evaluate(() => (window as any).received)).toEqual([{ typing: "bob" }])
})

test("Turbo's requests carry the session id as X-Socket-ID", async ({ page, server }) => {
  const wire = recordWire(page)
  await openLive(page, server.app, newList())
  const sid = wire.received.find((frame) => frame.type == "welcome")!.sid
  const submitted = page.waitForRequest((request) => request.url().endsWith("/test/notes"))
  await page.locator("#note").fill("a note")
  await page.locator("#note-form button").click()
  expect((await submitted).headers()["x-socket-id"]).toBe(sid)
})

test("presence: a join reaches the others, info lists who is there, a leave is seen", async ({ page, context, server }) => {
  const watcher = await context.newPage()
  for (const p of [page, watcher]) {
    await p.goto(`${server.app}/test/pages/blank.html`)
    await subscribePublic(p, "presence-room-turbo-cable")
    await p.evaluate(() => {
      const w = window as any
      w.presence = []
      w.channel.presenceChanged = (event: unknown) => w.presence.push(event)
    })
  }
  await page.evaluate(() => (window as any).channel.presence.join("alice", { name: "Alice" }))
  await expect.poll(() => watcher.evaluate(() => (window as any).presence)).toEqual([{ type: "join", id: "alice", info: { name: "Alice" } }])
  expect(await watcher.evaluate(() => (window as any).channel.presence.info())).toEqual({ alice: { name: "Alice" } })
  await page.evaluate(() => (window as any).channel.presence.leave())
  await expect.poll(() => watcher.evaluate(() => (window as any).presence)).toHaveLength(2)
  expect((await watcher.evaluate(() => (window as any).presence))[1]).toEqual({ type: "leave", id: "alice" })
})

test.describe("against a server that picks by its own order, plain first (as anycable-go does)", () => {
  let plainFirst: NodeServer
  test.beforeAll(async () => {
    plainFirst = await startNodeServer({ PREFER_PLAIN_PROTOCOL: "1" })
  })
  test.afterAll(async () => plainFirst.stop())

  test("offered both, it gets the plain protocol; with extendedProtocol \"only\", the extended one", async ({ page }) => {
    const wire = recordWire(page)
    await openLive(page, plainFirst.app, newList())
    expect(wire.received.find((frame) => frame.type == "welcome")).toEqual({ type: "welcome" })

    await page.addInitScript(() => ((window as any).TurboCableConfig = { extendedProtocol: "only" }))
    await openLive(page, plainFirst.app, newList())
    expect(wire.received.filter((frame) => frame.type == "welcome").at(-1)?.sid).toEqual(expect.any(String))
  })
})
