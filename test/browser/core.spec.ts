// The core, as a user and the wire see it: one socket, shared subscriptions, messages applied once and in order.
import { appendSource } from "../support/sources"
import { addSource, appendStream, commandsSent, eventually, expect, recordStates, recordWire, states, test } from "./fixtures"

test.beforeEach(async ({ page, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
})

test("many sources share one socket and one subscription per stream", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.reload()
  for (const stream of ["one-a", "one-b", "one-c", "one-a", "one-b"]) await addSource(page, server, stream)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(5)
  expect(wire.sockets).toHaveLength(1)
  expect(commandsSent(wire, "subscribe")).toHaveLength(3)
  await eventually(() => server.subscriptions("one-a"), 1)
  await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-state", "connected")
})

test("the identifier is turbo-rails' params in its key order, data-* snake-cased", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.reload()
  const signed = await server.sign("params")
  await addSource(page, server, "params", { "data-room-id": "7", "data-kind": "chat" })
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  expect(commandsSent(wire, "subscribe")[0].identifier).toBe(
    JSON.stringify({ channel: "Turbo::StreamsChannel", signed_stream_name: signed, room_id: "7", kind: "chat" }),
  )
})

test("two sources for one stream apply each broadcast once; removing one keeps the other live", async ({ page, server }) => {
  await page.clock.install()
  await page.reload()
  const first = await addSource(page, server, "twice")
  await addSource(page, server, "twice")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(2)
  await server.broadcast("twice", `<turbo-stream action="append" target="items"><template><li>once</li></template></turbo-stream>`)
  await expect(page.locator("#items li")).toHaveCount(1)

  await page.locator(`#${first}`).evaluate((element) => element.remove())
  // Past the unsubscribe delay (500 ms) at once: a subscription let go then would miss the next broadcast.
  await page.clock.runFor(1_000)
  await server.broadcast("twice", `<turbo-stream action="append" target="items"><template><li>still live</li></template></turbo-stream>`)
  await expect(page.locator("#items li")).toHaveText(["once", "still live"])
  await eventually(() => server.subscriptions("twice"), 1)
})

test("30 rapid remove and re-add cycles end with one server subscription; a final removal leaves none", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.reload()
  const id = await addSource(page, server, "churn")
  await page.evaluate(async (id) => {
    const element = document.getElementById(id)!
    const parent = element.parentElement!
    for (let i = 0; i < 30; i++) {
      element.remove()
      if (i % 3 == 0) await new Promise(requestAnimationFrame)
      parent.append(element)
      if (i % 5 == 0) await new Promise((done) => setTimeout(done, 5))
    }
  }, id)
  await expect(page.locator(`#${id}`)).toHaveAttribute("connected", "")
  await eventually(() => server.subscriptions("churn"), 1)
  expect(commandsSent(wire, "subscribe")).toHaveLength(1)
  expect(commandsSent(wire, "unsubscribe")).toHaveLength(0)

  await page.locator(`#${id}`).evaluate((element) => element.remove())
  await eventually(() => server.subscriptions("churn"), 0)
})

test("a source removed before its confirmation leaves no subscription behind", async ({ page, server }) => {
  await addSource(page, server, "warmup")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  const signed = await server.sign("early")
  await page.evaluate((signed) => {
    const element = document.createElement("turbo-cable-stream-source")
    element.setAttribute("channel", "Turbo::StreamsChannel")
    element.setAttribute("signed-stream-name", signed)
    document.body.append(element)
    element.remove()
  }, signed)
  // A source added after it: once it is confirmed, the server has had the early subscribe, if it went out.
  await addSource(page, server, "after-early")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(2)
  await eventually(() => server.subscriptions("early"), 0)
})

test("a forged stream name is rejected once, not retried, and other sources keep working", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.clock.install()
  await page.reload()
  const rejected = page.evaluate(
    () => new Promise<string>((done) => document.addEventListener("turbo-cable:rejected", (e) => done((e.target as Element).id))),
  )
  await appendSource(page, "eyJmb3JnZWQiOnRydWV9--0000", { id: "forged" })
  await addSource(page, server, "honest")
  expect(await rejected).toBe("forged")
  await expect(page.locator("#forged")).toHaveAttribute("rejected", "")
  await expect(page.locator("#forged")).not.toHaveAttribute("connected", "")
  // Past the confirm timeout (2 s), when an unanswered subscribe is sent again: a retry goes out within the run.
  await page.clock.runFor(2_000)
  const forgedSubscribes = commandsSent(wire, "subscribe").filter((f) => f.identifier.includes("0000"))
  expect(forgedSubscribes).toHaveLength(1)
  await server.broadcast("honest", appendStream("items", "honest_1", "honest"))
  await expect(page.locator("#honest_1")).toHaveText("honest")
})

