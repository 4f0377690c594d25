// Rejoining a server that was down a while (issue 22), in each engine, against real Rails (two pumas behind
// Redis, test/support/rails_server.ts) reached through a relay that notes every request (test/support/relay.ts):
// the page shows what it missed within 3 s of the server listening again, and while the server is down the
// browser only asks it over HTTP, on the probe schedule (src/socket/probe_schedule.ts), never with a socket.
// 10 s of outage already runs the schedule's steady phase (it starts 3 s in); longer outages are the clock's
// business (test/unit/probe_schedule.test.ts) and the bench's (npm run bench:engines).
import { setTimeout as sleep } from "node:timers/promises"
import { railsForSpecFile } from "../support/rails_server"
import { startRelay, timesAsked, type Relay, type RelayedRequest } from "../support/relay"
import type { EnginePage } from "./driver/engine"
import { connectedSources, expect, newList, poll, record, recorded, tabCount, test } from "./fixtures"

const A = 0
const B = 1
/** 10 s in `npm test`; REJOIN_OUTAGE_S=40 (or 300) measures a longer one against Rails in each engine. */
const OUTAGE = Number(process.env.REJOIN_OUTAGE_S ?? 10) * 1_000

test.describe.configure({ timeout: OUTAGE + 80_000 })

const rails = railsForSpecFile(test, 2)
let relay: Relay
test.beforeAll(async () => {
  relay = await startRelay(Number(new URL(rails.url(A)).port))
})
test.afterAll(async () => relay?.close())

/** Logs in through the relay to process A and lands on the room's page, live; `share` false: a socket of its own. */
async function openRoom(page: EnginePage, room: string, share: boolean): Promise<void> {
  const path = `/rooms?names=${room}${share ? "" : "&share=0"}`
  await page.goto(`${relay.url}/login?name=alice&return_to=${encodeURIComponent(path)}`)
  await poll(() => connectedSources(page)).toBe(1)
  await record(page)
}

const roomItems = (page: EnginePage) => page.evaluate(() => [...document.querySelectorAll("ul[data-room] li")].map((li) => li.textContent!.trim()))

async function writeRoom(room: string, text: string): Promise<void> {
  const response = await fetch(`${rails.url(B)}/rooms/${room}/items`, { method: "POST", body: new URLSearchParams({ text }) })
  expect(response.ok).toBe(true)
}

/** Process A down for OUTAGE ms, a write through B meanwhile; the requests that reached A's relay while it was down, and when it listened again. */
async function outage(room: string): Promise<{ asked: RelayedRequest[]; listeningAt: number }> {
  await rails.kill(A)
  const downAt = Date.now()
  await writeRoom(room, "written while down")
  await sleep(OUTAGE - (Date.now() - downAt))
  const asked = relay.requests.filter((request) => request.at > downAt)
  await rails.start(A)
  return { asked, listeningAt: Date.now() }
}

/** At most: the first probe, 3 s of probes at least 250 ms apart, then at least 2250 ms apart. */
const MOST_PROBES = 1 + 3_000 / 250 + Math.ceil((OUTAGE - 3_000) / 2_250)

const probes = (requests: RelayedRequest[]) => timesAsked(requests, "/cable")

function expectOnlyProbes(asked: RelayedRequest[]): void {
  expect(asked.filter((request) => request.websocket)).toEqual([])
  expect(probes(asked)).toBeGreaterThanOrEqual(3)
  expect(probes(asked)).toBeLessThanOrEqual(MOST_PROBES)
  // The page itself is not asked for while the server is down: only the cable's URL.
  expect(asked.filter((request) => !request.line.startsWith("GET /cable "))).toEqual([])
}

test("a tab with a socket of its own, its server down 10 s: only asked over HTTP meanwhile, it shows what it missed within 3 s of the server listening", async ({ web: { page } }) => {
  const room = newList()
  await openRoom(page, room, false)
  expect(await tabCount(page)).toBe("1")
  const { asked, listeningAt } = await outage(room)
  await poll(() => roomItems(page)).toEqual(["written while down"])
  const shownAfter = (await recorded(page)).seen["written while down"]! - listeningAt
  console.log(`${test.info().project.name}: own socket, ${OUTAGE / 1000} s outage: write shown ${shownAfter} ms after puma listened; ${probes(asked)} probes while down (${asked.length} requests)`)
  expectOnlyProbes(asked)
  // The target is 3 s; the bound leaves room for a busy machine.
  expect(shownAfter).toBeLessThan(4_000)
})

test("tabs sharing their browser's connection, the server down 10 s: one prober for all, and every tab shows what it missed within 3 s of the server listening", async ({ tabs }) => {
  const room = newList()
  const pages = [await tabs.open("about:blank"), await tabs.open("about:blank")]
  for (const page of pages) await openRoom(page, room, true)
  await poll(() => Promise.all(pages.map(tabCount))).toEqual(["2", "2"])
  const { asked, listeningAt } = await outage(room)
  for (const page of pages) await poll(() => roomItems(page)).toEqual(["written while down"])
  const shownAfter = await Promise.all(pages.map(async (page) => (await recorded(page)).seen["written while down"]! - listeningAt))
  console.log(`${test.info().project.name}: shared connection, ${OUTAGE / 1000} s outage: write shown ${shownAfter.join(" / ")} ms after puma listened; ${probes(asked)} probes while down (${asked.length} requests)`)
  // Two tabs, one connection: no more probes than one tab alone makes.
  expectOnlyProbes(asked)
  for (const after of shownAfter) expect(after).toBeLessThan(4_000)
})
