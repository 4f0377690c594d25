// AnyCable's extended protocol as the page's cable speaks it: negotiation, session restore, pongs. The test
// plays the server with a FakeWebSocket, the plain protocol beside it.
import { afterEach, describe, expect, it } from "vitest"
import type { ExtendedProtocolChoice } from "../../src/config"
import { HISTORY_TIMEOUT } from "../../src/extended/stream_history"
import { createPageCable, type PageCable } from "../../src/page_cable"
import { FakeClock } from "../support/fake_clock"
import { FakeWebSocket, settle } from "../support/fake_socket"

const EXT = "actioncable-v1-ext-json"
const STREAM = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "s" })
const OTHER = JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: "t" })

let clock: FakeClock
let page: PageCable

function makePage(extendedProtocol?: ExtendedProtocolChoice) {
  FakeWebSocket.reset()
  clock = new FakeClock()
  page = createPageCable({
    options: { url: () => "ws://cable.test/cable", ...(extendedProtocol && { extendedProtocol }) },
    clock,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    document: null,
  })
  return page
}

afterEach(() => page.handle.stop())

function recorder() {
  const log: string[] = []
  return {
    log,
    subscriptionConfirmed: (reconnected: boolean) => log.push(reconnected ? "confirmed again" : "confirmed"),
    subscriptionLost: () => log.push("lost"),
    subscriptionRejected: () => log.push("rejected"),
  }
}

async function connect(protocol: string, welcome: object): Promise<FakeWebSocket> {
  await settle()
  const socket = FakeWebSocket.latest
  socket.accept(protocol)
  socket.receive({ type: "welcome", ...welcome })
  return socket
}

/** Drops the socket and lets the backoff run out: the next socket is opened. */
async function dropAndWait(socket: FakeWebSocket): Promise<void> {
  socket.drop()
  await settle()
  clock.advance(1_000)
  await settle()
}

describe("Negotiation", () => {
  it.each([
    ["prefer", [EXT, "actioncable-v1-json", "actioncable-unsupported"]],
    ["only", [EXT, "actioncable-unsupported"]],
    ["off", ["actioncable-v1-json", "actioncable-unsupported"]],
  ] as const)("extendedProtocol %s offers %j", async (choice, offered) => {
    makePage(choice).attachSource(STREAM, recorder())
    await settle()
    expect(FakeWebSocket.latest.protocols).toEqual(offered)
  })
})

