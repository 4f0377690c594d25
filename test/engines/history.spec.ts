// AnyCable's extended protocol in each engine: a dropped line restores its session and replays what it
// missed from the stream's history, with no page request.
import { cableState, connectedSources, expect, listItems, newList, poll, record, recorded, test, watch } from "./fixtures"

test("a dropped line restores its session and replays the missed broadcasts once each, in order, with no page request", async ({ web: { page }, server }) => {
  const list = newList()
  await server.post("/items", { list, text: "before" })
  await page.goto(`${server.app}/test/live/${list}`)
  await watch(page)
  await record(page)
  await poll(() => connectedSources(page)).toBeGreaterThan(0)
  await page.type("#draft", "half-typed")
  await server.post("/pages/clear")
  await server.clearCommands()

  await server.post("/kill")
  for (const text of ["one", "two", "three"]) await server.post("/items", { list, text })

  await poll(() => listItems(page)).toEqual(["before", "one", "two", "three"])
  await poll(() => cableState(page)).toBe("caught-up")
  // The items carry ids, and Turbo drops an id's older copy: a replay applied twice shows only in how often each was added.
  expect((await recorded(page)).added).toMatchObject({ one: 1, two: 1, three: 1 })
  // The session was restored: the server holds the subscription again without a subscribe.
  expect((await server.commands()).map((command) => command.command)).toEqual([])
  expect(await server.subscriptions(list)).toBe(1)
  const pages: Array<{ list: string; catchUp: boolean }> = await server.get("/pages")
  expect(pages.filter((entry) => entry.list == list)).toEqual([])
  expect(await page.evaluate(() => (document.getElementById("draft") as HTMLInputElement).value)).toBe("half-typed")
})
