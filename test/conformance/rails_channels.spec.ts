// Against a real Rails 6.1 Action Cable server: the app's own channel beside Turbo streams on the one
// socket (turbo-rails' `cable.subscribeTo`, and a channel file importing @rails/actioncable through an
// import map), and turbo-rails' `_method` encoding followed by a scaffold's `redirect_to`.
import { expect, test, type Page } from "@playwright/test"
import { railsForSpecFile } from "../support/rails_server"
import { tapWire, type TappedSocket } from "../support/wire_tap"
import { callKinds, connectedCalls, received, subscribeTo } from "../support/channels"

let roomCount = 0
const newRoom = () => `room-${Date.now()}-${roomCount++}`

test.describe.configure({ timeout: 90_000 })

const rails = railsForSpecFile(test, 1)

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status != testInfo.expectedStatus) console.log(rails.logTail(0))
})

interface Wire {
  sockets: TappedSocket[]
  sent: Array<Record<string, any>>
}

/** The page's sockets and their commands, the shared worker's socket among them (tapWire). */
function recordWire(page: Page): Wire {
  const wire: Wire = { sockets: [], sent: [] }
  tapWire(page, {
    opened: (socket) => wire.sockets.push(socket),
    sent: (payload) => wire.sent.push(JSON.parse(payload)),
    received: () => {},
  })
  return wire
}

const sentCommands = (wire: Wire, command: string) => wire.sent.filter((frame) => frame.command == command)

/** Subscribes the page to another room and waits until its subscribe is on the wire: a fence for what the page sent before. */
async function subscribeAfter(page: Page, wire: Wire): Promise<void> {
  await subscribeTo(page, "after", "after")
  await expect.poll(() => sentCommands(wire, "subscribe").some((frame) => frame.identifier.includes('"room":"after"'))).toBe(true)
}

