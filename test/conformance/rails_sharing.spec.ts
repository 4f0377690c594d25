// Many tabs, one connection, against a REAL Rails 6.1 Action Cable server (two puma processes behind one Redis,
// as in rails.spec.ts). The tabs of one browser profile share the shared worker's socket; what Rails sees of it
// is asked of Rails itself: its connections (`ActionCable.server.connections`, GET /cable_stats) and the page
// requests it answered (a counter in Redis, GET /lists/:name/requests). The worker's socket is read over CDP
// (tapWire): Playwright's `websocket` event does not see it.
import { expect, test, type BrowserContext, type Page } from "@playwright/test"
import { railsForSpecFile } from "../support/rails_server"
import { bringBack, closeTab, sendToBackground } from "../support/background_tabs"
import { connectedCalls, received, subscribeTo } from "../support/channels"
import { launchFreezableBrowser, type FreezableBrowser } from "../support/freezable_browser"
import { tapWire } from "../support/wire_tap"

const A = 0
const B = 1

test.describe.configure({ timeout: 90_000 })

const rails = railsForSpecFile(test, 2)

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status != testInfo.expectedStatus) for (const server of [A, B]) console.log(rails.logTail(server))
})

let listCount = 0
const newList = () => `sharing-${Date.now()}-${listCount++}`

interface Frame {
  socket: number
  data: Record<string, any>
}

interface Wire {
  sockets: string[]
  sent: Frame[]
  received: Frame[]
}

/** Every socket of the page's browser context (the shared worker's among them) and its frames, parsed. */
function recordWire(page: Page): Wire {
  const wire: Wire = { sockets: [], sent: [], received: [] }
  const parse = (payload: string) => {
    try {
      return JSON.parse(payload)
    } catch {
      return { raw: payload }
    }
  }
  tapWire(page, {
    opened: (socket) => wire.sockets.push(socket.url()),
    sent: (payload, socket) => wire.sent.push({ socket, data: parse(payload) }),
    received: (payload, socket) => wire.received.push({ socket, data: parse(payload) }),
  })
  return wire
}

const commands = (wire: Wire, command: string) => wire.sent.map((frame) => frame.data).filter((data) => data.command == command)

/** Sockets the page opened itself: none while it shares. */
function ownSockets(page: Page): string[] {
  const sockets: string[] = []
  page.on("websocket", (socket) => sockets.push(socket.url()))
  return sockets
}

/** What process `server` holds: its Action Cable connections and their users. */
async function cableStats(server: number): Promise<{ connections: number; users: string[] }> {
  const stats = await (await fetch(`${rails.url(server)}/cable_stats`)).json()
  return { connections: stats.connections, users: [...stats.users].sort() }
}

/** The identifiers each of process `server`'s connections is subscribed to, as Rails holds them. */
async function serverSubscriptions(server: number): Promise<string[][]> {
  const stats = await (await fetch(`${rails.url(server)}/cable_stats`)).json()
  return stats.subscriptions.map((identifiers: string[]) => [...identifiers].sort())
}

/** Requests for the list's page Rails answered (either process): all, and the catch-up refetches among them. */
async function pageRequests(list: string): Promise<{ pages: number; catch_ups: number }> {
  return (await fetch(`${rails.url(A)}/lists/${encodeURIComponent(list)}/requests`)).json()
}

