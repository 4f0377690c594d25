// Back to a page with an open cable, in each engine: whether the engine restored it from the
// back/forward cache is logged; either way the page shows what it missed and is live again.
import { newList, test, until, untilItems, watch } from "./fixtures"

test("back to a live page: caught up and live, from the back/forward cache where the engine keeps it", async ({ web: { page }, server }) => {
  const list = newList()
  await page.goto(`${server.app}/test/live/${list}`)
  await until(page, "connected", () => !!document.querySelector("turbo-cable-stream-source[connected]"))
  await watch(page)
  await page.goto(`${server.app}/test/pages/blank.html`)
  await server.post("/items", { list, text: "written while away" })
  await page.back()
  await untilItems(page, ["written while away"], 15_000)
  const restored = await page.evaluate(() => Boolean((window as any).__watched && (window as any).__pageshows.some((show: any) => show.persisted)))
  console.log(`${test.info().project.name}: back/forward cache ${restored ? "restored the page" : "did not keep the page (loaded afresh)"}`)
  test.info().annotations.push({ type: "bfcache", description: restored ? "restored" : "not kept" })
  await until(page, "connected", () => !!document.querySelector("turbo-cable-stream-source[connected]"))
  await server.post("/items", { list, text: "live after coming back" })
  await untilItems(page, ["written while away", "live after coming back"])
})
