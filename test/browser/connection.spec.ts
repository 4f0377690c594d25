// The socket's life as the page sees it: refused, told to stop, dropped.
import { startNodeServer, type NodeServer } from "../support/node_server"
import { addSource, commandsSent, expect, PLAIN_SERVER, recordStates, recordWire, states, test } from "./fixtures"

// As on Rails: a plain Action Cable server, which the client falls back to (session restore is in
// extended_protocol.spec.ts).
test.use({ serverEnv: PLAIN_SERVER })

test.describe("against a server that requires a session cookie", () => {
  let guarded: NodeServer
  test.beforeAll(async () => {
    guarded = await startNodeServer({ REQUIRE_COOKIE: "1" })
  })
  test.afterAll(async () => guarded.stop())

  test("an unauthorized connection makes one attempt and stops, and says so", async ({ page }) => {
    const wire = recordWire(page)
    await page.clock.install()
    await page.goto(`${guarded.app}/test/pages/blank.html`)
    await recordStates(page)
    const stopped = page.evaluate(
      () =>
        new Promise<{ state: string; reason: string }>((done) =>
          document.addEventListener("turbo-cable:state", (event: any) => event.detail.state == "stopped" && done(event.detail)),
        ),
    )
    await addSource(page, guarded, "private")
    expect(await stopped).toEqual({ state: "stopped", previous: "connecting", reason: "unauthorized" } as any)
    // Past the first backoff steps at once: a second attempt would say reconnecting within the run.
    await page.clock.runFor(4_000)
    expect(await states(page)).toEqual(["connecting", "stopped"])
    expect(wire.sockets).toHaveLength(1)
    await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
    await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  })

  test("with the session cookie the same page connects", async ({ page, context }) => {
    await context.addCookies([{ name: "session", value: "alice", url: guarded.app }])
    await page.goto(`${guarded.app}/test/pages/blank.html`)
    await addSource(page, guarded, "private")
    await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  })
})

test("a server disconnect with reconnect: false stops the cable for good", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.clock.install()
  await page.goto(`${server.app}/test/pages/blank.html`)
  await recordStates(page)
  await addSource(page, server, "told-to-stop")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.post("/disconnect", { reason: "remote", reconnect: false })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  // Past the first backoff steps at once: a new attempt would say reconnecting within the run.
  await page.clock.runFor(3_000)
  expect(await states(page)).toEqual(["connecting", "connected", "stopped"])
  expect(wire.sockets).toHaveLength(1)
})

test("a stopped cable starts again with getCable().restart()", async ({ page, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
  await addSource(page, server, "restarted-by-app")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.post("/disconnect", { reason: "remote", reconnect: false })
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
  await page.evaluate(() => (window as any).TurboCable.getCable().restart())
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.broadcast("restarted-by-app", `<turbo-stream action="append" target="items"><template><li id="again">again</li></template></turbo-stream>`)
  await expect(page.locator("#again")).toHaveText("again")
})

test("a dropped socket is replaced and every subscription sent again after the welcome", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.goto(`${server.app}/test/pages/blank.html`)
  await addSource(page, server, "dropped-a")
  await addSource(page, server, "dropped-b")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(2)
  await server.post("/kill")
  // Until the page sees the kill, the old socket's sources still say connected: wait for the new socket first.
  await expect.poll(() => wire.sockets.length, { timeout: 10_000 }).toBe(2)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(2, { timeout: 10_000 })
  expect(commandsSent(wire, "subscribe")).toHaveLength(4)
  await expect.poll(() => server.subscriptions("dropped-a")).toBe(1)
})

test("while the server is down, retries keep their backoff even after the page wakes", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.goto(`${server.app}/test/pages/blank.html`)
  await addSource(page, server, "down-and-woken")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.post("/stop")
  try {
    const attempts = page.evaluate(
      () =>
        new Promise<number>((done) => {
          let count = 0
          document.addEventListener("turbo-cable:state", (event: any) => event.detail.state == "reconnecting" && count++)
          window.dispatchEvent(new Event("online"))
          setTimeout(() => done(count), 2_000)
        }),
    )
    // First retry at once, then 150-450 ms, x1.3...: a handful in 2 s, not a tight loop.
    expect(await attempts).toBeLessThanOrEqual(6)
  } finally {
    await server.post("/start")
  }
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1, { timeout: 10_000 })
  expect(wire.sockets.length).toBeLessThan(12)
})