/** Signs in as `user` on process A and lands on the list's page, connected. */
async function openLive(page: Page, list: string, user = "alice"): Promise<void> {
  await page.goto(`${rails.url(A)}/login?name=${user}&return_to=${encodeURIComponent(`/lists/${list}`)}`)
  await expect(page).toHaveURL(`${rails.url(A)}/lists/${list}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
}

const items = (page: Page) => page.locator("#items li").allTextContents()

/** Each item once, nothing else in the list. */
async function expectNoDuplicates(page: Page): Promise<void> {
  const ids = await page.locator("#items li").evaluateAll((lis) => lis.map((li) => li.id))
  expect(ids.every((id) => /^item_\d+$/.test(id))).toBe(true)
  expect(new Set(ids).size).toBe(ids.length)
}

/** `count` tabs of one profile (one context), the first recording the wire from before it loads. */
async function openTabs(context: BrowserContext, lists: string[]): Promise<{ tabs: Page[]; wire: Wire; own: string[][] }> {
  const tabs: Page[] = []
  const own: string[][] = []
  let wire: Wire | undefined
  for (const list of lists) {
    const tab = await context.newPage()
    wire ??= recordWire(tab)
    own.push(ownSockets(tab))
    await openLive(tab, list)
    tabs.push(tab)
  }
  return { tabs, wire: wire!, own }
}

test("one user's five tabs hold one connection at Rails; each tab's stream is live, each broadcast applied once per tab; a stream two tabs show is subscribed once", async ({ context }) => {
  const shared = newList()
  const lists = [newList(), newList(), newList(), shared, shared]
  const { tabs, wire, own } = await openTabs(context, lists)
  for (const tab of tabs) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "5")

  await expect.poll(() => cableStats(A)).toEqual({ connections: 1, users: ["alice"] })
  expect((await cableStats(B)).connections).toBe(0)
  expect(wire.sockets).toHaveLength(1)
  expect(own).toEqual([[], [], [], [], []])
  // One subscribe per stream, whatever the number of tabs showing it; plain, as Rails chose actioncable-v1-json.
  const subscribes = commands(wire, "subscribe")
  expect(subscribes).toHaveLength(4)
  expect(new Set(subscribes.map((frame) => frame.identifier)).size).toBe(4)
  for (const frame of subscribes) expect(Object.keys(frame).sort()).toEqual(["command", "identifier"])
  expect(wire.received.map((frame) => frame.data).filter((data) => data.type == "welcome")).toEqual([{ type: "welcome" }])
  expect(await serverSubscriptions(A)).toEqual([subscribes.map((frame) => frame.identifier).sort()])

  // Through B: Rails' Redis adapter carries each broadcast to A, which holds the one connection.
  for (const [index, list] of lists.slice(0, 3).entries()) await rails.write(list, `for tab ${index}`, { via: B })
  await rails.write(shared, "for tabs 3 and 4", { via: B })
  await rails.write(shared, "and again", { via: A })
  for (const [index, tab] of tabs.slice(0, 3).entries()) await expect(tab.locator("#items li")).toHaveText([`for tab ${index}`])
  for (const tab of tabs.slice(3)) await expect(tab.locator("#items li")).toHaveText(["for tabs 3 and 4", "and again"])
  // A fence through Redis after them: once it shows, a second copy of anything before it would have too.
  for (const list of new Set(lists)) await rails.write(list, "fence", { via: B })
  for (const [index, tab] of tabs.entries()) {
    await expect(tab.locator("#items li").last()).toHaveText("fence")
    expect(await items(tab)).toEqual(index < 3 ? [`for tab ${index}`, "fence"] : ["for tabs 3 and 4", "and again", "fence"])
    await expectNoDuplicates(tab)
  }
  // Each broadcast crossed the wire once: 2 + 1 to the stream two tabs show.
  const sharedIdentifier = subscribes.find((frame) => frame.identifier.includes(Buffer.from(JSON.stringify(shared)).toString("base64")))?.identifier
  expect(wire.received.filter((frame) => frame.data.identifier == sharedIdentifier && frame.data.message)).toHaveLength(3)
  expect((await cableStats(A)).connections).toBe(1)
})

test("an app channel in two tabs on the shared connection: perform from each reaches Rails, each tab's mixin gets each message once", async ({ context }) => {
  const list = newList()
  const { tabs, wire } = await openTabs(context, [list, list])
  const room = `room-${Date.now()}`
  for (const tab of tabs) await subscribeTo(tab, room)
  for (const tab of tabs) await expect.poll(() => connectedCalls(tab)).toEqual([{ reconnected: false }])
  expect(commands(wire, "subscribe").filter((frame) => frame.identifier.includes("EchoChannel"))).toHaveLength(1)

  expect(await tabs[0].evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "from tab 0" }))).toBe(true)
  expect(await tabs[1].evaluate(() => (window as any).subscriptions.echo.perform("speak", { text: "from tab 1" }))).toBe(true)
  const both = [
    { text: "from tab 0", from: "alice" },
    { text: "from tab 1", from: "alice" },
  ]
  const sorted = async (tab: Page) => (await received(tab)).sort((a: any, b: any) => a.text.localeCompare(b.text))
  for (const tab of tabs) await expect.poll(() => sorted(tab)).toEqual(both)
  expect(commands(wire, "message").map((frame) => JSON.parse(frame.data).text)).toEqual(["from tab 0", "from tab 1"])
  // A write through Redis after the echoes: once it shows, a second echo would have arrived before it.
  await rails.write(list, "after the echoes", { via: B })
  for (const tab of tabs) {
    await expect(tab.locator("#items li")).toHaveText(["after the echoes"])
    expect(await received(tab)).toHaveLength(2)
  }
  expect((await cableStats(A)).connections).toBe(1)
})

test("sign-out that disconnects the user's connections reaches every tab: the reconnect is refused as unauthorized and every tab stops", async ({ context }) => {
  const lists = [newList(), newList(), newList()]
  const { tabs, wire } = await openTabs(context, lists)
  await expect.poll(() => cableStats(A)).toEqual({ connections: 1, users: ["alice"] })

  // As apps sign out: the session cookie deleted and remote_connections.where(current_user:).disconnect.
  expect(await tabs[0].evaluate(() => fetch("/session", { method: "DELETE" }).then((response) => response.status))).toBe(204)
  for (const tab of tabs) {
    await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
    await expect(tab.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  }
  // Rails 6.1 closes the socket without a word; the reconnect, with no cookie, is refused for good.
  expect(wire.received.filter((frame) => frame.socket == 0 && frame.data.type == "disconnect")).toEqual([])
  expect(wire.received.filter((frame) => frame.socket == 1).map((frame) => frame.data)).toContainEqual({ type: "disconnect", reason: "unauthorized", reconnect: false })
  expect(await cableStats(A)).toEqual({ connections: 0, users: [] })
  // One attempt, and nothing more: the reconnect's timers run in the shared worker, which Playwright's clock does not
  // reach, and a stopped line sends nothing to fence. A window past the backoff's first steps.
  await tabs[0].waitForTimeout(3_000)
  expect(wire.sockets).toHaveLength(2)
  expect(wire.sent.filter((frame) => frame.socket == 1)).toEqual([])
  for (const tab of tabs) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
})

test("a tab that leaves a stream another tab shows keeps it subscribed at Rails; the last to leave unsubscribes it", async ({ context }) => {
  const shared = newList()
  const elsewhere = newList()
  // The first tab records the wire (tapWire stops with the page that asked), so it stays open.
  const { tabs, wire } = await openTabs(context, [newList(), shared, shared])
  const [other, identifier] = commands(wire, "subscribe").map((frame) => frame.identifier)
  await expect.poll(() => serverSubscriptions(A)).toEqual([[other, identifier].sort()])

  // One tab goes to another page: its stream stays, as the other tab still shows it.
  await tabs[2].goto(`${rails.url(A)}/lists/${elsewhere}`)
  await expect(tabs[2].locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await rails.write(shared, "still live", { via: B })
  await expect(tabs[1].locator("#items li")).toHaveText(["still live"])
  expect(commands(wire, "unsubscribe")).toEqual([])
  expect((await serverSubscriptions(A))[0]).toContain(identifier)

  // The last tab showing it closes: one unsubscribe, and Rails holds only the other tabs' streams.
  await tabs[1].close()
  await expect.poll(() => commands(wire, "unsubscribe")).toEqual([{ command: "unsubscribe", identifier }])
  await expect.poll(() => serverSubscriptions(A)).toEqual([[other, commands(wire, "subscribe").at(-1)!.identifier].sort()])
  expect(wire.sockets).toHaveLength(1)
})

test("a tab reloaded while another holds the connection keeps its stream's server subscription and misses nothing written after it loaded", async ({ context }) => {
  const list = newList()
  const { tabs, wire } = await openTabs(context, [list, newList()])
  const [identifier] = commands(wire, "subscribe").map((frame) => frame.identifier)
  for (let round = 0; round < 3; round++) {
    await tabs[0].reload({ waitUntil: "domcontentloaded" })
    await expect(tabs[0].locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
    await rails.write(list, `after reload ${round}`, { via: B })
    await expect(tabs[0].locator("#items li").last()).toHaveText(`after reload ${round}`)
    await expectNoDuplicates(tabs[0])
  }
  // The reloaded page asked again within the unsubscribe delay: the worker kept the server subscription for it.
  expect(commands(wire, "unsubscribe")).toEqual([])
  expect(commands(wire, "subscribe").filter((frame) => frame.identifier == identifier)).toHaveLength(1)
  expect(wire.sockets).toHaveLength(1)
})

test("a tab of another user (another browser profile) never shares: two connections at Rails", async ({ context, browser }) => {
  const list = newList()
  const alice = (await openTabs(context, [list, list])).tabs
  const profile = await browser.newContext()
  try {
    const bob = await profile.newPage()
    await openLive(bob, list, "bob")
    await expect.poll(() => cableStats(A)).toEqual({ connections: 2, users: ["alice", "bob"] })
    for (const tab of alice) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "2")
    await expect(bob.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
    await rails.write(list, "to everyone", { via: B })
    for (const tab of [...alice, bob]) await expect(tab.locator("#items li")).toHaveText(["to everyone"])
  } finally {
    await profile.close()
  }
})

// Tabs hidden for real (test/support/background_tabs.ts) need a Chromium without Playwright's focus emulation;
// its one profile holds every tab, each in a window of its own so that a tab is hidden only when told.
test.describe("a deploy with one visible tab and four hidden", () => {
  let browser: FreezableBrowser
  test.beforeAll(async () => {
    browser = await launchFreezableBrowser()
  })
  test.afterAll(async () => {
    await browser?.close()
  })

  /** A tab on the list's page in a window of its own, noting (by its own clock) when it is shown and when it is current. */
  async function openWindow(list: string, signIn: boolean): Promise<Page> {
    const page = await browser.newWindow()
    await page.goto(signIn ? `${rails.url(A)}/login?name=alice&return_to=${encodeURIComponent(`/lists/${list}`)}` : `${rails.url(A)}/lists/${list}`)
    await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
    await page.evaluate(() => {
      const w = window as any
      w.notReloaded = true
      document.addEventListener("visibilitychange", () => document.visibilityState == "visible" && (w.shownAt = performance.now()))
      document.addEventListener("turbo-cable:caught-up", () => (w.currentAt = performance.now()))
    })
    return page
  }

  test("one page request (the visible tab's) until the hidden tabs are shown; each then catches up once, within 1 s", async () => {
    const list = newList()
    await rails.write(list, "before", { via: A })
    const tabs: Page[] = []
    try {
      for (let i = 0; i < 5; i++) tabs.push(await openWindow(list, i == 0))
      const [visible, ...hidden] = tabs
      for (const tab of tabs) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "5")
      await expect.poll(() => cableStats(A)).toEqual({ connections: 1, users: ["alice"] })
      for (const tab of hidden) await sendToBackground(tab)
      expect(await visible.evaluate(() => document.visibilityState)).toBe("visible")
      const loaded = await pageRequests(list)
      expect(loaded).toEqual({ pages: 5, catch_ups: 0 })

      await rails.kill(A)
      await rails.write(list, "written while down", { via: B })
      await rails.start(A)
      await expect(visible.locator("#items li")).toHaveText(["before", "written while down"], { timeout: 15_000 })
      await expect(visible.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
      for (const tab of hidden) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-state", "behind", { timeout: 10_000 })
      await expect.poll(() => cableStats(A)).toEqual({ connections: 1, users: ["alice"] })
      // Live messages reach the hidden tabs meanwhile: only the refetch waits.
      await rails.write(list, "live while hidden", { via: B })
      for (const tab of hidden) await expect(tab.locator("#items li")).toHaveText(["before", "live while hidden"])
      // No request from a hidden tab is the point. A window: these tabs share one context with every test of this
      // browser, and Playwright's clock there would fake \`performance\` (what dates a page) for all of them.
      await visible.waitForTimeout(1_500)
      expect(await pageRequests(list)).toEqual({ pages: 6, catch_ups: 1 })

      for (const [index, tab] of hidden.entries()) {
        await bringBack(tab)
        await expect(tab.locator("#items li")).toHaveText(["before", "written while down", "live while hidden"])
        await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
        const currentAfterShown = await tab.evaluate(() => (window as any).currentAt - (window as any).shownAt)
        expect(currentAfterShown).toBeGreaterThanOrEqual(0)
        console.log(`rails sharing deploy: hidden tab ${index + 1} current ${Math.round(currentAfterShown)} ms after it was shown`)
        expect(currentAfterShown).toBeLessThan(1_000)
        expect(await pageRequests(list)).toEqual({ pages: 7 + index, catch_ups: 2 + index })
      }
      // No second refetch from any tab: a window for one, as above (no clock for these tabs).
      await visible.waitForTimeout(1_500)
      expect(await pageRequests(list)).toEqual({ pages: 10, catch_ups: 5 })
      for (const tab of tabs) {
        expect(await tab.evaluate(() => (window as any).notReloaded)).toBe(true)
        await expectNoDuplicates(tab)
      }
    } finally {
      for (const tab of tabs) await closeTab(tab)
    }
  })
})
