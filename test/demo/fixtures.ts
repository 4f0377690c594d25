// Playwright fixtures for the demo: one demo server per test file, and `join` to open a signed-in page
// in a browser context of its own (one context per user, as two people on two machines).
import { test as base, expect, type BrowserContext, type Page } from "@playwright/test"
import { startDemoServer, type DemoServer } from "./demo_server"

export interface JoinOptions {
  room?: string
  /** "esm" opens the page that loads turbo-cable as an ES module through Vite. */
  mode?: "script" | "esm"
}

export type Join = (name: string, options?: JoinOptions) => Promise<Page>

/** A name no other test uses, so read markers and presence start fresh. */
export function uniqueName(base: string): string {
  return `${base} ${Math.random().toString(36).slice(2, 7)}`
}

export function roomUrl(demo: DemoServer, room = "general", mode: "script" | "esm" = "script"): string {
  return `${demo.url}${mode === "esm" ? "/esm" : ""}/rooms/${room}`
}

/** The page's three streams (room, presence, unread) are confirmed. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(3)
}

/** Types into the composer and sends with Enter, as a user would. */
export async function say(page: Page, text: string): Promise<void> {
  const field = page.locator("form[data-composer] textarea")
  await field.fill(text)
  await field.press("Enter")
}

export function messages(page: Page, text?: string) {
  const all = page.locator(".messages article.message")
  return text === undefined ? all : all.filter({ has: page.locator(".body", { hasText: text }) })
}

export const test = base.extend<{ join: Join }, { demo: DemoServer }>({
  demo: [
    async ({}, use) => {
      const demo = await startDemoServer()
      await use(demo)
      await demo.dispose()
    },
    { scope: "worker" },
  ],

  join: async ({ browser, demo }, use) => {
    const contexts: BrowserContext[] = []
    await use(async (name, { room = "general", mode = "script" } = {}) => {
      const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
      contexts.push(context)
      const page = await context.newPage()
      const returnTo = new URL(roomUrl(demo, room, mode)).pathname
      await page.goto(`${demo.url}/session/new?return_to=${encodeURIComponent(returnTo)}`)
      await page.getByLabel("Your name").fill(name)
      await page.getByRole("button", { name: "Join" }).click()
      await expect(page.locator("#me")).toHaveText(name)
      await expectLive(page)
      return page
    })
    for (const context of contexts) await context.close()
  },
})

export { expect }
