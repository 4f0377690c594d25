// Makes demo/screenshot.png for the README: two people chatting, each in a browser of their own,
// side by side. `npx tsx demo/screenshot.ts` (after `npm run build`); uses Debian's Chromium.

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type Browser, type Page } from "@playwright/test"
import { startDemo } from "./app/app"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const OUTPUT = join(ROOT, "demo/screenshot.png")
const VIEWPORT = { width: 860, height: 580 }

async function signIn(browser: Browser, url: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 })
  const page = await context.newPage()
  await page.goto(`${url}/session/new?return_to=/rooms/general`)
  await page.getByLabel("Your name").fill(name)
  await page.getByRole("button", { name: "Join" }).click()
  await page.locator("turbo-cable-stream-source[connected]").nth(2).waitFor({ state: "attached" })
  return page
}

async function say(page: Page, text: string): Promise<void> {
  const field = page.locator("form[data-composer] textarea")
  await field.fill(text)
  await field.press("Enter")
  await page.locator(".messages .body", { hasText: text }).waitFor()
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "turbo-cable-demo-screenshot-"))
  const demo = await startDemo({ root: ROOT, dataDir, port: 0 })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  })
  try {
    const alice = await signIn(browser, demo.url, "Alice")
    const bob = await signIn(browser, demo.url, "Bob")
    await say(alice, "Morning Bob! This page is plain server-rendered HTML.")
    await say(bob, "And yet your message just appeared here, over one WebSocket.")
    await say(alice, "Three streams on this page: the room, who is here, and my unread rooms.")

    // Carol writes in #Random from a third browser, so both see an unread badge.
    const carol = await signIn(browser, demo.url, "Carol")
    await carol.getByRole("link", { name: "#Random" }).click()
    await carol.waitForURL(/random$/)
    await say(carol, "Anyone up for lunch?")
    await carol.context().close()

    await say(bob, "Restart the server and write from another tab: this one catches up.")
    await bob.locator("form[data-composer] textarea").pressSequentially("Let me try th", { delay: 30 })
    await alice.locator("#typing_general li", { hasText: "Bob" }).waitFor()
    await alice.locator("#unread_random:not([hidden])").waitFor()
    await alice.waitForTimeout(300)

    const shots = await Promise.all([alice.screenshot(), bob.screenshot()])
    const frame = await (await browser.newContext({ viewport: { width: VIEWPORT.width * 2 + 48, height: VIEWPORT.height + 80 } })).newPage()
    const panel = (who: string, png: Buffer) =>
      `<figure><figcaption>${who}</figcaption><img src="data:image/png;base64,${png.toString("base64")}"></figure>`
    await frame.setContent(`<!doctype html><style>
      body { margin: 0; padding: 16px; background: #2b2f36; display: flex; gap: 16px; font: 600 14px system-ui, sans-serif; }
      figure { margin: 0; } figcaption { color: #e5e7eb; margin: 0 0 8px 4px; }
      img { display: block; width: ${VIEWPORT.width}px; border-radius: 8px; box-shadow: 0 4px 18px rgba(0,0,0,.45); }
    </style>${panel("Alice's browser", shots[0])}${panel("Bob's browser", shots[1])}`)
    await frame.screenshot({ path: OUTPUT, fullPage: true })
    process.stdout.write(`wrote ${OUTPUT}\n`)
  } finally {
    await browser.close()
    await demo.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
