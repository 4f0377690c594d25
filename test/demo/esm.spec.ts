// The bundler story: the same room, with turbo-cable loaded as an ES module through Vite.
import { expect, expectLive, messages, say, test, uniqueName } from "./fixtures"

test("the ESM page, served through Vite, is the same live room", async ({ join }) => {
  const alice = await join(uniqueName("Alice"), { mode: "esm" })
  const bob = await join(uniqueName("Bob"))

  // No script-tag build on this page: turbo-cable came in as a module (dist/turbo-cable.js via the package's exports).
  await expect(alice.locator('script[src*="turbo-cable.min.js"]')).toHaveCount(0)
  await expect(alice.locator('script[type="module"][src="/demo/client/esm.ts"]')).toHaveCount(1)
  expect(await alice.evaluate(() => typeof (window as any).TurboCable)).toBe("undefined")
  const modules = await alice.evaluate(() => performance.getEntriesByType("resource").map((entry) => new URL(entry.name).pathname))
  expect(modules).toContain("/dist/turbo-cable.js")
  // "caught up" when the page was slow enough to load that the library refetched it (a page born stale).
  await expect(alice.locator("#connection-status")).toHaveText(/^(connected|caught up)$/)

  await say(bob, "from the script-tag page")
  await expect(messages(alice, "from the script-tag page")).toHaveCount(1)
  await say(alice, "from the ESM page")
  await expect(messages(bob, "from the ESM page")).toHaveCount(1)
  await expect(messages(alice, "from the ESM page")).toHaveCount(1)

  // Links keep to the ESM build; a Turbo visit to another room stays live on the same socket.
  await alice.getByRole("link", { name: "#Random" }).click()
  await expect(alice).toHaveURL(/\/esm\/rooms\/random$/)
  await expectLive(alice)
})
