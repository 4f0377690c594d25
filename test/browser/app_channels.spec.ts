// The app's own channels on the page's one socket: turbo-rails' `cable` API, @rails/actioncable's consumer
// (through the `turbo-cable/actioncable` module an import map points at), and turbo-rails' `_method` encoding.
import { addSource, appendStream, commandsSent, eventually, expect, recordWire, test } from "./fixtures"
import { calls, callKinds, connectedCalls, received, subscribeTo } from "../support/channels"

let roomCount = 0
const newRoom = () => `room-${Date.now()}-${roomCount++}`
const echoIdentifier = (room: string) => JSON.stringify({ channel: "EchoChannel", room })

test.beforeEach(async ({ page, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
})

test("an app channel shares the one socket with the stream sources; perform reaches the server and its broadcast comes back once", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.reload()
  const room = newRoom()
  await addSource(page, server, "items-beside-a-channel")
  await subscribeTo(page, room)
  await expect.poll(() => connectedCalls(page)).toEqual([{ reconnected: false }])
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(wire.sockets).toHaveLength(1)

  const sent = await page.evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "hello" }))
  expect(sent).toBe(true)
  await expect.poll(() => received(page)).toEqual([{ text: "hello", from: expect.any(Number) }])
  await server.broadcast("items-beside-a-channel", appendStream("items", "i1", "a stream, for Turbo"))
  // The stream went out after the echo on the same socket: a second echo would have arrived before it.
  await expect(page.locator("#items li")).toHaveText(["a stream, for Turbo"])
  expect(await received(page)).toHaveLength(1)
  expect(wire.sockets).toHaveLength(1)
})

test("an app channel's data goes to its mixin, never to Turbo, even when it is a Turbo Stream", async ({ page, server }) => {
  const room = newRoom()
  await addSource(page, server, `after-${room}`)
  await subscribeTo(page, room)
  await expect.poll(() => connectedCalls(page)).toHaveLength(1)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  const stream = appendStream("items", "x", "must not render")
  await server.broadcast(`echo:${room}`, stream)
  await expect.poll(() => received(page)).toEqual([stream])
  // A stream for Turbo right after it on the same socket: once it shows, the channel's data would have too.
  await server.broadcast(`after-${room}`, `<turbo-stream action="append" target="target"><template><p id="later">later</p></template></turbo-stream>`)
  await expect(page.locator("#later")).toHaveText("later")
  await expect(page.locator("#items li")).toHaveCount(0)
})

test("two subscriptions with one identifier: one server subscription, each mixin gets each message once", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.reload()
  const room = newRoom()
  await subscribeTo(page, room, "a")
  await subscribeTo(page, room, "b")
  await expect.poll(() => connectedCalls(page, "b")).toHaveLength(1)
  expect(commandsSent(wire, "subscribe")).toHaveLength(1)
  await eventually(() => server.subscriptions(`echo:${room}`), 1)
  await server.broadcast(`echo:${room}`, { text: "one" })
  await server.broadcast(`echo:${room}`, { text: "two" })
  await expect.poll(() => received(page, "a")).toEqual([{ text: "one" }, { text: "two" }])
  await expect.poll(() => received(page, "b")).toEqual([{ text: "one" }, { text: "two" }])
})

test("unsubscribe() puts one unsubscribe on the wire", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.clock.install()
  await page.reload()
  const room = newRoom()
  await subscribeTo(page, room)
  await eventually(() => server.subscriptions(`echo:${room}`), 1)
  await page.evaluate(() => {
    const subscription = (window as any).subscriptions.echo
    subscription.unsubscribe()
    subscription.unsubscribe()
  })
  await eventually(() => server.subscriptions(`echo:${room}`), 0)
  // Past the unsubscribe delay again, at once: a second unsubscribe due by then is on the wire when the run ends.
  await page.clock.runFor(1_000)
  expect(commandsSent(wire, "unsubscribe")).toEqual([{ command: "unsubscribe", identifier: echoIdentifier(room) }])
})

test("a rejected app channel is told once and never retried", async ({ page }) => {
  const wire = recordWire(page)
  await page.clock.install()
  await page.reload()
  await subscribeTo(page, "forbidden")
  await expect.poll(() => callKinds(page)).toEqual(["rejected"])
  // Past the confirm timeout (2 s), when an unanswered subscribe is sent again: a retry goes out within the run.
  await page.clock.runFor(2_000)
  expect(commandsSent(wire, "subscribe")).toHaveLength(1)
  expect(await callKinds(page)).toEqual(["rejected"])
})

