// What a page relies on, in each engine: the script tag loads, sources connect, streams apply once.
import { setTimeout as sleep } from "node:timers/promises"
import { addSource, appendStream, connectedSources, expect, listItems, poll, test, watch, wire } from "./fixtures"

test("the classic-script build makes a page live and sets window.Turbo and window.TurboCable", async ({ web: { page }, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
  expect(await page.evaluate(() => [typeof (window as any).Turbo?.visit, typeof (window as any).TurboCable?.configure])).toEqual(["function", "function"])
  await addSource(page, await server.sign("script-tag"))
  await poll(() => connectedSources(page)).toBeGreaterThan(0)
  await server.broadcast("script-tag", appendStream("items", "st", "from the script tag"))
  await poll(() => page.evaluate(() => document.getElementById("st")?.textContent)).toBe("from the script tag")
})

test("append, replace and remove are each applied once", async ({ web: { page }, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
  // Each stream Turbo renders: a second copy of these would change nothing to see (ids, a target gone).
  await page.evaluate(() => {
    const w = window as any
    w.rendered = []
    document.addEventListener("turbo:before-stream-render", (event) => w.rendered.push((event.target as Element).getAttribute("action")))
  })
  await addSource(page, await server.sign("actions"))
  await poll(() => connectedSources(page)).toBeGreaterThan(0)
  await server.broadcast("actions", appendStream("items", "a1", "one"))
  await server.broadcast("actions", appendStream("items", "a2", "two"))
  await server.broadcast("actions", `<turbo-stream action="replace" target="old"><template><p id="new">new</p></template></turbo-stream>`)
  await server.broadcast("actions", `<turbo-stream action="remove" target="a1"></turbo-stream>`)
  await poll(() => page.evaluate(() => !!document.getElementById("new") && !document.getElementById("a1"))).toBe(true)
  expect(await listItems(page)).toEqual(["two"])
  expect(await page.evaluate(() => document.getElementById("target")!.innerHTML.trim())).toBe(`<p id="new">new</p>`)
  expect(await page.evaluate(() => (window as any).rendered)).toEqual(["append", "append", "replace", "remove"])
})

test("two sources for one stream: one subscription on the wire and the server, each broadcast applied once", async ({ web: { page }, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
  await watch(page)
  const signed = await server.sign("shared")
  await addSource(page, signed)
  await addSource(page, signed)
  await poll(() => connectedSources(page)).toBe(2)
  await server.broadcast("shared", `<turbo-stream action="append" target="items"><template><li>no id</li></template></turbo-stream>`)
  await poll(async () => (await listItems(page)).length).toBeGreaterThan(0)
  // No second copy is the point: a window for one to arrive, as nothing can be awaited.
  await sleep(500)
  expect(await listItems(page)).toEqual(["no id"])
  const frames = await wire(page)
  expect(frames.sockets).toHaveLength(1)
  expect(frames.sent.filter((frame) => frame.command == "subscribe")).toHaveLength(1)
  expect(await server.subscriptions("shared")).toBe(1)
})

test("plain text and JSON broadcasts never reach the page; the next stream does", async ({ web: { page }, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
  await addSource(page, await server.sign("plain"))
  await poll(() => connectedSources(page)).toBeGreaterThan(0)
  const before = await page.evaluate(() => document.body.innerHTML)
  await server.broadcast("plain", "just some text")
  await server.broadcast("plain", JSON.stringify({ hello: "world" }))
  await server.broadcast("plain", appendStream("items", "after", "after"))
  await poll(() => page.evaluate(() => !!document.getElementById("after"))).toBe(true)
  const body = await page.evaluate(() => document.body.innerHTML)
  expect(body).not.toContain("just some text")
  expect(body).not.toContain("hello")
  expect(body.replace(/<li id="after">after<\/li>/, "")).toBe(before)
  expect(await connectedSources(page)).toBe(1)
})
