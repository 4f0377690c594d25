// @vitest-environment node
// Real sockets only: a real `ws` client against a real server on 127.0.0.1.

import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import WebSocket from "ws"
import { Client, CLIENT_PROTOCOLS, type Frame } from "../../test/server/ws_test_client"
import { CableServer } from "./cable_server"
import type { CableServerOptions } from "./options"
import { PROTOCOL } from "./protocol"
import { sign } from "./signed_stream"

const SECRET = "test-secret"

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
