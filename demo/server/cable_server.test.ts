// @vitest-environment node
// Real sockets only: a real `ws` client against a real server on 127.0.0.1.

import { spawn, type ChildProcess } from "node:child_process"
import { createHmac } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { CableServer } from "./cable_server"
import type { CableServerOptions } from "./options"
import { PROTOCOL } from "./protocol"
import { sign, streamNameFrom, verify } from "./signed_stream"
import WebSocket from "ws"
import { Client, CLIENT_PROTOCOLS, EXTENDED_PROTOCOLS, type Frame } from "./ws_test_client"

const SECRET = "test-secret"
const HERE = dirname(fileURLToPath(import.meta.url))
const REPO_ROOT = resolve(HERE, "../..")

function identifierFor(stream: string, secret = SECRET, channel = "Turbo::StreamsChannel"): string {
  return JSON.stringify({ channel, signed_stream_name: sign(secret, stream) })
}

// ---- in-process server fixture ----------------------------------------------------------------

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function startCable(options: Partial<CableServerOptions> = {}) {
  const logs: string[] = []
  const cable = new CableServer({ secret: SECRET, log: (line) => logs.push(line), ...options })
  const http: Server = createServer((_req, res) => res.writeHead(404).end())
  cable.attach(http)
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done))
  const port = (http.address() as AddressInfo).port
  const clients: Client[] = []
  cleanups.push(async () => {
    clients.forEach((c) => c.close())
    await cable.close()
    await new Promise((done) => http.close(done))
  })
  const connect = async (opts?: Parameters<typeof Client.open>[1]) => {
    const client = await Client.open(`ws://127.0.0.1:${port}/cable`, opts)
    clients.push(client)
    return client
  }
  /** A connected client that has already received its welcome. */
  const welcomed = async () => {
    const client = await connect()
    expect(await client.next()).toEqual({ type: "welcome" })
    return client
  }
  return { cable, http, port, logs, connect, welcomed }
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((r) => setTimeout(r, 5))
  }
}

// ---- signed_stream ------------------------------------------------------------------------------

describe("signed_stream", () => {
  // Produced by ActiveSupport 6.1 MessageVerifier.new("test-secret", digest: "SHA256", serializer: JSON).
  const RAILS = [
    [
      "gid://app/Room/1:messages",
      "ImdpZDovL2FwcC9Sb29tLzE6bWVzc2FnZXMi--a510a7c1f8f68576826e2cac825ce483ef2015411012afafb43a54612268708a",
    ],
    [
      'Ünïcødé "q" </x>',
      "IsOcbsOvY8O4ZMOpIFwicVwiIDwveD4i--0446c93a18d7a875af266eaec2a0e4728ab878130e4751447419386aff6f315d",
    ],
  ] as const

  it("signs exactly as Rails' MessageVerifier and verifies Rails' output", () => {
    for (const [name, signed] of RAILS) {
      expect(sign(SECRET, name)).toBe(signed)
      expect(verify(SECRET, signed)).toBe(name)
    }
  })

  it("joins stream name parts with ':' as turbo-rails does", () => {
    expect(streamNameFrom("gid://app/Room/1", "messages")).toBe("gid://app/Room/1:messages")
    expect(verify(SECRET, sign(SECRET, streamNameFrom("a", 7)))).toBe("a:7")
  })

  it("returns null, never throws, for anything forged or malformed", () => {
    const good = sign(SECRET, "room")
    const [data, digest] = good.split("--") as [string, string]
    const otherData = Buffer.from(JSON.stringify("other")).toString("base64")
    const lookAlike = digest.replace(/[a-f]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0x100))
    const nonStringPayload = Buffer.from("{\"a\":1}").toString("base64")
    const notJson = Buffer.from("room").toString("base64")
    const cases: unknown[] = [
      sign("another-secret", "room"),
      `${otherData}--${digest}`,
      `${data}--${digest.toUpperCase()}`,
      `${data}--${digest.slice(1)}`,
      `${data}-${digest}`,
      `${data}--${lookAlike}`,
      data,
      "",
      "--",
      `garbage--${digest}`,
      null,
      undefined,
      42,
      { signed: good },
    ]
    for (const value of cases) expect(verify(SECRET, value)).toBeNull()

    // Correctly signed payloads that are not a strictly encoded JSON string are still refused.
    const signWith = (d: string) => `${d}--${createHmac("sha256", SECRET).update(d).digest("hex")}`
    expect(verify(SECRET, signWith(nonStringPayload))).toBeNull()
    expect(verify(SECRET, signWith(notJson))).toBeNull()
    expect(verify(SECRET, signWith(data + "\n"))).toBeNull() // not strict base64
    expect(verify(SECRET, signWith(data))).toBe("room")
  })
})

