// The project's Node server stands in for anycable-go: AnyCable's own browser client, @anycable/web on
// `actioncable-v1-ext-json`, restores its session after a dropped line, gets what it missed from the
// stream history, whispers and tracks presence against it.
import { test, expect, type Page } from "@playwright/test"
import { build } from "esbuild"
import { startNodeServer, type NodeServer } from "../support/node_server"
import { REPO_ROOT } from "../support/server_process"
import { recordWire } from "./fixtures"

// Slow enough that the test's broadcasts certainly fall while the client is away.
const RECONNECT_DELAY_MS = 1000
// Longer than a reconnect, as anycable-go's 15 s are.
const PRESENCE_TTL_SECONDS = 3

let server: NodeServer
let bundle: string

test.beforeAll(async () => {
  server = await startNodeServer({ PRESENCE_TTL: String(PRESENCE_TTL_SECONDS) })
  const result = await build({
    stdin: { contents: `import { createCable } from "@anycable/web"; window.AnyCableWeb = { createCable }`, resolveDir: REPO_ROOT, loader: "js" },
    bundle: true,
    format: "iife",
    target: "es2020",
    write: false,
    logLevel: "error",
  })
  bundle = result.outputFiles[0]!.text
})
test.afterAll(async () => server.stop())

/** A page of the app's origin with @anycable/web on it and a cable on the extended protocol in `window.cable`. */
async function anycablePage(page: Page): Promise<void> {
  // Served by the app itself: Chromium keeps a page from elsewhere (a routed one too) off the loopback socket.
  await page.goto(`${server.app}/test/pages/anycable.html`)
  await page.addScriptTag({ content: bundle })
  await page.evaluate((delay) => {
    const w = window as any
    w.seen = { connects: [], messages: [], infos: [], presence: [] }
    w.cable = w.AnyCableWeb.createCable({ protocol: "actioncable-v1-ext-json", reconnectStrategy: () => delay })
    w.cable.on("connect", (event: unknown) => w.seen.connects.push(event))
  }, RECONNECT_DELAY_MS)
}

/** Subscribes the page's cable (`Turbo::StreamsChannel` with a signed name, or `$pubsub` for a public stream) as `window.channel`. */
async function subscribe(page: Page, params: { signed_stream_name: string } | { stream: string }): Promise<void> {
  await page.evaluate(async (params) => {
    const w = window as any
    w.channel = "stream" in params ? w.cable.streamFrom(params.stream) : w.cable.subscribeTo("Turbo::StreamsChannel", params)
    w.channel.on("message", (message: unknown) => w.seen.messages.push(message))
    w.channel.on("info", (info: { type: string }) => w.seen.infos.push(info.type))
    // Joins and leaves; the channel also hears its own `info` answers here.
    w.channel.on("presence", (event: { type: string }) => event.type != "info" && w.seen.presence.push(event))
    await w.channel.ensureSubscribed()
  }, params)
}

const seen = (page: Page, key: "connects" | "messages" | "infos" | "presence") => page.evaluate((key) => (window as any).seen[key], key)

test("after a dropped line @anycable/web restores its session and gets the missed broadcasts from history, once each", async ({ page }) => {
  const wire = recordWire(page)
  await anycablePage(page)
  await subscribe(page, { signed_stream_name: await server.sign("history-room") })
  await server.broadcast("history-room", "m1")
  await expect.poll(() => seen(page, "messages")).toEqual(["m1"])

  await server.post("/kill")
  expect(await server.broadcast("history-room", "m2")).toBe(0) // nobody connected: only the history has it
  expect(await server.broadcast("history-room", "m3")).toBe(0)

  await expect.poll(() => seen(page, "connects")).toEqual([
    { reconnect: false, restored: false },
    { reconnect: true, restored: true },
  ])
  await expect.poll(() => seen(page, "messages")).toEqual(["m1", "m2", "m3"])
  await expect.poll(() => seen(page, "infos")).toContain("history_received")

  expect(wire.sockets).toHaveLength(2)
  const firstWelcome = wire.received.find((frame) => frame.type == "welcome")!
  expect(wire.sockets[1]!.url()).toContain(`sid=${firstWelcome.sid}`)
  expect(wire.received.filter((frame) => frame.type == "welcome").at(-1)).toMatchObject({ restored: true, restored_ids: [expect.stringContaining("Turbo::StreamsChannel")] })
  // Restored, not resubscribed: one subscribe in all, then a history request from the last offset it saw.
  expect(wire.sent.filter((frame) => frame.command == "subscribe")).toHaveLength(1)
  const { epoch } = await (await fetch(`${server.control}/history?stream=history-room`)).json()
  expect(wire.sent.find((frame) => frame.command == "history")?.history.streams).toEqual({ "history-room": { epoch, offset: 1 } })

  await server.broadcast("history-room", "m4")
  await expect.poll(() => seen(page, "messages")).toEqual(["m1", "m2", "m3", "m4"])
})

