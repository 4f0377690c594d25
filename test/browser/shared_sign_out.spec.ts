// Sign-out with a shared connection, against a server that requires a session cookie (as Rails apps do):
// whatever refuses or ends the shared connection reaches every tab that shares it.
import type { BrowserContext, Page } from "@playwright/test"
import { addSource, expect, test } from "./fixtures"

test.use({ serverEnv: { REQUIRE_COOKIE: "1" } })

const live = (page: Page, count = 1) => expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(count)

async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  return page
}

test("a sign-out that disconnects the user's connection reaches every tab: refused, stopped", async ({ page, context, server }) => {
  await context.addCookies([{ name: "session", value: "alice", url: server.app }])
  const alicePage = `${server.app}/test/pages/identity-alice.html`
  await page.goto(alicePage)
  const other = await openTab(context, alicePage)
  for (const tab of [page, other]) await addSource(tab, server, "signed-in")
  for (const tab of [page, other]) await live(tab)
  expect(await server.connections()).toBe(1)

  // What a sign-out does: the session cookie goes, the server disconnects the user's connections.
  await context.clearCookies()
  await server.post("/disconnect", { reason: "remote", reconnect: true })
  for (const tab of [page, other]) {
    await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-state", "stopped")
    await expect(tab.locator("turbo-cable-stream-source[connected]")).toHaveCount(0)
  }
})
