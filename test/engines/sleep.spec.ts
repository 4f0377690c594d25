// A laptop lid in each engine: the whole browser stops (SIGSTOP to every process of it that this test
// started), the server restarts and a write lands meanwhile, then the browser wakes (SIGCONT).
import { setTimeout as sleep } from "node:timers/promises"
import { signal } from "./driver/processes"
import { connectedSources, expect, listItems, newList, poll, seenAt, test, watch } from "./fixtures"

test("after the whole browser slept through a server restart, the write is on screen soon after it wakes", async ({ web, server }) => {
  const { page } = web
  const list = newList()
  await page.goto(`${server.app}/test/live/${list}`)
  await poll(() => connectedSources(page)).toBeGreaterThan(0)
  await watch(page)
  await page.type("#draft", "typed before the lid closed")

  const pids = web.pids()
  expect(pids.length).toBeGreaterThan(0)
  signal(pids, "SIGSTOP")
  let wokeAt: number
  try {
    await server.post("/stop")
    await server.post("/items", { list, text: "written while asleep" })
    await server.post("/start")
    // Asleep a while after the restart, as a laptop would be.
    await sleep(3_000)
  } finally {
    wokeAt = Date.now()
    signal(pids, "SIGCONT")
  }
  await poll(() => listItems(page), 10_000).toEqual(["written while asleep"])
  const shownAfter = (await seenAt(page, "written while asleep"))! - wokeAt
  console.log(`${test.info().project.name}: woke, write shown ${shownAfter} ms later`)
  // Target 1 s; the bound leaves room for two cores shared with other browsers.
  expect(shownAfter).toBeLessThan(3_000)
  expect(await page.evaluate(() => (document.getElementById("draft") as HTMLInputElement).value)).toBe("typed before the lid closed")
  await server.post("/items", { list, text: "live after waking" })
  await poll(() => listItems(page)).toEqual(["written while asleep", "live after waking"])
})