// ---- CableServer ------------------------------------------------------------------------------

describe("CableServer", () => {
  it("sends welcome, then pings with Unix seconds", async () => {
    const { connect } = await startCable({ pingIntervalMs: 40 })
    const client = await connect()
    expect(client.socket.protocol).toBe(PROTOCOL.subprotocol)
    expect(await client.next(() => true)).toEqual({ type: "welcome" })
    const ping = await client.next(() => true)
    expect(ping.type).toBe("ping")
    expect(Number.isInteger(ping.message)).toBe(true)
    expect(Math.abs((ping.message as number) - Date.now() / 1000)).toBeLessThan(5)
    expect((await client.next(() => true)).type).toBe("ping")
  })

  it("confirms a valid signed stream, counts it and logs the command", async () => {
    const { cable, welcomed } = await startCable()
    const client = await welcomed()
    const id = identifierFor("room:1")
    expect(await client.subscribeAndWait(id)).toEqual({ identifier: id, type: "confirm_subscription" })
    expect(cable.controls.subscriptionCount("room:1")).toBe(1)
    expect(cable.controls.subscriptionCount()).toBe(1)
    expect(cable.controls.connectionCount()).toBe(1)
    const log = cable.controls.commandLog()
    expect(log).toHaveLength(1)
    expect(log[0]).toMatchObject({ command: "subscribe", identifier: id })
    expect(typeof log[0]!.connection).toBe("number")
    cable.controls.clearCommandLog()
    expect(cable.controls.commandLog()).toEqual([])
  })

  it("rejects forged names and other channels", async () => {
    const { cable, welcomed } = await startCable()
    const client = await welcomed()
    for (const id of [
      identifierFor("room:1", "wrong-secret"),
      identifierFor("room:1", SECRET, "ChatChannel"),
      JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "bogus" }),
      JSON.stringify({ channel: "Turbo::StreamsChannel" }),
    ]) {
      expect(await client.subscribeAndWait(id)).toEqual({ identifier: id, type: "reject_subscription" })
    }
    expect(cable.controls.subscriptionCount()).toBe(0)
    // A rejected identifier is not held, so subscribing again is answered again (as Rails).
    const forged = identifierFor("room:1", "wrong-secret")
    expect((await client.subscribeAndWait(forged)).type).toBe("reject_subscription")
  })

  it("keys subscriptions by the exact identifier string and never confirms a duplicate", async () => {
    const { cable, welcomed } = await startCable()
    const client = await welcomed()
    const id = identifierFor("room:1")
    const sameParamsOtherOrder = JSON.stringify({ signed_stream_name: sign(SECRET, "room:1"), channel: "Turbo::StreamsChannel" })
    client.subscribe(id)
    client.subscribe(id)
    client.subscribe(id)
    // Commands are handled in order, so this confirmation comes after anything the duplicates caused.
    await client.subscribeAndWait(sameParamsOtherOrder)
    const answers = client.frames.filter((f) => f.identifier === id)
    expect(answers).toEqual([{ identifier: id, type: "confirm_subscription" }])
    expect(cable.controls.subscriptionCount("room:1")).toBe(2)
    expect(cable.controls.commandLog().map((e) => e.command)).toEqual(["subscribe", "subscribe", "subscribe", "subscribe"])
  })

  it("unsubscribe lowers the count without a reply; unknown identifiers are ignored", async () => {
    const { cable, welcomed, logs } = await startCable()
    const client = await welcomed()
    const id = identifierFor("room:1")
    await client.subscribeAndWait(id)
    client.send({ command: "unsubscribe", identifier: id })
    client.send({ command: "unsubscribe", identifier: "{\"channel\":\"Nope\"}" })
    await until(() => cable.controls.subscriptionCount("room:1") === 0)
    expect(cable.controls.subscriptionCount()).toBe(0)
    expect(cable.broadcast("room:1", "x")).toBe(0)
    // Resubscribing works and is confirmed again.
    expect((await client.subscribeAndWait(id)).type).toBe("confirm_subscription")
    // No reply to either unsubscribe: only the two confirmations follow the welcome.
    const confirm = { identifier: id, type: "confirm_subscription" }
    expect(client.frames.filter((f) => f.type !== "ping")).toEqual([{ type: "welcome" }, confirm, confirm])
    expect(logs.some((l) => l.includes("unknown"))).toBe(true)
    expect(cable.controls.commandLog().map((e) => e.command)).toEqual(["subscribe", "unsubscribe", "unsubscribe", "subscribe"])
  })

  it("broadcasts to that stream only, in order", async () => {
    const { cable, welcomed } = await startCable()
    const a = await welcomed()
    const b = await welcomed()
    const idA = identifierFor("stream:a")
    const idB = identifierFor("stream:b")
    await a.subscribeAndWait(idA)
    await b.subscribeAndWait(idB)

    let delivered = 0
    for (let i = 0; i < 500; i++) {
      delivered += cable.broadcast("stream:a", `<turbo-stream action="append" target="x">${i}</turbo-stream>`)
      if (i % 50 === 0) cable.broadcast("stream:b", `b${i}`)
    }
    expect(delivered).toBe(500)
    expect(cable.broadcast("stream:none", "x")).toBe(0)

    const received: unknown[] = []
    for (let i = 0; i < 500; i++) {
      const frame = await a.next((f) => f.type !== "ping")
      expect(frame.identifier).toBe(idA)
      received.push(frame.message)
    }
    expect(received).toEqual(Array.from({ length: 500 }, (_, i) => `<turbo-stream action="append" target="x">${i}</turbo-stream>`))

    const forB = []
    for (let i = 0; i < 10; i++) forB.push((await b.next()).message)
    expect(forB).toEqual(Array.from({ length: 10 }, (_, i) => `b${i * 50}`))
    // Nothing crossed over: a barrier broadcast arrives next on each.
    cable.broadcast("stream:a", "end-a")
    cable.broadcast("stream:b", "end-b")
    expect((await a.next()).message).toBe("end-a")
    expect((await b.next()).message).toBe("end-b")
  })

  it("sends the frame with identifier first, then message, and passes non-strings through as JSON", async () => {
    const { cable, welcomed } = await startCable()
    const client = await welcomed()
    const id = identifierFor("s")
    await client.subscribeAndWait(id)
    const raw = new Promise<string>((done) => client.socket.once("message", (d) => done(d.toString())))
    cable.broadcast("s", "<p>hi</p>")
    expect(await raw).toBe(`{"identifier":${JSON.stringify(id)},"message":"<p>hi</p>"}`)
    cable.broadcast("s", { a: 1 })
    await client.next()
    expect((await client.next()).message).toEqual({ a: 1 })
  })

  it("refuses an unauthenticated connection the way Rails does", async () => {
    const { cable, connect } = await startCable({ authenticate: () => null })
    const client = await connect()
    expect(await client.next(() => true)).toEqual({ type: "disconnect", reason: "unauthorized", reconnect: false })
    expect((await client.closed).code).toBe(1000)
    expect(cable.controls.connectionCount()).toBe(0)
  })

  it("gives hooks the authenticated identity, the stream and the params", async () => {
    const { cable, connect } = await startCable({
      authenticate: (req: IncomingMessage) => (req.headers["x-user"] as string | undefined) ?? null,
    })
    const events: unknown[] = []
    cable.onSubscribe = (conn, stream, params) => events.push(["sub", conn.identity, stream, params.room_id])
    cable.onUnsubscribe = (conn, stream) => events.push(["unsub", conn.identity, stream])
    cable.onMessage = (conn, params, data) => events.push(["msg", conn.identity, params.room_id, data])

    const client = await connect({ headers: { "x-user": "alice" } })
    await client.next()
    const id = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: sign(SECRET, "room:7"), room_id: "7" })
    await client.subscribeAndWait(id)
    client.send({ command: "message", identifier: id, data: JSON.stringify({ action: "speak", text: "hi" }) })
    client.send({ command: "message", identifier: id, data: "not json" })
    client.send({ command: "message", identifier: "unknown", data: "{}" })
    await until(() => events.length === 2)
    client.close() // the connection going away unsubscribes, as Rails' `unsubscribed`
    await until(() => events.length === 3)
    expect(events).toEqual([
      ["sub", "alice", "room:7", "7"],
      ["msg", "alice", "7", { action: "speak", text: "hi" }],
      ["unsub", "alice", "room:7"],
    ])
    await until(() => cable.controls.connectionCount() === 0)
    expect(cable.controls.subscriptionCount()).toBe(0)
  })

  it("ignores invalid JSON, unknown commands, binary and oversize frames and stays usable", async () => {
    const { cable, welcomed, logs } = await startCable({ maxFrameBytes: 1024 })
    cable.onMessage = () => {
      throw new Error("hook failure must not crash")
    }
    const client = await welcomed()
    client.send("not json")
    client.send("[1,2]")
    client.send("null")
    client.send({ command: "bogus", identifier: "x" })
    client.send({ command: "subscribe", identifier: { not: "a string" } })
    client.send({ command: "subscribe", identifier: "not json" })
    client.send({ command: "subscribe", identifier: identifierFor("big") + " ".repeat(2000) })
    client.socket.send(Buffer.from(JSON.stringify({ command: "subscribe", identifier: identifierFor("bin") })), { binary: true })
    const id = identifierFor("room:1")
    expect(await client.subscribeAndWait(id)).toEqual({ identifier: id, type: "confirm_subscription" })
    client.send({ command: "message", identifier: id, data: "{}" })
    expect(cable.controls.subscriptionCount()).toBe(1)
    expect(client.frames.filter((f) => f.type !== "ping")).toEqual([
      { type: "welcome" },
      { identifier: id, type: "confirm_subscription" },
    ])
    await until(() => logs.some((l) => l.includes("hook threw")))
    expect(logs.some((l) => l.includes("ignored"))).toBe(true)
    expect(cable.broadcast("room:1", "still alive")).toBe(1)
    expect((await client.next()).message).toBe("still alive")
  })

  it("closes a client that offers only an unsupported protocol", async () => {
    const { cable, connect } = await startCable()
    const client = await connect({ protocols: ["actioncable-v2-json", "actioncable-unsupported"] })
    expect(client.socket.protocol).toBe("actioncable-unsupported")
    await client.closed
    expect(client.frames).toEqual([])
    expect(cable.controls.connectionCount()).toBe(0)
  })

  it("answers upgrades on other paths with 404", async () => {
    const { port } = await startCable()
    const status = await new Promise<number>((done, fail) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`, CLIENT_PROTOCOLS)
      socket.on("unexpected-response", (_req, res) => done(res.statusCode ?? 0))
      socket.on("open", () => fail(new Error("opened")))
      socket.on("error", () => {})
    })
    expect(status).toBe(404)
  })

  it("closeAll, killAll and disconnectAll end every socket and forget its subscriptions at once", async () => {
    const { cable, welcomed } = await startCable()
    const subscribed = async () => {
      const c = await welcomed()
      await c.subscribeAndWait(identifierFor("s"))
      return c
    }

    let client = await subscribed()
    cable.controls.closeAll(4001)
    expect(cable.controls.subscriptionCount()).toBe(0)
    expect(cable.controls.connectionCount()).toBe(0)
    expect((await client.closed).code).toBe(4001)
    expect(() => cable.controls.closeAll(1006)).toThrow(RangeError)

    client = await subscribed()
    cable.controls.killAll()
    expect(cable.controls.connectionCount()).toBe(0)
    expect((await client.closed).code).toBe(1006) // no close frame

    client = await subscribed()
    cable.disconnectAll("server_restart", true)
    expect((await client.next()) as Frame).toEqual({ type: "disconnect", reason: "server_restart", reconnect: true })
    expect((await client.closed).code).toBe(1000)
    expect(cable.controls.subscriptionCount()).toBe(0)
  })

  it("close() stops serving; attach() serves again with the command log kept", async () => {
    const { cable, http, welcomed, port } = await startCable()
    const client = await welcomed()
    await client.subscribeAndWait(identifierFor("s"))
    await cable.close()
    expect((await client.closed).code).toBe(1006)
    await expect(Client.open(`ws://127.0.0.1:${port}/cable`)).rejects.toThrow()
    cable.attach(http)
    const again = await welcomed()
    expect(again.frames[0]).toEqual({ type: "welcome" })
    expect(cable.controls.commandLog()).toHaveLength(1)
  })
})

// ---- test_server process ---------------------------------------------------------------------

interface Spawned {
  child: ChildProcess
  app: number
  control: number
  stderr: () => string
}

async function spawnTestServer(env: Record<string, string> = {}): Promise<Spawned> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(HERE, "test_server.ts")], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stderr = ""
  child.stderr!.on("data", (d) => (stderr += d))
  const ready = await new Promise<{ app: number; control: number }>((done, fail) => {
    let out = ""
    const timer = setTimeout(() => fail(new Error(`no READY line; stderr: ${stderr}`)), 15000)
    child.stdout!.on("data", (d) => {
      out += d
      const line = out.split("\n").find((l) => l.startsWith("READY "))
      if (line) {
        clearTimeout(timer)
        done(JSON.parse(line.slice("READY ".length)))
      }
    })
    child.once("exit", (code) => fail(new Error(`exited ${code}; stderr: ${stderr}`)))
  })
  const spawned = { child, ...ready, stderr: () => stderr }
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL")
  })
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