test("after a server restart the channel is connected again with reconnected: true, and later messages arrive", async ({ page, server }) => {
  const room = newRoom()
  await subscribeTo(page, room)
  await expect.poll(() => connectedCalls(page)).toEqual([{ reconnected: false }])
  await server.post("/stop")
  await expect.poll(() => callKinds(page)).toContain("disconnected")
  expect((await calls(page)).find(([kind]) => kind == "disconnected")).toEqual(["disconnected", { willAttemptReconnect: true }])
  await server.post("/start")
  await expect.poll(() => connectedCalls(page), { timeout: 15_000 }).toEqual([{ reconnected: false }, { reconnected: true }])
  await server.broadcast(`echo:${room}`, { text: "after the restart" })
  await expect.poll(() => received(page)).toEqual([{ text: "after the restart" }])
})

test("perform says false while the socket is down, and nothing is queued to replay later", async ({ page, server }) => {
  const room = newRoom()
  await subscribeTo(page, room)
  await expect.poll(() => connectedCalls(page)).toHaveLength(1)
  await server.post("/stop")
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", /disconnected|reconnecting/)
  expect(await page.evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "while down" }))).toBe(false)
  await server.post("/start")
  await expect.poll(() => connectedCalls(page), { timeout: 15_000 }).toHaveLength(2)
  // A perform now: a replay of the one made while down would have gone out before it, and come back first.
  await page.evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "after" }))
  await expect.poll(() => received(page)).toEqual([{ text: "after", from: expect.any(Number) }])
})

test("getConsumer, setConsumer, createConsumer: turbo-rails' cable API on the one socket", async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { cable, pageConsumer } = (window as any).TurboCable
    const consumer = await cable.getConsumer()
    const created = await cable.createConsumer()
    const sameServer = await cable.createConsumer("/cable")
    const mine = { subscriptions: { create: (channel: unknown) => ({ mine: channel }) } }
    cable.setConsumer(mine)
    const viaMine = await cable.subscribeTo("AnyChannel", {})
    cable.setConsumer(consumer)
    return {
      shared: consumer === pageConsumer() && created === consumer && sameServer === consumer,
      viaMine,
      back: (await cable.getConsumer()) === consumer,
      url: consumer.url,
    }
  })
  expect(result.shared).toBe(true)
  expect(result.viaMine).toEqual({ mine: "AnyChannel" })
  expect(result.back).toBe(true)
  expect(result.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/cable$/)
})

test("a channel file importing createConsumer from @rails/actioncable, pinned to turbo-cable, shares the one socket", async ({ page, server }) => {
  const wire = recordWire(page)
  const room = newRoom()
  await page.goto(`${server.app}/test/pages/channels.html?room=${room}`)
  await addSource(page, server, "channel-file-items")
  await expect(page.locator("body")).toHaveAttribute("data-echo", "connected")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(await page.evaluate(() => (window as any).echoChannel.speak("from the channel file"))).toBe(true)
  await expect(page.locator("#echoes li")).toHaveText(["from the channel file"])
  await server.broadcast("channel-file-items", appendStream("items", "c1", "stream"))
  await expect(page.locator("#items li")).toHaveText(["stream"])
  expect(wire.sockets).toHaveLength(1)
  expect(commandsSent(wire, "subscribe").map((frame) => JSON.parse(frame.identifier).channel).sort()).toEqual(["EchoChannel", "Turbo::StreamsChannel"])
})

test.describe("turbo-rails' _method encoding", () => {
  test.beforeEach(async ({ page, server }) => {
    await page.goto(`${server.app}/test/methods`)
  })

  for (const [what, selector, as] of [
    ['a data-turbo-method="delete" link', "#delete-link", "DELETE"],
    ["a button Rails renders for formmethod: :patch", "#rails-patch", "PATCH"],
    ['a bare formmethod="patch" button', "#bare-patch", "PATCH"],
    ["a form with a hidden _method field", "#hidden-put", "PUT"],
  ] as const) {
    test(`${what} followed by a 302 goes out as POST with _method and lands on the page`, async ({ page }) => {
      await page.locator(selector).click()
      const landed = page.locator("#landed")
      await expect(landed).toBeVisible()
      await expect(landed).toHaveAttribute("data-wire", "POST")
      await expect(landed).toHaveAttribute("data-as", as)
      expect(new URL(page.url()).pathname).toBe("/test/landed")
    })
  }
})