describe("Session restore", () => {
  it("reconnects with the sid of the last welcome", async () => {
    makePage().attachSource(STREAM, recorder())
    const first = await connect(EXT, { sid: "one" })
    await dropAndWait(first)
    expect(FakeWebSocket.latest.url).toBe("ws://cable.test/cable?sid=one")
    const second = await connect(EXT, { sid: "two" })
    await dropAndWait(second)
    expect(FakeWebSocket.latest.url).toBe("ws://cable.test/cable?sid=two")
  })

  it("forgets the sid when the server disconnects", async () => {
    makePage().attachSource(STREAM, recorder())
    const first = await connect(EXT, { sid: "one" })
    first.receive({ type: "disconnect", reason: "server_restart", reconnect: true })
    await settle()
    clock.advance(1_000)
    await settle()
    expect(FakeWebSocket.latest.url).toBe("ws://cable.test/cable")
  })

  it("ignores a sid on the plain protocol", async () => {
    makePage().attachSource(STREAM, recorder())
    const first = await connect("actioncable-v1-json", { sid: "one" })
    await dropAndWait(first)
    expect(FakeWebSocket.latest.url).toBe("ws://cable.test/cable")
  })

  it("keeps restored subscriptions confirmed without a subscribe (asking their history), and subscribes the others again", async () => {
    makePage()
    const restored = recorder()
    const other = recorder()
    page.attachSource(STREAM, restored)
    page.attachSource(OTHER, other)
    const first = await connect(EXT, { sid: "one" })
    first.receive({ type: "confirm_subscription", identifier: STREAM })
    first.receive({ type: "confirm_subscription", identifier: OTHER })
    await dropAndWait(first)
    const second = await connect(EXT, { sid: "two", restored: true, restored_ids: [STREAM] })
    expect(second.sent.map((command) => [command.command, command.identifier])).toEqual([
      ["subscribe", OTHER],
      ["history", STREAM],
    ])
    expect(restored.log).toEqual(["confirmed", "lost", "confirmed again"])
    second.receive({ type: "confirm_subscription", identifier: OTHER })
    expect(other.log).toEqual(["confirmed", "lost", "confirmed again"])
  })

  it("unsubscribes a restored subscription the page no longer has", async () => {
    makePage()
    const source = recorder()
    page.attachSource(STREAM, source)
    const socket = await connect(EXT, { sid: "one" })
    socket.receive({ type: "confirm_subscription", identifier: STREAM })
    page.detachSource(STREAM, source)
    await dropAndWait(socket)
    const next = await connect(EXT, { sid: "two", restored: true, restored_ids: [STREAM] })
    expect(next.sent.map((command) => command.command)).toEqual(["unsubscribe"])
  })

  it("gives app channels connected({reconnected: true}) for a restored subscription", async () => {
    makePage()
    const calls: unknown[] = []
    page.consumer.subscriptions.create("ChatChannel", { connected: (details: unknown) => calls.push(details) })
    const first = await connect(EXT, { sid: "one" })
    first.receive({ type: "confirm_subscription", identifier: '{"channel":"ChatChannel"}' })
    await dropAndWait(first)
    await connect(EXT, { sid: "two", restored: true, restored_ids: ['{"channel":"ChatChannel"}'] })
    expect(calls).toEqual([{ reconnected: false }, { reconnected: true }])
  })
})

describe("Pongs", () => {
  it("answers pings with a pong on the extended protocol, and not on the plain one", async () => {
    makePage().attachSource(STREAM, recorder())
    const ext = await connect(EXT, { sid: "one" })
    ext.receive({ type: "ping", message: 1 })
    expect(ext.sent.filter((command) => command.command == "pong")).toHaveLength(1)
    page.handle.stop()

    makePage().attachSource(STREAM, recorder())
    const plain = await connect("actioncable-v1-json", {})
    plain.receive({ type: "ping", message: 1 })
    expect(plain.sent.map((command) => command.command)).toEqual(["subscribe"])
  })
})