test("a whisper reaches the other client on the stream, not the sender", async ({ page, context }) => {
  const other = await context.newPage()
  for (const p of [page, other]) {
    await anycablePage(p)
    await subscribe(p, { stream: "lobby" })
  }
  await page.evaluate(() => (window as any).channel.whisper({ typing: "alice" }))
  await expect.poll(() => seen(other, "messages")).toEqual([{ typing: "alice" }])
  // A whisper back, made after the server handled the first: a copy of the first to its sender would come before it.
  await other.evaluate(() => (window as any).channel.whisper({ typing: "bob" }))
  await expect.poll(() => seen(page, "messages")).toEqual([{ typing: "bob" }])
})

test("presence: a join and a leave reach the others, info lists who is there, and a restored client is never seen leaving", async ({ page, context }) => {
  const watcher = await context.newPage()
  const probe = await context.newPage()
  for (const p of [page, watcher, probe]) {
    await anycablePage(p)
    await subscribe(p, { stream: "presence-room" })
  }
  const alice = { type: "join", id: "alice", info: { name: "Alice" } }
  await page.evaluate(() => (window as any).channel.presence.join("alice", { name: "Alice" }))
  await expect.poll(() => seen(watcher, "presence")).toEqual([alice])
  expect(await watcher.evaluate(() => (window as any).channel.presence.info())).toEqual({ alice: { name: "Alice" } })

  // The page's line drops (its socket alone: the watcher stays on); back within the presence TTL, the client
  // joins again by itself under its new session: no leave, no join.
  await page.evaluate(() => (window as any).cable.transport.ws.close())
  await expect.poll(() => seen(page, "connects")).toHaveLength(2)
  // A client that goes away for good after the drop: its leave, a TTL after it went, comes after any leave the
  // dropped session's TTL could bring.
  await probe.evaluate(() => (window as any).channel.presence.join("probe"))
  await expect.poll(() => seen(watcher, "presence")).toEqual([alice, { type: "join", id: "probe" }])
  await probe.close()
  await expect.poll(() => seen(watcher, "presence"), { timeout: PRESENCE_TTL_SECONDS * 1000 + 5_000 }).toEqual([alice, { type: "join", id: "probe" }, { type: "leave", id: "probe" }])
  expect(await watcher.evaluate(() => (window as any).channel.presence.info())).toEqual({ alice: { name: "Alice" } })

  await page.evaluate(() => (window as any).channel.presence.leave())
  await expect.poll(() => seen(watcher, "presence")).toHaveLength(4)
  expect((await seen(watcher, "presence"))[3]).toEqual({ type: "leave", id: "alice" })

  // A page that goes away for good leaves once the presence TTL is over.
  await page.evaluate(() => (window as any).channel.presence.join("alice", { name: "Alice" }))
  await expect.poll(() => seen(watcher, "presence")).toHaveLength(5)
  await page.close()
  await expect.poll(() => seen(watcher, "presence")).toHaveLength(6)
  expect((await seen(watcher, "presence"))[5]).toEqual({ type: "leave", id: "alice" })
})