test("payloads that are not Turbo Streams leave the page unchanged", async ({ page, server }) => {
  await addSource(page, server, "junk")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  const before = await page.evaluate(() => document.documentElement.outerHTML)
  for (const junk of ["plain text", '{"json":"object"}', "<div id='stray'>stray html</div>", "", "<turbo-streamer>x</turbo-streamer>"]) {
    await server.broadcast("junk", junk)
  }
  await server.post("/broadcast", { stream: "junk", message: { an: "object" } })
  await server.broadcast("junk", appendStream("items", "after_junk", "after"))
  await expect(page.locator("#after_junk")).toHaveText("after")
  const after = await page.evaluate(() => {
    document.getElementById("after_junk")!.remove()
    return document.documentElement.outerHTML
  })
  expect(after).toBe(before)
})

test("stray markup around stream elements is dropped, the streams applied", async ({ page, server }) => {
  await addSource(page, server, "stray")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.broadcast("stray", `junk <b id="bold">bold</b>${appendStream("items", "s1", "one")}\n${appendStream("items", "s2", "two")}`)
  await expect(page.locator("#items li")).toHaveText(["one", "two"])
  await expect(page.locator("#bold")).toHaveCount(0)
  expect(await page.evaluate(() => document.documentElement.lastChild?.nodeName)).toBe("BODY")
})

test("2,000 messages sent back to back are all applied, in order", async ({ page, server }) => {
  await addSource(page, server, "burst")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await server.broadcast("burst", appendStream("items", "m_{{i}}", "{{i}}"), 2_000)
  await expect(page.locator("#items li")).toHaveCount(2_000, { timeout: 30_000 })
  const texts = await page.locator("#items li").allTextContents()
  expect(texts).toEqual(Array.from({ length: 2_000 }, (_, i) => String(i)))
})

test("the connected attribute follows the subscription, with events on the element and document", async ({ page, server }) => {
  const events = page.evaluate(
    () =>
      new Promise<string[]>((done) => {
        const seen: string[] = []
        for (const name of ["turbo-cable:connected", "turbo-cable:disconnected"]) {
          document.addEventListener(name, (event) => {
            seen.push(`${event.type}:${(event as CustomEvent).detail.source.id}`)
            if (seen.length == 2) done(seen)
          })
        }
      }),
  )
  const id = await addSource(page, server, "attr")
  await expect(page.locator(`#${id}`)).toHaveAttribute("connected", "")
  await page.locator(`#${id}`).evaluate((element) => element.remove())
  expect(await events).toEqual([`turbo-cable:connected:${id}`, `turbo-cable:disconnected:${id}`])
})

test("changing signed-stream-name or a data attribute moves the source to the new stream", async ({ page, server }) => {
  const id = await addSource(page, server, "before-move")
  await expect(page.locator(`#${id}`)).toHaveAttribute("connected", "")
  const signed = await server.sign("after-move")
  await page.locator(`#${id}`).evaluate((element, signed) => element.setAttribute("signed-stream-name", signed), signed)
  await eventually(() => server.subscriptions("after-move"), 1)
  await eventually(() => server.subscriptions("before-move"), 0)
  await expect(page.locator(`#${id}`)).toHaveAttribute("connected", "")
  await server.broadcast("after-move", appendStream("items", "moved", "moved"))
  await expect(page.locator("#moved")).toHaveText("moved")

  await page.locator(`#${id}`).evaluate((element) => element.setAttribute("data-room", "2"))
  await expect.poll(async () => (await server.commands()).filter((c: any) => c.identifier.includes('"room":"2"')).length).toBe(1)
})

test("sources inside a Turbo preview do not subscribe", async ({ page, server }) => {
  const wire = recordWire(page)
  await page.clock.install()
  await page.reload()
  await recordStates(page)
  await page.evaluate(() => document.documentElement.setAttribute("data-turbo-preview", ""))
  await addSource(page, server, "preview")
  // Whatever the page's timers would do in a second, done at once: a socket opened then says connecting.
  await page.clock.runFor(1_000)
  expect(await states(page)).toEqual([])
  expect(commandsSent(wire, "subscribe")).toHaveLength(0)
  expect(wire.sockets).toHaveLength(0)
})

test("a malformed message in a burst cannot swallow the messages after it", async ({ page, server }) => {
  await addSource(page, server, "malformed")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  const traps = [
    `<turbo-stream action="append" target="items"><template><li id="t1" title="unclosed>one</li></template></turbo-stream>`,
    `<turbo-stream action="append" target="items"><template><li id="t2"><textarea>two</li></template></turbo-stream>`,
    `<turbo-stream action="append" target="items"><template><li id="t3">three<!-- open</li></template></turbo-stream>`,
    `<turbo-stream action="append" target="items"><template><li id="t4">four<script>var s = "</turbo-stream>"</script></li></template></turbo-stream>`,
  ]
  // One burst: each trap directly followed by a plain message, so they reach Turbo in one call.
  const messages = traps.flatMap((trap, i) => [trap, appendStream("items", `after_${i}`, `after ${i}`)])
  await server.post("/broadcast", { stream: "malformed", messages })
  await expect(page.locator("#items li[id^=after_]")).toHaveText(["after 0", "after 1", "after 2", "after 3"])
  // The unclosed quote makes the HTML parser drop that <li> (as it would for Turbo alone); the others stand.
  await expect(page.locator("#t2, #t3, #t4")).toHaveCount(3)
})