describe("History", () => {
  const broadcast = (offset: number, epoch = "e1") => ({ identifier: STREAM, message: `m${offset}`, stream_id: "s", epoch, offset })

  /** A feed for content the server rendered 3 s ago, whose messages the test reads. */
  function pageReceiving() {
    makePage()
    const received: unknown[] = []
    page.registry.attach(STREAM, { ...recorder(), receive: (message) => received.push(message) }, { since: Math.floor((clock.now() - 3_000) / 1000) })
    return received
  }

  it("asks the first subscribe's history since the server rendered its content, in seconds", async () => {
    pageReceiving()
    const socket = await connect(EXT, { sid: "one" })
    expect(socket.sent[0]).toMatchObject({ command: "subscribe", identifier: STREAM, history: { since: Math.floor((clock.now() - 3_000) / 1000), streams: {} } })
  })

  it("asks no history for an app channel's first subscribe (nothing rendered it), and after a drop asks from its confirmation", async () => {
    makePage()
    page.consumer.subscriptions.create("ChatChannel", {})
    const first = await connect(EXT, { sid: "one" })
    expect(first.sent).toEqual([{ command: "subscribe", identifier: '{"channel":"ChatChannel"}' }])
    first.receive({ type: "confirm_subscription", identifier: '{"channel":"ChatChannel"}' })
    const confirmedAt = Math.floor(clock.now() / 1000)
    await dropAndWait(first)
    const second = await connect(EXT, { sid: "two" })
    expect(second.sent[0]).toMatchObject({ command: "subscribe", history: { since: confirmedAt, streams: {} } })
  })

  it("asks a plain subscribe on the plain protocol", async () => {
    pageReceiving()
    const socket = await connect("actioncable-v1-json", {})
    expect(socket.sent).toEqual([{ command: "subscribe", identifier: STREAM }])
  })

  it("holds live messages until the history is confirmed, then applies them in offset order, each once", async () => {
    const received = pageReceiving()
    const socket = await connect(EXT, { sid: "one" })
    socket.receive({ type: "confirm_subscription", identifier: STREAM })
    for (const offset of [3, 1, 2, 3]) socket.receive(broadcast(offset))
    expect(received).toEqual([])
    socket.receive({ type: "confirm_history", identifier: STREAM })
    expect(received).toEqual(["m1", "m2", "m3"])
    socket.receive(broadcast(2))
    socket.receive(broadcast(4))
    expect(received).toEqual(["m1", "m2", "m3", "m4"])
  })

  it("asks a restored session's history after the last offset applied, and applies the replay once", async () => {
    const received = pageReceiving()
    const first = await connect(EXT, { sid: "one" })
    first.receive({ type: "confirm_subscription", identifier: STREAM })
    first.receive({ type: "confirm_history", identifier: STREAM })
    first.receive(broadcast(1))
    first.receive(broadcast(2))
    await dropAndWait(first)
    const second = await connect(EXT, { sid: "two", restored: true, restored_ids: [STREAM] })
    expect(second.sent).toEqual([{ command: "history", identifier: STREAM, history: { since: expect.any(Number), streams: { s: { epoch: "e1", offset: 2 } } } }])
    second.receive(broadcast(4)) // live, racing the replay
    second.receive(broadcast(2))
    second.receive(broadcast(3))
    second.receive({ type: "confirm_history", identifier: STREAM })
    expect(received).toEqual(["m1", "m2", "m3", "m4"])
  })

  it("subscribes again after a drop with the positions it has", async () => {
    pageReceiving()
    const first = await connect(EXT, { sid: "one" })
    first.receive({ type: "confirm_subscription", identifier: STREAM })
    first.receive({ type: "confirm_history", identifier: STREAM })
    first.receive(broadcast(5))
    await dropAndWait(first)
    const second = await connect(EXT, { sid: "two" })
    expect(second.sent[0]).toMatchObject({ command: "subscribe", history: { streams: { s: { epoch: "e1", offset: 5 } } } })
  })

  it("applies what it held when the history is rejected", async () => {
    const received = pageReceiving()
    const socket = await connect(EXT, { sid: "one" })
    socket.receive({ type: "confirm_subscription", identifier: STREAM })
    socket.receive(broadcast(1, "e2"))
    socket.receive({ type: "reject_history", identifier: STREAM })
    expect(received).toEqual(["m1"])
  })

  it("ignores a history frame with a bad shape without throwing", async () => {
    pageReceiving()
    const socket = await connect(EXT, { sid: "one" })
    for (const bad of [{ type: "confirm_history" }, { type: "reject_history", identifier: 7 }, { identifier: STREAM, message: "x", stream_id: 1, epoch: "e", offset: "2" }]) {
      expect(() => socket.receive(bad)).not.toThrow()
    }
  })
})

describe("Whisper", () => {
  it("sends data as it is on a confirmed subscription of the extended protocol", async () => {
    makePage()
    const chat = page.consumer.subscriptions.create("ChatChannel", {})
    const socket = await connect(EXT, { sid: "one" })
    expect(chat.whisper({ typing: true })).toBe(false) // not confirmed yet
    socket.receive({ type: "confirm_subscription", identifier: '{"channel":"ChatChannel"}' })
    expect(chat.whisper({ typing: true })).toBe(true)
    expect(socket.sent.at(-1)).toEqual({ command: "whisper", identifier: '{"channel":"ChatChannel"}', data: { typing: true } })
  })

  it("returns false on the plain protocol and sends nothing", async () => {
    makePage()
    const chat = page.consumer.subscriptions.create("ChatChannel", {})
    const socket = await connect("actioncable-v1-json", {})
    socket.receive({ type: "confirm_subscription", identifier: '{"channel":"ChatChannel"}' })
    expect(chat.whisper({ typing: true })).toBe(false)
    expect(socket.sent.map((command) => command.command)).toEqual(["subscribe"])
  })
})

