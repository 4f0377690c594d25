// Live wherever it is deployed, with no configuration but README's: each deployment users make
// (test/support/deployments.ts builds them for real) connects its page and, since the pages render the identity
// tag, shares one connection among five tabs, with no request answered 404 and nothing logged as an error.
import { DEPLOYMENTS, ensureDeployments, pageFor } from "../support/deployments"
import type { EnginePage } from "./driver/engine"
import { appendStream, cableState, expect, listItems, newList, poll, recorded, tabCount, test } from "./fixtures"

test.beforeAll(async () => {
  test.setTimeout(120_000)
  await ensureDeployments()
})

const facts = (page: EnginePage) =>
  page.evaluate(() => ({ connectedAt: (window as any).__connectedAt as number | undefined, errors: (window as any).__errors as string[] }))

for (const deployment of DEPLOYMENTS) {
  test(`${deployment}: the page is live, and five tabs share one connection with no 404 and no error`, async ({ tabs, server, engine }) => {
    test.setTimeout(engine == "webkit" ? 180_000 : 90_000)
    const list = newList()
    const url = `${server.app}${pageFor(deployment, await server.sign(list), list)}`
    const pages: EnginePage[] = []
    for (let i = 0; i < 5; i++) {
      const page = await tabs.open(url)
      await poll(() => cableState(page)).toBe("connected")
      if (i == 0) console.log(`${engine}, ${deployment}: first tab connected ${Math.round((await facts(page)).connectedAt!)} ms after its navigation started`)
      pages.push(page)
    }
    await poll(() => Promise.all(pages.map(tabCount))).toEqual(Array(5).fill("5"))
    expect(await server.connections()).toBe(1)
    expect(await server.subscriptions(list)).toBe(1)

    // An item without an id: a second application would show twice.
    await server.broadcast(list, `<turbo-stream action="append" target="items"><template><li>to every tab</li></template></turbo-stream>`)
    await poll(() => Promise.all(pages.map(listItems))).toEqual(Array(5).fill(["to every tab"]))
    await server.broadcast(list, appendStream("items", "fence", "fence"))
    for (const page of pages) {
      await poll(() => listItems(page)).toEqual(["to every tab", "fence"])
      expect((await recorded(page)).added["to every tab"]).toBe(1)
      expect((await facts(page)).errors).toEqual([])
    }
    const failed = (await server.get<Array<{ url: string; status: number }>>("/http-errors")).filter(({ url }) => url.startsWith(`/apps/${deployment}/`))
    expect(failed).toEqual([])
  })
}
