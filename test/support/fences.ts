// Fences for "this does not happen": something later that goes the same way, awaited. Once it is seen, the
// thing that must not happen would have been seen before it, so no window of real time is needed.
import type { Page } from "@playwright/test"

/**
 * Returns once Playwright has reported (`request` events) every request the page started before this call:
 * the page asks for `path` on its own origin and reads the answer, and a page's requests are reported in the
 * order it starts them.
 */
export async function requestsReported(page: Page, path: string): Promise<void> {
  await page.evaluate((path) => fetch(path, { cache: "no-store" }).then((response) => response.arrayBuffer()), path)
}