/** Signs in (the connection is cookie-authenticated) and opens a list page (`query` added) with one stream source. */
async function openList(page: Page, list: string, query = ""): Promise<void> {
  await page.goto(`${rails.url(0)}/login?name=alice&return_to=${encodeURIComponent(`/lists/${list}${query}`)}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
}

test("an app channel beside Turbo streams on one socket: perform reaches Rails and its broadcast comes back once", async ({ page }) => {
  const wire = recordWire(page)
  const list = `channels-${Date.now()}`
  await openList(page, list)
  const room = newRoom()
  await subscribeTo(page, room)
  await expect.poll(() => connectedCalls(page)).toEqual([{ reconnected: false }])
  expect(await page.evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "hello rails" }))).toBe(true)
  await expect.poll(() => received(page)).toEqual([{ text: "hello rails", from: "alice" }])
  await rails.write(list, "a stream beside the channel")
  // The write went through Redis after the echo: a second echo would have arrived before it.
  await expect(page.locator("#items li")).toHaveText(["a stream beside the channel"])
  expect(await received(page)).toHaveLength(1)
  expect(wire.sockets).toHaveLength(1)
})

test("two subscriptions with one identifier: one server subscription, each mixin gets each message once", async ({ page }) => {
  const wire = recordWire(page)
  const list = `twice-${Date.now()}`
  await openList(page, list)
  const room = newRoom()
  await subscribeTo(page, room, "a")
  await subscribeTo(page, room, "b")
  await expect.poll(() => connectedCalls(page, "b")).toHaveLength(1)
  expect(sentCommands(wire, "subscribe").filter((frame) => frame.identifier.includes("EchoChannel"))).toHaveLength(1)
  await page.evaluate(() => (window as any).subscriptions.a.perform("speak", { text: "to both" }))
  await expect.poll(() => received(page, "a")).toEqual([{ text: "to both", from: "alice" }])
  await expect.poll(() => received(page, "b")).toEqual([{ text: "to both", from: "alice" }])
  // A write through Redis after the echo: once it shows, a second echo would have arrived before it.
  await rails.write(list, "after the echo")
  await expect(page.locator("#items li")).toHaveText(["after the echo"])
  expect(await received(page, "a")).toHaveLength(1)
})

test("unsubscribe() puts one unsubscribe on the wire, and Rails stops sending", async ({ page }) => {
  const wire = recordWire(page)
  // A page without the identity tag keeps a socket of its own: its unsubscribes run on its clock.
  await page.clock.install()
  await openList(page, `leave-${Date.now()}`, "?identity=off")
  const room = newRoom()
  await subscribeTo(page, room)
  await subscribeTo(page, room, "listener")
  await expect.poll(() => connectedCalls(page, "listener")).toHaveLength(1)
  await page.evaluate(() => {
    const w = window as any
    w.subscriptions.echo.unsubscribe()
    w.subscriptions.listener.unsubscribe()
  })
  await expect.poll(() => sentCommands(wire, "unsubscribe")).toHaveLength(1)
  expect(sentCommands(wire, "unsubscribe")[0].identifier).toBe(JSON.stringify({ channel: "EchoChannel", room }))
  // Past the unsubscribe delay again, at once, then a subscribe the same way: once it is on the wire, a second
  // unsubscribe sent before it would be too.
  await page.clock.runFor(1_000)
  await subscribeAfter(page, wire)
  expect(sentCommands(wire, "unsubscribe")).toHaveLength(1)
})

test("a rejected app channel is told once and not retried", async ({ page }) => {
  const wire = recordWire(page)
  // A page without the identity tag keeps a socket of its own: its subscribes and their retries run on its clock.
  await page.clock.install()
  await openList(page, `reject-${Date.now()}`, "?identity=off")
  await subscribeTo(page, "forbidden")
  await expect.poll(() => callKinds(page)).toEqual(["rejected"])
  // Past the confirm timeout (2 s) at once, then a subscribe the same way: once it is on the wire, a retry would be too.
  await page.clock.runFor(2_000)
  await subscribeAfter(page, wire)
  expect(sentCommands(wire, "subscribe").filter((frame) => frame.identifier.includes("forbidden"))).toHaveLength(1)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
})

test("after a server restart, connected is called again with reconnected: true and later messages arrive", async ({ page }) => {
  await openList(page, `restart-${Date.now()}`)
  const room = newRoom()
  await subscribeTo(page, room)
  await expect.poll(() => connectedCalls(page)).toEqual([{ reconnected: false }])
  await rails.kill(0)
  await expect.poll(() => callKinds(page)).toContain("disconnected")
  await rails.start(0)
  await expect.poll(() => connectedCalls(page), { timeout: 20_000 }).toEqual([{ reconnected: false }, { reconnected: true }])
  await page.evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "after the restart" }))
  await expect.poll(() => received(page)).toEqual([{ text: "after the restart", from: "alice" }])
})

test("a channel file importing createConsumer from @rails/actioncable, pinned to turbo-cable by an import map, shares the one socket", async ({ page }) => {
  const wire = recordWire(page)
  const room = newRoom()
  const list = `channel-file-${Date.now()}`
  await page.goto(`${rails.url(0)}/login?name=bob&return_to=${encodeURIComponent(`/channels?list=${list}&room=${room}`)}`)
  await expect(page.locator("body")).toHaveAttribute("data-echo", "connected")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(await page.evaluate(() => (window as any).echoChannel.speak("from a channel file"))).toBe(true)
  await expect(page.locator("#echoes li")).toHaveText(["from a channel file"])
  await rails.write(list, "and a stream")
  await expect(page.locator("#items li")).toHaveText(["and a stream"])
  expect(wire.sockets).toHaveLength(1)
})

test.describe("turbo-rails' _method encoding, against Rails' routes", () => {
  for (const [what, selector, as] of [
    ['a data-turbo-method="delete" link', "#delete-link", "DELETE"],
    ["a button f.button formmethod: :patch renders", "#rails-patch", "PATCH"],
  ] as const) {
    test(`${what} followed by redirect_to lands on the page`, async ({ page }) => {
      await page.goto(`${rails.url(0)}/records`)
      await page.locator(selector).click()
      const landed = page.locator("#landed")
      await expect(landed).toBeVisible()
      await expect(landed).toHaveAttribute("data-wire", "POST")
      await expect(landed).toHaveAttribute("data-as", as)
    })
  }
})
