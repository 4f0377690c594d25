// The real-Rails conformance in each engine: Debian's Rails 6.1 Action Cable under puma, two processes
// behind one Redis (test/support/rails_server.ts); pages rendered by Rails with turbo-rails' markup.
import { railsForSpecFile } from "../support/rails_server"
import type { EnginePage } from "./driver/engine"
import { cableState, connectedSources, expect, listItems, newList, poll, seenAt, states, test, watch } from "./fixtures"

const A = 0
const B = 1

test.describe.configure({ timeout: 90_000 })

const rails = railsForSpecFile(test, 2)

/** Logs in on process `server` (a signed session cookie) and lands on the list's page, connected. */
async function openLive(page: EnginePage, server: number, list: string, query = ""): Promise<void> {
  await page.goto(`${rails.url(server)}/login?name=alice&return_to=${encodeURIComponent(`/lists/${list}${query}`)}`)
  await poll(() => connectedSources(page)).toBeGreaterThan(0)
  expect(await page.evaluate(() => document.getElementById("server")?.textContent)).toBe(String.fromCharCode(65 + server))
  await watch(page)
  await page.evaluate(() => ((window as any).notReloaded = true))
}

test("a killed and restarted Rails server is rejoined and the page shows writes made while it was down, keeping typed input", async ({ web: { page } }) => {
  const list = newList()
  await rails.write(list, "before", { via: A })
  await openLive(page, A, list)
  await page.type("#draft", "half-typed")

  await rails.kill(A)
  await poll(() => cableState(page)).toMatch(/disconnected|reconnecting/)
  await rails.write(list, "written while down", { via: B })
  await rails.start(A)
  const listeningAt = Date.now()

  await poll(() => listItems(page)).toEqual(["before", "written while down"])
  await poll(() => cableState(page)).toBe("caught-up")
  const shownAfter = (await seenAt(page, "written while down"))! - listeningAt
  console.log(`${test.info().project.name}: rails restart, write shown ${shownAfter} ms after puma listened`)
  // Within 1 s while the server is back inside the probes' quick phase (3 s: puma boots here in ~1.5 s); a boot
  // slowed past it by a busy machine meets the steady phase, whose gaps are at most 2.75 s: the bound.
  expect(shownAfter).toBeLessThan(3_000)
  expect(await page.evaluate(() => (document.getElementById("draft") as HTMLInputElement).value)).toBe("half-typed")
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)

  await rails.write(list, "live again", { via: B })
  await poll(() => listItems(page)).toEqual(["before", "written while down", "live again"])
})

test("a frozen Rails process (no pings, no FIN) is noticed within two ping intervals", async ({ web: { page } }) => {
  const list = newList()
  await openLive(page, A, list)
  const frozenAt = Date.now()
  rails.freeze(A)
  try {
    await poll(() => cableState(page), 9_000).not.toMatch(/^(connected|caught-up)$/)
    const noticed = (await states(page)).find((s) => s.at >= frozenAt && !/^(connected|caught-up)$/.test(s.state))!
    console.log(`${test.info().project.name}: rails dead line noticed after ${noticed.at - frozenAt} ms`)
    expect(noticed.at - frozenAt).toBeLessThan(8_000)
  } finally {
    rails.thaw(A)
  }
  await poll(() => cableState(page), 15_000).toMatch(/^(connected|caught-up)$/)
  await rails.write(list, "after the freeze", { via: B })
  await poll(() => listItems(page)).toEqual(["after the freeze"])
})

// ?bfcache=1 serves the page with Rails' default Cache-Control (every engine keeps no-store pages out of
// the back/forward cache). Where the engine keeps the page, it must catch up by itself on pageshow. Where it
// does not, Back loads the page from the HTTP cache, as stale as it was when left: catching that up is
// catch-up's business (src/catch_up), not the socket's, so here it only has to be live again.
test("back to a live page: restored from the back/forward cache it catches up; either way it is live", async ({ web: { page } }) => {
  const list = newList()
  await openLive(page, A, list, "?bfcache=1")
  await page.goto(`${rails.url(A)}/up`)
  await rails.write(list, "written while away", { via: B })
  await page.back()
  await poll(() => connectedSources(page), 15_000).toBeGreaterThan(0)
  const restored = await page.evaluate(() => Boolean((window as any).notReloaded))
  console.log(`${test.info().project.name}: back/forward cache ${restored ? "restored the live page" : "did not keep the live page"}`)
  test.info().annotations.push({ type: "back/forward cache", description: restored ? "restored" : "not kept" })
  // Measured: WebKit keeps a page with an open socket; Firefox never does (whatwg/html#12085). This page shares
  // its browser's connection (a shared worker holds the socket), so it has no socket of its own: both keep it.
  if (test.info().project.name == "webkit") expect(restored).toBe(true)
  if (test.info().project.name == "firefox") expect(restored).toBe(true)
  if (restored) {
    await poll(() => listItems(page), 15_000).toEqual(["written while away"])
    await poll(() => cableState(page)).toBe("caught-up")
  }
  const before = await listItems(page)
  await rails.write(list, "live after coming back", { via: B })
  await poll(() => listItems(page)).toEqual([...before, "live after coming back"])
  expect(["connected", "caught-up"]).toContain(await cableState(page))
})
