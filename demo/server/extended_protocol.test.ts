// @vitest-environment node
// AnyCable's `actioncable-v1-ext-json` as anycable-go speaks it, against a real `ws` client.

import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { Client, CLIENT_PROTOCOLS, EXTENDED_PROTOCOLS, type Frame } from "../../test/server/ws_test_client"
import { CableServer } from "./cable_server"
import type { CableServerOptions } from "./options"
import { sign } from "./signed_stream"

const SECRET = "test-secret"
const turbo = (stream: string) => JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: sign(SECRET, stream) })
const pubsub = (stream: string) => JSON.stringify({ channel: "$pubsub", stream_name: stream })
const isType = (type: string) => (frame: Frame) => frame.type === type
const isMessage = (frame: Frame) => "message" in frame && frame.type === undefined

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A clock the test moves by hand, for TTLs. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

async function startCable(options: Partial<CableServerOptions> = {}) {
  const logs: string[] = []
  const cable = new CableServer({ secret: SECRET, log: (line) => logs.push(line), pubsub: { public: true }, ...options })
  const http: Server = createServer((_req, res) => res.writeHead(404).end())
  cable.attach(http)
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done))
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/cable`
  const clients: Client[] = []
  cleanups.push(async () => {
    clients.forEach((c) => c.close())
    await cable.close()
    await new Promise((done) => http.close(done))
  })
  const connect = async (opts: { protocols?: string[]; query?: string; headers?: Record<string, string> } = {}) => {
    const client = await Client.open(url + (opts.query ?? ""), { protocols: opts.protocols ?? EXTENDED_PROTOCOLS, headers: opts.headers })
    clients.push(client)
    return client
  }
  /** An extended-protocol client past its welcome, and its sid. */
  const welcomed = async (opts: Parameters<typeof connect>[0] = {}) => {
    const client = await connect(opts)
    const welcome = await client.next()
    expect(welcome).toMatchObject({ type: "welcome", sid: expect.any(String) })
    return Object.assign(client, { sid: welcome.sid as string, welcome })
  }
  const subscribed = async (identifier: string, opts: Parameters<typeof connect>[0] = {}) => {
    const client = await welcomed(opts)
    expect(await client.subscribeAndWait(identifier)).toMatchObject({ type: "confirm_subscription" })
    return client
  }
  return { cable, logs, connect, welcomed, subscribed }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Frames that arrive within `ms` (after those already read). */
async function framesWithin(client: Client, ms: number): Promise<Frame[]> {
  const seen: Frame[] = []
  const collect = (frame: Frame) => {
    seen.push(frame)
    return false
  }
  await client.next(collect, ms).catch(() => {})
  return seen.filter((frame) => frame.type !== "ping")
}

describe("subprotocol negotiation", () => {
  it("picks the extended protocol when it is offered, in any order", async () => {
    const { connect } = await startCable()
    for (const protocols of [["actioncable-v1-ext-json"], ["actioncable-v1-ext-json", "actioncable-v1-json"], ["actioncable-v1-json", "actioncable-v1-ext-json"]]) {
      const client = await connect({ protocols })
      expect(client.socket.protocol).toBe("actioncable-v1-ext-json")
      expect(await client.next()).toEqual({ type: "welcome", sid: expect.any(String) })
    }
  })

  it("speaks plain Action Cable, welcome and all, to a client that offers only that", async () => {
    const { connect } = await startCable()
    const client = await connect({ protocols: CLIENT_PROTOCOLS })
    expect(client.socket.protocol).toBe("actioncable-v1-json")
    expect(await client.next()).toEqual({ type: "welcome" })
  })

  it("with preferPlainProtocol picks the plain protocol when both are offered, as anycable-go 1.5 does", async () => {
    const { connect } = await startCable({ preferPlainProtocol: true })
    const both = await connect({ protocols: ["actioncable-v1-ext-json", "actioncable-v1-json"] })
    expect(both.socket.protocol).toBe("actioncable-v1-json")
    const extendedOnly = await connect()
    expect(extendedOnly.socket.protocol).toBe("actioncable-v1-ext-json")
  })

  it("with the extended protocol off is a plain server, and a client that offers only the extended one gets no protocol", async () => {
    const { connect } = await startCable({ extendedProtocol: false })
    const both = await connect({ protocols: ["actioncable-v1-ext-json", "actioncable-v1-json"] })
    expect(both.socket.protocol).toBe("actioncable-v1-json")
    expect(await both.next()).toEqual({ type: "welcome" })
    expect(await connect().then(() => "open", (err: Error) => err.message)).toBe("Server sent no subprotocol")
  })
})

describe("broadcasts", () => {
  it("carry stream_id, epoch and an offset per stream that starts at 1 and rises by 1", async () => {
    const { cable, subscribed } = await startCable()
    const client = await subscribed(turbo("room"))
    const other = await client.subscribeAndWait(turbo("other"))
    expect(other.type).toBe("confirm_subscription")
    cable.broadcast("room", "a")
    cable.broadcast("room", "b")
    cable.broadcast("other", "c")
    const frames = [await client.next(), await client.next(), await client.next()]
    const epoch = frames[0]!.epoch
    expect(epoch).toEqual(expect.any(String))
    expect(frames).toEqual([
      { identifier: turbo("room"), message: "a", stream_id: "room", epoch, offset: 1 },
      { identifier: turbo("room"), message: "b", stream_id: "room", epoch, offset: 2 },
      { identifier: turbo("other"), message: "c", stream_id: "other", epoch, offset: 1 },
    ])
  })

  it("reach a plain client on the same stream byte for byte as Rails sends them", async () => {
    const { cable, connect, subscribed } = await startCable()
    await subscribed(turbo("room"))
    const plain = await connect({ protocols: CLIENT_PROTOCOLS })
    await plain.next()
    await plain.subscribeAndWait(turbo("room"))
    const raw: string[] = []
    plain.socket.on("message", (data) => raw.push(data.toString()))
    cable.broadcast("room", "<turbo-stream></turbo-stream>")
    await until(() => raw.length === 1)
    expect(raw[0]).toBe(`{"identifier":${JSON.stringify(turbo("room"))},"message":"<turbo-stream></turbo-stream>"}`)
  })

  it("that are transient carry no position and are not stored", async () => {
    const { cable, subscribed } = await startCable()
    const client = await subscribed(turbo("room"))
    cable.broadcast("room", "stored")
    cable.broadcast("room", "passing", { transient: true })
    cable.broadcast("room", "stored too")
    await client.next()
    expect(await client.next()).toEqual({ identifier: turbo("room"), message: "passing" })
    expect((await client.next()).offset).toBe(2)
    expect(cable.controls.historyOf("room").size).toBe(2)
  })

  it("are stored even when nobody follows the stream", async () => {
    const { cable } = await startCable()
    cable.broadcast("empty-room", "x")
    expect(cable.controls.historyOf("empty-room").size).toBe(1)
  })

  it("keep the last 100 messages of a stream by default, or as many as configured", async () => {
    const { cable } = await startCable()
    for (let i = 0; i < 105; i++) cable.broadcast("room", i)
    expect(cable.controls.historyOf("room").size).toBe(100)
    const small = (await startCable({ broker: { history: { limit: 3 } } })).cable
    for (let i = 0; i < 5; i++) small.broadcast("room", i)
    expect(small.controls.historyOf("room").size).toBe(3)
  })
})

describe("session restore", () => {
  it("after a dropped line, takes the subscriptions back without authenticating, under a new sid", async () => {
    let logins = 0
    const { cable, subscribed, connect } = await startCable({ authenticate: () => (++logins === 1 ? "alice" : null) })
    const first = await subscribed(turbo("room"))
    await first.subscribeAndWait(turbo("other"))
    cable.controls.killAll()
    await first.closed

    const again = await connect({ query: `?sid=${first.sid}` })
    const welcome = await again.next()
    expect(welcome).toEqual({ type: "welcome", sid: expect.any(String), restored: true, restored_ids: [turbo("room"), turbo("other")] })
    expect(welcome.sid).not.toBe(first.sid)
    expect(logins).toBe(1)
    cable.broadcast("room", "after")
    expect(await again.next()).toMatchObject({ identifier: turbo("room"), message: "after" })
  })

  it("reads the sid from the X-ANYCABLE-RESTORE-SID header too", async () => {
    const { cable, subscribed, connect } = await startCable()
    const first = await subscribed(turbo("room"))
    cable.controls.killAll()
    const again = await connect({ headers: { "X-ANYCABLE-RESTORE-SID": first.sid } })
    expect(await again.next()).toMatchObject({ type: "welcome", restored: true })
  })

  it("can restore the restored session again, by its new sid", async () => {
    const { cable, subscribed, connect } = await startCable()
    const first = await subscribed(turbo("room"))
    cable.controls.killAll()
    const second = await connect({ query: `?sid=${first.sid}` })
    const { sid } = await second.next()
    cable.controls.killAll()
    const third = await connect({ query: `?sid=${sid}` })
    expect(await third.next()).toMatchObject({ restored: true, restored_ids: [turbo("room")] })
  })

  it("is refused once the session TTL has passed since the socket closed: a fresh welcome", async () => {
    const clock = manualClock()
    const { cable, subscribed, connect } = await startCable({ broker: { sessionTtlSeconds: 60, clock: clock.now } })
    const first = await subscribed(turbo("room"))
    cable.controls.killAll()
    clock.advance(59_000)
    const within = await connect({ query: `?sid=${first.sid}` })
    const { sid } = await within.next()
    cable.controls.killAll()
    clock.advance(61_000)
    const late = await connect({ query: `?sid=${sid}` })
    expect(await late.next()).toEqual({ type: "welcome", sid: expect.any(String) })
  })

  it("is refused for a session that never subscribed (anycable-go caches a session at its first subscribe)", async () => {
    const { cable, welcomed, connect } = await startCable()
    const first = await welcomed()
    cable.controls.killAll()
    const again = await connect({ query: `?sid=${first.sid}` })
    expect(await again.next()).toEqual({ type: "welcome", sid: expect.any(String) })
  })

  it("does not bring back a channel the client unsubscribed from", async () => {
    const { cable, subscribed, connect } = await startCable()
    const first = await subscribed(turbo("room"))
    await first.subscribeAndWait(turbo("other"))
    first.send({ command: "unsubscribe", identifier: turbo("other") })
    await until(() => cable.controls.subscriptionCount("other") === 0)
    cable.controls.killAll()
    const again = await connect({ query: `?sid=${first.sid}` })
    expect(await again.next()).toMatchObject({ restored_ids: [turbo("room")] })
  })

  it("is forgotten when the server disconnects the client, or closes its socket cleanly", async () => {
    for (const end of [(cable: CableServer) => cable.disconnectAll("server_restart", true), (cable: CableServer) => cable.controls.closeAll()]) {
      const { cable, subscribed, connect } = await startCable()
      const first = await subscribed(turbo("room"))
      end(cable)
      await first.closed
      const again = await connect({ query: `?sid=${first.sid}` })
      expect(await again.next()).toEqual({ type: "welcome", sid: expect.any(String) })
    }
  })

  it("is not offered to a plain Action Cable client", async () => {
    const { cable, subscribed, connect } = await startCable()
    const first = await subscribed(turbo("room"))
    cable.controls.killAll()
    const plain = await connect({ protocols: CLIENT_PROTOCOLS, query: `?sid=${first.sid}` })
    expect(await plain.next()).toEqual({ type: "welcome" })
  })
})

describe("history", () => {
  async function withMessages(count: number, options: Partial<CableServerOptions> = {}) {
    const server = await startCable(options)
    for (let i = 1; i <= count; i++) server.cable.broadcast("room", `m${i}`)
    const { epoch } = server.cable.controls.historyOf("room")
    const client = await server.subscribed(turbo("room"))
    const ask = (history: unknown) => client.send({ command: "history", identifier: turbo("room"), history })
    return { ...server, epoch, client, ask }
  }

  it("replays the entries above the client's offset as broadcasts, then confirm_history", async () => {
    const { epoch, client, ask } = await withMessages(4)
    ask({ since: 0, streams: { room: { epoch, offset: 2 } } })
    expect([await client.next(), await client.next(), await client.next()]).toEqual([
      { identifier: turbo("room"), message: "m3", stream_id: "room", epoch, offset: 3 },
      { identifier: turbo("room"), message: "m4", stream_id: "room", epoch, offset: 4 },
      { type: "confirm_history", identifier: turbo("room") },
    ])
  })

  it("at the last offset confirms with nothing to replay", async () => {
    const { epoch, client, ask } = await withMessages(2)
    ask({ streams: { room: { epoch, offset: 2 } } })
    expect(await client.next()).toEqual({ type: "confirm_history", identifier: turbo("room") })
  })

  it("without a position for the stream replays what was stored at or after `since` (seconds)", async () => {
    const clock = manualClock()
    const { cable, client, ask } = await withMessages(1, { broker: { clock: clock.now } })
    clock.advance(10_000)
    cable.broadcast("room", "later")
    await client.next()
    ask({ since: clock.now() / 1000, streams: {} })
    expect(await client.next()).toMatchObject({ message: "later", offset: 2 })
    expect(await client.next()).toEqual({ type: "confirm_history", identifier: turbo("room") })
  })

  it("with `since` on a stream never broadcast to confirms with nothing", async () => {
    const { subscribed } = await startCable()
    const client = await subscribed(turbo("quiet"))
    client.send({ command: "history", identifier: turbo("quiet"), history: { since: 1 } })
    expect(await client.next()).toEqual({ type: "confirm_history", identifier: turbo("quiet") })
  })

  it.each([
    ["another epoch", (epoch: string) => ({ room: { epoch: epoch + "x", offset: 1 } })],
    ["an offset above the last", (epoch: string) => ({ room: { epoch, offset: 9 } })],
    ["an offset below the oldest kept", (epoch: string) => ({ room: { epoch, offset: 1 } })],
  ])("fails whole, with only reject_history, for %s", async (_case, streams) => {
    const { epoch, client, ask } = await withMessages(5, { broker: { history: { limit: 3 } } })
    ask({ since: 1, streams: streams(epoch) })
    expect(await framesWithin(client, 200)).toEqual([{ type: "reject_history", identifier: turbo("room") }])
  })

  it("fails for a position on a stream it does not know", async () => {
    const { cable, subscribed } = await startCable()
    const client = await subscribed(turbo("unknown"))
    client.send({ command: "history", identifier: turbo("unknown"), history: { streams: { unknown: { epoch: cable.controls.historyOf("x").epoch, offset: 1 } } } })
    expect(await framesWithin(client, 200)).toEqual([{ type: "reject_history", identifier: turbo("unknown") }])
  })

  it("fails for an offset whose messages outlived the history TTL", async () => {
    const clock = manualClock()
    const { epoch, client, ask } = await withMessages(2, { broker: { history: { ttlSeconds: 60 }, clock: clock.now } })
    clock.advance(61_000)
    ask({ streams: { room: { epoch, offset: 1 } } })
    expect(await framesWithin(client, 200)).toEqual([{ type: "reject_history", identifier: turbo("room") }])
  })

  it("keeps offsets rising after the messages expired, within the same epoch", async () => {
    const clock = manualClock()
    const { cable, client } = await withMessages(2, { broker: { history: { ttlSeconds: 60 }, clock: clock.now } })
    clock.advance(61_000)
    cable.broadcast("room", "m3")
    expect(await client.next()).toMatchObject({ message: "m3", offset: 3 })
  })

  it("without `since` or `streams` is an error: nothing is sent", async () => {
    const { client, ask, logs } = await withMessages(2)
    ask({})
    expect(await framesWithin(client, 200)).toEqual([])
    expect(logs.some((line) => line.includes("without since or streams"))).toBe(true)
  })

  it("asked inside subscribe is answered after the confirmation", async () => {
    const { cable, welcomed } = await startCable()
    cable.broadcast("room", "m1")
    cable.broadcast("room", "m2")
    const { epoch } = cable.controls.historyOf("room")
    const client = await welcomed()
    client.send({ command: "subscribe", identifier: turbo("room"), history: { since: 0, streams: { room: { epoch, offset: 1 } } } })
    expect([await client.next(), await client.next(), await client.next()]).toEqual([
      { identifier: turbo("room"), type: "confirm_subscription" },
      { identifier: turbo("room"), message: "m2", stream_id: "room", epoch, offset: 2 },
      { type: "confirm_history", identifier: turbo("room") },
    ])
  })
})

describe("whisper", () => {
  it("reaches the stream's other subscribers, not the sender, and is not stored", async () => {
    const { cable, subscribed } = await startCable()
    const alice = await subscribed(pubsub("room"))
    const bob = await subscribed(pubsub("room"))
    alice.send({ command: "whisper", identifier: pubsub("room"), data: { typing: "alice" } })
    expect(await bob.next()).toEqual({ identifier: pubsub("room"), message: { typing: "alice" } })
    expect(await framesWithin(alice, 200)).toEqual([])
    expect(cable.controls.historyOf("room").size).toBe(0)
  })

  it("is ignored on a channel that does not allow it (Turbo streams, as in anycable-go)", async () => {
    const { subscribed } = await startCable()
    const alice = await subscribed(turbo("room"))
    const bob = await subscribed(turbo("room"))
    alice.send({ command: "whisper", identifier: turbo("room"), data: { typing: "alice" } })
    expect(await framesWithin(bob, 200)).toEqual([])
  })

  it("is allowed on an app channel that says so", async () => {
    const { subscribed } = await startCable({ channels: { ChatChannel: () => ({ stream: "chat", whisper: true }) } })
    const identifier = JSON.stringify({ channel: "ChatChannel" })
    const alice = await subscribed(identifier)
    const bob = await subscribed(identifier)
    alice.send({ command: "whisper", identifier, data: { hi: 1 } })
    expect(await bob.next()).toEqual({ identifier, message: { hi: 1 } })
  })
})

describe("presence", () => {
  const presenceOf = (frame: Frame) => frame.type === "presence"

  it("tells every subscriber, the one who joined too, of a join and a leave", async () => {
    const { subscribed } = await startCable()
    const alice = await subscribed(pubsub("room"))
    const bob = await subscribed(pubsub("room"))
    alice.send({ command: "join", identifier: pubsub("room"), presence: { id: "1", info: { name: "Alice" } } })
    const join = { type: "presence", identifier: pubsub("room"), message: { type: "join", id: "1", info: { name: "Alice" } } }
    expect(await alice.next(presenceOf)).toEqual(join)
    expect(await bob.next(presenceOf)).toEqual(join)
    alice.send({ command: "leave", identifier: pubsub("room") })
    expect(await bob.next(presenceOf)).toEqual({ type: "presence", identifier: pubsub("room"), message: { type: "leave", id: "1" } })
  })

  it("answers `presence` with who is there", async () => {
    const { subscribed } = await startCable()
    const alice = await subscribed(pubsub("room"))
    const bob = await subscribed(pubsub("room"))
    bob.send({ command: "presence", identifier: pubsub("room"), data: {} })
    expect(await bob.next(presenceOf)).toEqual({ type: "presence", identifier: pubsub("room"), message: { type: "info", total: 0 } })
    alice.send({ command: "join", identifier: pubsub("room"), presence: { id: "1", info: "Alice" } })
    await bob.next(presenceOf)
    bob.send({ command: "presence", identifier: pubsub("room"), data: {} })
    expect(await bob.next(presenceOf)).toEqual({
      type: "presence",
      identifier: pubsub("room"),
      message: { type: "info", total: 1, records: [{ info: "Alice", id: "1" }] },
    })
  })

  it("joins a second session of the same id silently, and leaves only with the last", async () => {
    const { subscribed } = await startCable()
    const tab1 = await subscribed(pubsub("room"))
    const tab2 = await subscribed(pubsub("room"))
    const watcher = await subscribed(pubsub("room"))
    tab1.send({ command: "join", identifier: pubsub("room"), presence: { id: "1", info: "A" } })
    await watcher.next(presenceOf)
    tab2.send({ command: "join", identifier: pubsub("room"), presence: { id: "1", info: "A" } })
    tab1.send({ command: "leave", identifier: pubsub("room") })
    expect(await framesWithin(watcher, 200)).toEqual([])
    tab2.send({ command: "leave", identifier: pubsub("room") })
    expect(await watcher.next(presenceOf)).toMatchObject({ message: { type: "leave", id: "1" } })
  })

  it("lasts the presence TTL after a socket closes, so a client back in time is never seen leaving", async () => {
    const { cable, subscribed, connect } = await startCable({ presenceTtlSeconds: 0.3 })
    const alice = await subscribed(pubsub("room"))
    const watcher = await subscribed(pubsub("room"))
    alice.send({ command: "join", identifier: pubsub("room"), presence: { id: "1", info: "A" } })
    await watcher.next(presenceOf)
    alice.close()
    await alice.closed
    const back = await connect({ query: `?sid=${alice.sid}` })
    expect(await back.next()).toMatchObject({ restored: true })
    back.send({ command: "join", identifier: pubsub("room"), presence: { id: "1", info: "A" } })
    expect(await framesWithin(watcher, 600)).toEqual([])
    back.close()
    expect(await watcher.next(presenceOf, 2000)).toMatchObject({ message: { type: "leave", id: "1" } })
    expect(cable.controls.subscriptionCount("room")).toBe(1)
  })

  it("is ignored on a channel without presence", async () => {
    const { subscribed } = await startCable()
    const alice = await subscribed(turbo("room"))
    alice.send({ command: "join", identifier: turbo("room"), presence: { id: "1" } })
    alice.send({ command: "presence", identifier: turbo("room"), data: {} })
    expect(await framesWithin(alice, 200)).toEqual([])
  })
})

describe("pongs", () => {
  it("are accepted; without a pong timeout nobody is disconnected for sending none", async () => {
    const { subscribed } = await startCable({ pingIntervalMs: 50 })
    const client = await subscribed(turbo("room"))
    client.send({ command: "pong" })
    await new Promise((r) => setTimeout(r, 300))
    expect(client.socket.readyState).toBe(client.socket.OPEN)
  })

  it("with a pong timeout, keep a client that sends them and disconnect one that does not (no_pong, reconnect)", async () => {
    const { welcomed, connect } = await startCable({ pingIntervalMs: 50, pongTimeoutMs: 200 })
    const ponging = await welcomed()
    ponging.socket.on("message", (data) => JSON.parse(data.toString()).type === "ping" && ponging.send({ command: "pong" }))
    const silent = await welcomed()
    expect(await silent.next(isType("disconnect"), 2000)).toEqual({ type: "disconnect", reason: "no_pong", reconnect: true })
    expect(ponging.socket.readyState).toBe(ponging.socket.OPEN)
    const plain = await connect({ protocols: CLIENT_PROTOCOLS })
    await new Promise((r) => setTimeout(r, 400))
    expect(plain.socket.readyState).toBe(plain.socket.OPEN)
  })
})

describe("a broker kept in a file", () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  const brokerFile = () => {
    const dir = mkdtempSync(join(tmpdir(), "broker-"))
    dirs.push(dir)
    return join(dir, "broker.json")
  }

  it("outlives a restart: same epoch, history from the client's offset, session restorable", async () => {
    const file = brokerFile()
    const before = await startCable({ broker: { file } })
    const client = await before.subscribed(turbo("room"))
    before.cable.broadcast("room", "m1")
    const seen = await client.next(isMessage)
    await before.cable.close()
    before.cable.broadcast("room", "m2") // while no client is connected

    await before.cable.close()
    const after = await startCable({ broker: { file } })
    expect(after.cable.controls.historyOf("room")).toEqual({ epoch: seen.epoch, size: 2 })
    const back = await after.connect({ query: `?sid=${client.sid}` })
    expect(await back.next()).toMatchObject({ restored: true, restored_ids: [turbo("room")] })
    back.send({ command: "history", identifier: turbo("room"), history: { streams: { room: { epoch: seen.epoch, offset: 1 } } } })
    expect(await back.next()).toMatchObject({ message: "m2", offset: 2, epoch: seen.epoch })
    expect(await back.next()).toEqual({ type: "confirm_history", identifier: turbo("room") })
  })

  it("without a file a restart is a new epoch: old positions are rejected", async () => {
    const first = await startCable()
    first.cable.broadcast("room", "m1")
    const { epoch } = first.cable.controls.historyOf("room")
    const second = await startCable()
    expect(second.cable.controls.historyOf("room").epoch).not.toBe(epoch)
    const client = await second.subscribed(turbo("room"))
    client.send({ command: "history", identifier: turbo("room"), history: { streams: { room: { epoch, offset: 1 } } } })
    expect(await client.next()).toEqual({ type: "reject_history", identifier: turbo("room") })
  })

  it("resetBroker starts a new epoch with nothing kept", async () => {
    const { cable, subscribed, connect } = await startCable()
    const client = await subscribed(turbo("room"))
    cable.broadcast("room", "m1")
    const { epoch } = cable.controls.historyOf("room")
    cable.controls.killAll()
    cable.controls.resetBroker()
    expect(cable.controls.historyOf("room")).toEqual({ epoch: expect.not.stringMatching(epoch), size: 0 })
    const back = await connect({ query: `?sid=${client.sid}` })
    expect(await back.next()).toEqual({ type: "welcome", sid: expect.any(String) })
  })
})
