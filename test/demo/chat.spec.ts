// The demo chat as two people use it: two browser contexts, two signed-in users, one room.
import { expect, expectLive, messages, roomUrl, say, test, uniqueName } from "./fixtures"
import { appendSource } from "../support/sources"
import { tapWire } from "../support/wire_tap"

test("signing in with a name opens a live room page: three streams, one socket", async ({ browser, demo }) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const sockets: string[] = []
  tapWire(page, { opened: (socket) => sockets.push(socket.url()), sent() {}, received() {} })
  await page.goto(roomUrl(demo))
  await expect(page).toHaveURL(/\/session\/new/)
  const name = uniqueName("Ada")
  await page.getByLabel("Your name").fill(name)
  await page.getByRole("button", { name: "Join" }).click()
  await expect(page).toHaveURL(roomUrl(demo))
  await expect(page.locator("#me")).toHaveText(name)
  await expectLive(page)
  // "caught up" when the page was slow enough to load that the library refetched it (a page born stale).
  await expect(page.locator("#connection-status")).toHaveText(/^(connected|caught up)$/)
  expect(sockets).toEqual([`${demo.url.replace("http", "ws")}/cable`])
  await context.close()
})

test("a message reaches its sender in the form response and everyone else over the socket, once each", async ({ join }) => {
  const alice = await join(uniqueName("Alice"))
  const bob = await join(uniqueName("Bob"))
  const text = `hello from alice ${Date.now()}`

  const response = alice.waitForResponse((res) => res.url().endsWith("/rooms/general/messages"))
  await say(alice, text)
  expect((await response).headers()["content-type"]).toContain("text/vnd.turbo-stream.html")

  await expect(messages(alice, text)).toHaveCount(1)
  await expect(messages(bob, text)).toHaveCount(1)
  // The socket's copy and the response's copy carry the same id: whichever comes second changes nothing.
  // Bob's next message comes on Alice's socket after her own: once she shows it, both copies are in.
  const later = `then bob ${Date.now()}`
  await say(bob, later)
  await expect(messages(alice, later)).toHaveCount(1)
  await expect(messages(alice, text)).toHaveCount(1)
  await expect(messages(bob, text)).toHaveCount(1)
  // The composer came back empty and focused, ready for the next message.
  await expect(alice.locator("form[data-composer] textarea")).toHaveValue("")
  await expect(alice.locator("form[data-composer] textarea")).toBeFocused()
})

test("presence lists who is in the room; typing shows to the others only", async ({ join }) => {
  const aliceName = uniqueName("Alice")
  const bobName = uniqueName("Bob")
  const alice = await join(aliceName, { room: "design" })
  const bob = await join(bobName, { room: "design" })

  await expect(alice.locator("#presence_design li", { hasText: bobName })).toHaveCount(1)
  await expect(bob.locator("#presence_design li", { hasText: aliceName })).toHaveCount(1)

  await bob.locator("form[data-composer] textarea").pressSequentially("hmm, let me think", { delay: 20 })
  await expect(alice.locator("#typing_design")).toHaveText(`${bobName} is typing…`)
  await expect(bob.locator("#typing_design li", { hasText: bobName })).toBeHidden()

  await bob.locator("form[data-composer] textarea").press("Enter")
  await expect(messages(alice, "hmm, let me think")).toHaveCount(1)
  await expect(alice.locator("#typing_design li")).toHaveCount(0)

  await bob.context().close()
  await expect(alice.locator("#presence_design li", { hasText: bobName })).toHaveCount(0)
  await expect(alice.locator("#presence_design li", { hasText: aliceName })).toHaveCount(1)
})

test("the presence list is morphed in place, not replaced", async ({ join }) => {
  const aliceName = uniqueName("Alice")
  const alice = await join(aliceName, { room: "random" })
  await alice.evaluate(() => {
    ;(document.querySelector("#presence_random") as any).keptByMorph = true
  })
  const bobName = uniqueName("Bob")
  await join(bobName, { room: "random" })
  await expect(alice.locator("#presence_random li", { hasText: bobName })).toHaveCount(1)
  expect(await alice.evaluate(() => (document.querySelector("#presence_random") as any).keptByMorph)).toBe(true)
})

test("unread counts arrive on each user's own stream and clear when the room is opened", async ({ join }) => {
  const alice = await join(uniqueName("Alice"), { room: "general" })
  const bob = await join(uniqueName("Bob"), { room: "random" })
  await expect(bob.locator("#unread_general")).toBeHidden()

  await say(alice, "unread one")
  await expect(bob.locator("#unread_general")).toHaveText("1 unread")
  await say(alice, "unread two")
  await expect(bob.locator("#unread_general")).toHaveText("2 unread")
  // The sender has nothing unread, and neither does anyone for a room they are in.
  await expect(alice.locator("#unread_general")).toBeHidden()

  await bob.getByRole("link", { name: "#General" }).click()
  await expect(bob).toHaveURL(/\/rooms\/general$/)
  await expect(messages(bob, "unread two")).toHaveCount(1)
  await expect(bob.locator("#unread_general")).toBeHidden()
  await expectLive(bob)
})

test("changing the topic refreshes everyone's page by morphing it, without a reload", async ({ join }) => {
  const alice = await join(uniqueName("Alice"))
  const bob = await join(uniqueName("Bob"))
  await alice.evaluate(() => ((window as any).notReloaded = true))

  const topic = `Topic ${Date.now()}`
  await bob.locator("summary", { hasText: "Change the topic" }).click()
  await bob.getByLabel("Topic").fill(topic)
  await bob.getByRole("button", { name: /^Save/ }).click()

  await expect(bob.locator("#topic")).toHaveText(topic)
  await expect(alice.locator("#topic")).toHaveText(topic)
  expect(await alice.evaluate(() => (window as any).notReloaded)).toBe(true)
  // Still subscribed after the morph: the next message arrives.
  await say(bob, "after the refresh")
  await expect(messages(alice, "after the refresh")).toHaveCount(1)
})

test("a socket without a session is refused, and the page says so", async ({ browser, demo, join }) => {
  const member = await join(uniqueName("Alice"))
  const signedName = await member.locator("#room_source").getAttribute("signed-stream-name")

  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(roomUrl(demo))
  await expect(page).toHaveURL(/\/session\/new/) // no session: no room page

  // Even with the script and a validly signed stream name, the socket itself is refused.
  await page.addScriptTag({ url: "/dist/turbo-cable.min.js" })
  const stopped = page.evaluate(
    () =>
      new Promise((done) =>
        document.addEventListener("turbo-cable:state", (event: any) => event.detail.state == "stopped" && done(event.detail.reason)),
      ),
  )
  await appendSource(page, signedName!)
  expect(await stopped).toBe("unauthorized")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  await context.close()
})

test("a forged stream name is rejected; the page's other streams carry on", async ({ join }) => {
  const alice = await join(uniqueName("Alice"))
  const bob = await join(uniqueName("Bob"))
  // Someone else's unread stream, with the signature of our own.
  const [, digest] = (await alice.locator("#unread_source").getAttribute("signed-stream-name"))!.split("--")
  await appendSource(alice, `${Buffer.from(JSON.stringify("unread:Bob")).toString("base64")}--${digest}`, { id: "forged_source" })
  await expect(alice.locator("#forged_source")).toHaveAttribute("rejected", "")
  await expectLive(alice)
  await say(bob, "still live")
  await expect(messages(alice, "still live")).toHaveCount(1)
})
