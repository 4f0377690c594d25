// A server restart: every page reconnects, and a page that missed messages while it was away catches up
// (refetch and morph, by the library) without losing what the user was typing.
import { setOffline } from "../support/offline"
import { expect, expectLive, messages, say, test, uniqueName } from "./fixtures"

test("after a server restart a page catches up on what it missed while away", async ({ demo, join }) => {
  const alice = await join(uniqueName("Alice"))
  const bob = await join(uniqueName("Bob"))
  await say(alice, "before the restart")
  await expect(messages(bob, "before the restart")).toHaveCount(1)
  await alice.locator("form[data-composer] textarea").fill("a draft typed before the restart")

  // Alice's line stays down until Bob has written: she can only see his message by catching up.
  await setOffline(alice, true)
  await demo.stop()
  await expect(alice.locator("#connection-status")).toHaveText(/offline, retrying…|reconnecting…/)
  await demo.start()
  await expectLive(bob)
  await say(bob, "written while alice was away")
  await expect(messages(bob, "written while alice was away")).toHaveCount(1)
  // Bob's message has gone out to every connection, and Alice's line is still down: she can see it only by catching up.
  expect(await alice.locator("html").getAttribute("data-turbo-cable-state")).toMatch(/^(disconnected|reconnecting)$/)
  await expect(messages(alice, "written while alice was away")).toHaveCount(0)

  await setOffline(alice, false)
  await expect(messages(alice, "written while alice was away")).toHaveCount(1, { timeout: 20_000 })
  await expect(alice.locator("html")).toHaveAttribute("data-turbo-cable-state", "caught-up")
  await expect(alice.locator("#connection-status")).toHaveText("caught up")
  await expect(alice.locator("form[data-composer] textarea")).toHaveValue("a draft typed before the restart")
  await expectLive(alice)

  // And live again after the catch-up.
  await say(bob, "after the catch-up")
  await expect(messages(alice, "after the catch-up")).toHaveCount(1)
})