describe("Presence", () => {
  const CHAT = '{"channel":"ChatChannel"}'

  async function confirmedChat(protocol = EXT) {
    makePage()
    const events: unknown[] = []
    const chat = page.consumer.subscriptions.create("ChatChannel", { presenceChanged: (event: unknown) => events.push(event) })
    const socket = await connect(protocol, protocol == EXT ? { sid: "one" } : {})
    socket.receive({ type: "confirm_subscription", identifier: CHAT })
    return { chat, socket, events }
  }

  it("joins, leaves and asks who is there, with @anycable/core's names", async () => {
    const { chat, socket, events } = await confirmedChat()
    await chat.presence.join(7, { name: "Alice" })
    expect(socket.sent.at(-1)).toEqual({ command: "join", identifier: CHAT, presence: { id: "7", info: { name: "Alice" } } })
    const info = chat.presence.info()
    await settle() // presence.ts loads on first use
    expect(socket.sent.at(-1)).toEqual({ command: "presence", identifier: CHAT, data: {} })
    socket.receive({ type: "presence", identifier: CHAT, message: { type: "info", total: 1, records: [{ id: "7", info: { name: "Alice" } }] } })
    await expect(info).resolves.toEqual({ 7: { name: "Alice" } })
    socket.receive({ type: "presence", identifier: CHAT, message: { type: "join", id: "8", info: { name: "Bob" } } })
    expect(events).toEqual([{ type: "join", id: "8", info: { name: "Bob" } }])
    await chat.presence.leave()
    expect(socket.sent.at(-1)).toEqual({ command: "leave", identifier: CHAT })
  })

  it("joins again after the line comes back", async () => {
    const { chat, socket } = await confirmedChat()
    await chat.presence.join("7")
    await dropAndWait(socket)
    const next = await connect(EXT, { sid: "two", restored: true, restored_ids: [CHAT] })
    expect(next.sent.filter((command) => command.command == "join")).toEqual([{ command: "join", identifier: CHAT, presence: { id: "7" } }])
  })

  it("rejects every call on the plain protocol, and an unanswered info when the line drops", async () => {
    const { chat, socket } = await confirmedChat("actioncable-v1-json")
    await expect(chat.presence.join("7")).rejects.toThrow(/extended protocol/)
    await expect(chat.presence.info()).rejects.toThrow(/extended protocol/)
    expect(socket.sent.map((command) => command.command)).toEqual(["subscribe"])
    page.handle.stop()

    const ext = await confirmedChat()
    const info = ext.chat.presence.info()
    await settle()
    ext.socket.drop()
    await expect(info).rejects.toThrow(/lost/)
  })
})

describe("An unanswered history", () => {
  it("counts as refused after HISTORY_TIMEOUT: what was held is applied", async () => {
    makePage()
    const received: unknown[] = []
    page.registry.attach(STREAM, { ...recorder(), receive: (message) => received.push(message) }, { since: Math.floor(clock.now() / 1000) })
    const socket = await connect(EXT, { sid: "one" })
    socket.receive({ type: "confirm_subscription", identifier: STREAM })
    socket.receive({ identifier: STREAM, message: "live", stream_id: "s", epoch: "e1", offset: 1 })
    // The server keeps pinging (the line stays alive) but never answers the history request.
    for (let waited = 0; waited < HISTORY_TIMEOUT - 1_000; waited += 1_000) {
      socket.receive({ type: "ping", message: 0 })
      clock.advance(1_000)
    }
    expect(received).toEqual([])
    socket.receive({ type: "ping", message: 0 })
    clock.advance(1_000)
    expect(received).toEqual(["live"])
  })
})
