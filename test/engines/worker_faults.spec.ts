// Nothing optional may leave a page without a connection: whatever goes wrong with the shared worker, a page
// that asked to share (it renders the identity tag) is connected on a socket of its own within 1 s of its
// navigation, first visit, and says once, as a warning with the fix, why it did not share. The faults are
// served by the test server (test/server/worker_faults.ts): the page's request for the script-tag build gets
// the file, the worker's request for the same URL gets the fault.
import { WORKER_FAULTS } from "../server/worker_faults"
import type { EnginePage } from "./driver/engine"
import { appendStream, cableState, expect, listItems, newList, poll, tabCount, test } from "./fixtures"

/** What each fault must show: whether the page was told why it does not share (a warning), and with what. */
const WARNING: Record<(typeof WORKER_FAULTS)[number], RegExp | null> = {
  "404": /failed to load .*worker-src.*turbo-cable-worker/,
  "403": /failed to load .*worker-src.*turbo-cable-worker/,
  "script-error": /(failed to load|did not answer) .*worker-src/,
  "no-answer": /did not answer within \d+ ms/,
  csp: /Content-Security-Policy/,
  "other-origin": /is not of the page.s origin/,
  // A browser without SharedWorker (Chrome Android before 148): nothing the app can fix, nothing to say.
  "no-shared-worker": null,
}

const pageFacts = (page: EnginePage) =>
  page.evaluate(() => ({ connectedAt: (window as any).__connectedAt as number | undefined, warnings: (window as any).__warnings as string[] }))

for (const fault of WORKER_FAULTS) {
  test(`worker fault "${fault}": the page is connected on a socket of its own within 1 s of its load, told why once`, async ({ tabs, server, engine }) => {
    const list = newList()
    const page = await tabs.open(`${server.app}/test/faults/${fault}/page?list=${list}`)
    await poll(() => cableState(page)).toBe("connected")
    const { connectedAt, warnings } = await pageFacts(page)
    console.log(`${engine}, ${fault}: connected ${Math.round(connectedAt!)} ms after the navigation started`)
    expect(connectedAt).toBeLessThan(1_000)
    expect(await tabCount(page)).toBe("1")
    expect(await server.connections()).toBe(1)

    // Live on its own socket: a write shows.
    await server.post("/items", { list, text: "live" })
    await poll(() => listItems(page)).toEqual(["live"])
    const expected = WARNING[fault]
    const told = (await pageFacts(page)).warnings
    if (expected) {
      expect(told).toHaveLength(1)
      expect(told[0]).toMatch(expected)
    } else expect(told).toEqual([])
    expect(warnings.length).toBeLessThanOrEqual(1)
  })
}

test("a page that does not say whose it is keeps a socket of its own, quietly, and so does each of its tabs", async ({ tabs, server }) => {
  const list = newList()
  const pages = [await tabs.open(`${server.app}/test/live/${list}`), await tabs.open(`${server.app}/test/live/${list}`)]
  for (const page of pages) await poll(() => cableState(page)).toBe("connected")
  expect(await Promise.all(pages.map(tabCount))).toEqual(["1", "1"])
  expect(await server.connections()).toBe(2)
  await server.broadcast(list, appendStream("items", "i1", "to both"))
  for (const page of pages) await poll(() => listItems(page)).toEqual(["to both"])
})
