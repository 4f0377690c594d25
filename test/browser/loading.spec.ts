// One <script src>, an import map, or next to turbo-rails: the page goes live and nothing throws.
import { addSource, appendStream, expect, recordWire, test } from "./fixtures"

function collectErrors(page: import("@playwright/test").Page): string[] {
  const errors: string[] = []
  page.on("pageerror", (error) => errors.push(error.message))
  page.on("console", (message) => message.type() == "error" && errors.push(message.text()))
  return errors
}

test("the classic-script build makes a page with no bundler live and sets window.Turbo and window.TurboCable", async ({ page, server }) => {
  const errors = collectErrors(page)
  await page.goto(`${server.app}/test/pages/blank.html`)
  expect(await page.evaluate(() => typeof (window as any).Turbo?.visit)).toBe("function")
  expect(await page.evaluate(() => typeof (window as any).TurboCable?.configure)).toBe("function")
  await addSource(page, server, "script-tag")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.broadcast("script-tag", appendStream("items", "st", "from the script tag"))
  await expect(page.locator("#st")).toHaveText("from the script tag")
  expect(errors).toEqual([])
})

test("deferred and loaded twice: one copy stays in charge, config set beforehand is used", async ({ page, server }) => {
  const errors = collectErrors(page)
  const wire = recordWire(page)
  await page.goto(`${server.app}/test/pages/deferred.html`)
  await addSource(page, server, "twice-loaded")
  await addSource(page, server, "twice-loaded")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(2)
  expect(wire.sockets.map((socket) => new URL(socket.url()).search)).toEqual(["?via=config"])
  await server.broadcast("twice-loaded", appendStream("items", "tl", "once"))
  await expect(page.locator("#items li")).toHaveCount(1)
  expect(errors).toEqual([])
})

test("at the end of body, configured from code with a URL function", async ({ page, server }) => {
  const errors = collectErrors(page)
  const wire = recordWire(page)
  await page.goto(`${server.app}/test/pages/in-body.html`)
  await addSource(page, server, "in-body")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(new URL(wire.sockets[0].url()).search).toBe("?via=function")
  expect(errors).toEqual([])
})

test("the ESM build works through an import map with Turbo as a peer", async ({ page, server }) => {
  const errors = collectErrors(page)
  await page.goto(`${server.app}/test/pages/esm.html`)
  await page.waitForFunction(() => (window as any).esm)
  await addSource(page, server, "esm")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.broadcast("esm", appendStream("items", "esm_1", "from ESM"))
  await expect(page.locator("#esm_1")).toHaveText("from ESM")
  expect(await page.evaluate(() => (window as any).esm.connectionState())).toBe("connected")
  expect(errors).toEqual([])
})

test("loaded next to turbo-rails it does not throw, and the page stays live", async ({ page, server }) => {
  const errors = collectErrors(page)
  await page.goto(`${server.app}/test/pages/with-turbo-rails.html`)
  await page.waitForFunction(() => (window as any).TurboCable && (window as any).Turbo)
  await addSource(page, server, "beside-turbo-rails")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.broadcast("beside-turbo-rails", appendStream("items", "btr", "live"))
  await expect(page.locator("#btr")).toHaveText("live")
  expect(errors).toEqual([])
})
