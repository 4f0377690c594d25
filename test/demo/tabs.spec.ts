// The demo shows the shared connection: a second tab of the same user shares the first one's socket, and the
// status badge of each says so; another user's tabs (another browser, another cookie jar) have their own.
import { expect, expectLive, test, uniqueName } from "./fixtures"

test("a second tab of the same user shares the connection, and the badge says so", async ({ join }) => {
  const first = await join(uniqueName("Tab"))
  await expect(first.locator("#connection-status")).toHaveText(/^(connected|caught up)$/)
  const second = await first.context().newPage()
  await second.goto(first.url())
  await expectLive(second)
  for (const page of [first, second]) {
    await expect(page.locator("#connection-status")).toHaveText(/^(connected|caught up) · 2 tabs, 1 connection$/)
  }
  await second.close()
  await expect(first.locator("#connection-status")).toHaveText(/^(connected|caught up)$/)
})

test("a tab signed in as another user in the same browser does not share (the identity meta tag differs)", async ({ join, demo }) => {
  const alice = await join(uniqueName("Alice"))
  const other = await alice.context().newPage()
  await other.goto(`${demo.url}/session/new?return_to=${encodeURIComponent("/rooms/general")}`)
  const bob = uniqueName("Bob")
  await other.getByLabel("Your name").fill(bob)
  await other.getByRole("button", { name: "Join" }).click()
  await expect(other.locator("#me")).toHaveText(bob)
  await expectLive(other)
  for (const page of [alice, other]) await expect(page.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
})
