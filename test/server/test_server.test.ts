// @vitest-environment node
// The process the browser tests spawn (test_server.ts), driven through its control API and a real `ws` client.

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { sign, verify } from "../../demo/server/signed_stream"
import { startTestServer, stopServerProcess } from "../support/server_process"
import { Client, EXTENDED_PROTOCOLS } from "./ws_test_client"

const SECRET = "test-secret"

type Spawned = Awaited<ReturnType<typeof startTestServer>>

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function spawnTestServer(env: Record<string, string> = {}): Promise<Spawned> {
  const spawned = await startTestServer(env)
  cleanups.push(() => stopServerProcess(spawned.child))
  return spawned
}

/** SIGTERM, as the specs stop it; resolves once it has exited. */
async function stopSpawned(s: Spawned): Promise<void> {
  const exited = new Promise((done) => s.child.once("exit", done))
  s.child.kill("SIGTERM")
  await exited
}

async function control(s: Spawned, method: "GET" | "POST", path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${s.control}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? undefined : { "Content-Type": "application/json" },
  })
  return { status: res.status, json: (await res.json()) as any }
}

describe("test_server", () => {
  it("prints READY, signs, broadcasts, counts, and stops/starts on the same port", async () => {
    const s = await spawnTestServer()
    expect(s.app).toBeGreaterThan(0)
    expect(s.control).toBeGreaterThan(0)

    const { json: signedReply } = await control(s, "GET", "/sign?stream=room:1")
    expect(verify("test-secret", signedReply.signed)).toBe("room:1")

    const cableUrl = `ws://127.0.0.1:${s.app}/cable`
    const client = await Client.open(cableUrl)
    expect(await client.next()).toEqual({ type: "welcome" })
    const id = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: signedReply.signed })
    expect((await client.subscribeAndWait(id)).type).toBe("confirm_subscription")
    expect((await control(s, "GET", "/subscriptions?stream=room:1")).json).toEqual({ count: 1 })
    expect((await control(s, "GET", "/subscriptions")).json).toEqual({ count: 1 })
    expect((await control(s, "GET", "/connections")).json).toEqual({ count: 1 })
    expect((await control(s, "GET", "/commands")).json).toMatchObject([{ command: "subscribe", identifier: id }])

    const reply = await control(s, "POST", "/broadcast", { stream: "room:1", message: "m{{i}}", count: 3 })
    expect(reply.json.delivered).toBe(3)
    const got = [(await client.next()).message, (await client.next()).message, (await client.next()).message]
    expect(got).toEqual(["m0", "m1", "m2"])
    expect((await control(s, "POST", "/broadcast", { stream: "room:1" })).status).toBe(400)

    expect((await control(s, "POST", "/stop")).json).toEqual({ ok: true })
    expect((await control(s, "POST", "/stop")).json).toEqual({ ok: true })
    expect((await client.closed).code).toBe(1006)
    await expect(Client.open(cableUrl)).rejects.toThrow(/ECONNREFUSED/)
    await expect(fetch(`http://127.0.0.1:${s.app}/dist/x.js`)).rejects.toThrow()
    expect((await control(s, "GET", "/connections")).json).toEqual({ count: 0 })

    expect((await control(s, "POST", "/start")).json).toEqual({ ok: true })
    expect((await control(s, "POST", "/start")).json).toEqual({ ok: true })
    const again = await Client.open(cableUrl)
    expect(await again.next()).toEqual({ type: "welcome" })
    expect((await again.subscribeAndWait(id)).type).toBe("confirm_subscription")
    again.close()

    s.child.kill("SIGTERM")
    const code = await new Promise((done) => s.child.once("exit", (c) => done(c)))
    expect(code).toBe(0)
  })

  it("serves static files safely and a live page that reflects added items", async () => {
    const s = await spawnTestServer()
    const app = (path: string) => fetch(`http://127.0.0.1:${s.app}${path}`)

    const pkg = await app("/node_modules/ws/package.json")
    expect(pkg.status).toBe(200)
    expect(pkg.headers.get("content-type")).toMatch(/^application\/json/)
    expect(pkg.headers.get("cache-control")).toBe("no-store")
    const js = await app("/node_modules/ws/index.js")
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/)
    for (const path of ["/node_modules/..%2fpackage.json", "/dist/%2e%2e/package.json", "/package.json", "/node_modules/ws/nope.js", "/node_modules/ws"]) {
      expect((await app(path)).status, path).toBe(404)
    }

    const client = await Client.open(`ws://127.0.0.1:${s.app}/cable`)
    await client.next()
    const signed = (await control(s, "GET", "/sign?stream=todo")).json.signed
    await client.subscribeAndWait(JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: signed }))

    expect((await control(s, "POST", "/items", { list: "todo", text: "a <b>" })).json).toEqual({ id: 1 })
    expect((await client.next()).message).toBe(
      '<turbo-stream action="append" target="items"><template><li id="item_1">a &lt;b&gt;</li></template></turbo-stream>',
    )
    expect((await control(s, "POST", "/items", { list: "todo", text: "quiet", broadcast: false })).json).toEqual({ id: 2 })
    expect((await control(s, "GET", "/items?list=todo")).json).toEqual([
      { id: 1, text: "a <b>" },
      { id: 2, text: "quiet" },
    ])

    const page = await app("/test/live/todo")
    expect(page.headers.get("content-type")).toMatch(/^text\/html/)
    const html = await page.text()
    expect(html).toContain('<meta name="action-cable-url" content="/cable">')
    expect(html).toContain('<script src="/dist/turbo-cable.min.js"></script>')
    expect(html).toContain(`signed-stream-name="${signed}"`)
    expect(html).toContain('<ul id="items"><li id="item_1">a &lt;b&gt;</li><li id="item_2">quiet</li></ul>')
    // The item added with broadcast:false never reached the socket: the next frame is this one.
    await control(s, "POST", "/broadcast", { stream: "todo", message: "barrier" })
    expect((await client.next()).message).toBe("barrier")
  })

  it("with REQUIRE_COOKIE accepts only a non-empty session cookie", async () => {
    const s = await spawnTestServer({ REQUIRE_COOKIE: "1" })
    const url = `ws://127.0.0.1:${s.app}/cable`
    const refusedHeaders: Array<Record<string, string>> = [{}, { Cookie: "session=" }, { Cookie: "other=1" }]
    for (const headers of refusedHeaders) {
      const refused = await Client.open(url, { headers })
      expect(await refused.next(() => true)).toEqual({ type: "disconnect", reason: "unauthorized", reconnect: false })
      await refused.closed
    }
    const ok = await Client.open(url, { headers: { Cookie: "a=b; session=alice" } })
    expect(await ok.next()).toEqual({ type: "welcome" })
    ok.close()
  })
  it("with BROKER_FILE keeps history, epoch and sessions across a process restart; without, a new epoch", async () => {
    const dir = mkdtempSync(join(tmpdir(), "broker-"))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const env = { BROKER_FILE: join(dir, "broker.json") }
    const identifier = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: sign(SECRET, "room") })
    const first = await spawnTestServer(env)
    const client = await Client.open(`ws://127.0.0.1:${first.app}/cable`, { protocols: EXTENDED_PROTOCOLS })
    const { sid } = await client.next()
    await client.subscribeAndWait(identifier)
    await control(first, "POST", "/broadcast", { stream: "room", message: "kept" })
    await control(first, "POST", "/broadcast", { stream: "room", message: "passing", transient: true })
    const { epoch } = await client.next()
    expect((await control(first, "GET", "/history?stream=room")).json).toEqual({ epoch, size: 1 })
    await stopSpawned(first)

    const second = await spawnTestServer(env)
    expect((await control(second, "GET", "/history?stream=room")).json).toEqual({ epoch, size: 1 })
    const back = await Client.open(`ws://127.0.0.1:${second.app}/cable?sid=${sid}`, { protocols: EXTENDED_PROTOCOLS })
    expect(await back.next()).toMatchObject({ type: "welcome", restored: true, restored_ids: [identifier] })
    back.send({ command: "history", identifier, history: { streams: { room: { epoch, offset: 0 } } } })
    expect(await back.next()).toEqual({ type: "reject_history", identifier }) // offset 0 is below the oldest kept, as anycable-go
    await control(second, "POST", "/broker/reset")
    expect((await control(second, "GET", "/history?stream=room")).json.epoch).not.toBe(epoch)
    await stopSpawned(second)

    const fresh = await spawnTestServer()
    expect((await control(fresh, "GET", "/history?stream=room")).json).toEqual({ epoch: expect.any(String), size: 0 })
    expect((await control(fresh, "GET", "/history?stream=room")).json.epoch).not.toBe(epoch)
  })

  it("counts the live pages it served, catch-up refetches marked, and stamps them for AnyCable's history", async () => {
    const s = await spawnTestServer()
    const html = await (await fetch(`http://127.0.0.1:${s.app}/test/live/todo`)).text()
    expect(html).toMatch(/<meta name="cable-history-timestamp" content="\d{10}">/)
    await fetch(`http://127.0.0.1:${s.app}/test/live/todo`, { headers: { "X-Turbo-Cable-Catch-Up": "1" } })
    expect((await control(s, "GET", "/pages")).json).toEqual([
      { at: expect.any(Number), list: "todo", catchUp: false },
      { at: expect.any(Number), list: "todo", catchUp: true },
    ])
    await control(s, "POST", "/pages/clear")
    expect((await control(s, "GET", "/pages")).json).toEqual([])
  })
})
