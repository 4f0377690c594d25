import { defineConfig } from "@playwright/test"
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "./test/support/chromium"
import type { EngineOptions } from "./test/engines/fixtures"

// test/engines/ holds the specs every engine runs, through a driver per engine (test/engines/driver);
// the rest (CDP freeze, DevTools frames, the demo) runs in Chromium through Playwright's own page.
const everyEngine = "engines/**/*.spec.ts"

export default defineConfig<EngineOptions>({
  testDir: "test",
  // Two cores: browser tests and the servers they start share them.
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // On CI a failed test runs once more: Playwright then reports it as "flaky" in its summary (a rare race stays
  // visible there), while a test that fails twice still fails the run. Locally, never.
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_FLAGS,
    },
    trace: "off",
  },
  projects: [
    {
      name: "chromium",
      testMatch: ["browser/**/*.spec.ts", "conformance/**/*.spec.ts", "demo/**/*.spec.ts", "soak/**/*.spec.ts", everyEngine],
      use: { engine: "chromium" },
    },
    { name: "firefox", testMatch: [everyEngine], use: { engine: "firefox" } },
    { name: "webkit", testMatch: [everyEngine], use: { engine: "webkit" } },
  ],
})
