// The demo reached by a host name other than localhost or an IP address (a LAN name, a reverse proxy): both pages
// are live, the script-tag page needing nothing from Vite and the ESM page's modules allowed on any host. The name
// is mapped to the loopback address inside Chromium (--host-resolver-rules), so nothing leaves the machine.
import { chromium, type Browser } from "@playwright/test"
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../support/chromium"
import { expect, expectLive, messages, say, test, uniqueName } from "./fixtures"

const HOST = "chat.demo.test"

let browser: Browser
test.beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_FLAGS, `--host-resolver-rules=MAP ${HOST} 127.0.0.1`] })
})
test.afterAll(async () => browser?.close())

for (const mode of ["script", "esm"] as const) {
  test(`the ${mode == "esm" ? "ESM (Vite)" : "script-tag"} page, reached as ${HOST}, is live and shares its connection with a second tab`, async ({ demo }) => {
    const origin = demo.url.replace("127.0.0.1", HOST)
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      const failed: string[] = []
      page.on("response", (response) => response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`))
      const room = `${mode == "esm" ? "/esm" : ""}/rooms/general`
      await page.goto(`${origin}/session/new?return_to=${encodeURIComponent(room)}`)
      const name = uniqueName("Host")
      await page.getByLabel("Your name").fill(name)
      await page.getByRole("button", { name: "Join" }).click()
      await expect(page).toHaveURL(`${origin}${room}`)
      await expectLive(page)
      const second = await context.newPage()
      await second.goto(page.url())
      await expectLive(second)
      for (const tab of [page, second]) await expect(tab.locator("#connection-status")).toHaveText(/^(connected|caught up) · 2 tabs, 1 connection$/)
      const text = `hello from ${name} at ${HOST}`
      await say(page, text)
      await expect(messages(second, text)).toHaveCount(1)
      expect(failed).toEqual([])
    } finally {
      await context.close()
    }
  })
}
