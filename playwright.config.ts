import { defineConfig } from "@playwright/test"
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "./test/support/chromium"

export default defineConfig({
  testDir: "test",
  testMatch: ["browser/**/*.spec.ts", "conformance/**/*.spec.ts", "demo/**/*.spec.ts"],
  // Two cores: browser tests and the servers they start share them.
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_FLAGS,
    },
    trace: "off",
  },
})
