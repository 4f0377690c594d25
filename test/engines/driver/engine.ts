// The one small API the cross-engine specs drive a browser through. Each engine has a thin driver
// behind it (Chromium: Playwright over CDP; Firefox: puppeteer-core over WebDriver BiDi; WebKit:
// WebDriver classic over HTTP), started on 127.0.0.1 by the test and ended by its pid.

export type EngineName = "chromium" | "firefox" | "webkit"

export const ENGINES: EngineName[] = ["chromium", "firefox", "webkit"]

export interface EnginePage {
  goto(url: string): Promise<void>
  /** Runs `fn(arg)` in the page (its source is sent, so it may use only its argument); awaits a returned promise. */
  evaluate<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>
  /** Focuses the field and types `text` with the keyboard, as a user would. */
  type(selector: string, text: string): Promise<void>
  click(selector: string): Promise<void>
  reload(): Promise<void>
  back(): Promise<void>
  forward(): Promise<void>
  /** Closes the page as a user closes its window (pagehide runs); the browser's first page is never closed. */
  close(): Promise<void>
}

export interface EngineBrowser {
  readonly engine: EngineName
  /** The first page of this browser (one test at a time uses it). */
  readonly page: EnginePage
  /**
   * Opens another page, in a window of its own (so it is visible as the first page is), in the same profile:
   * same-origin pages of one browser share its SharedWorkers, cookies and storage. The test closes it.
   */
  newPage(): Promise<EnginePage>
  /** Every process of the browser (not the driver's): a laptop lid closing is SIGSTOP to all of them. */
  pids(): number[]
  close(): Promise<void>
}
