// turbo-cable on AnyCable's extended protocol (`actioncable-v1-ext-json`), against the Node server, which
// speaks it when offered: session restore after a dropped line. The same scenarios against a plain server
// are in catch_up.spec.ts and connection.spec.ts.
import type { Page } from "@playwright/test"
import { commandsSent, expect, recordWire, test } from "./fixtures"

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
