import { defineConfig } from "@playwright/test"

// Debian's Chromium, never a downloaded browser; flags keep it off the network and quiet.
const chromiumFlags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

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
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: chromiumFlags,
    },
    trace: "off",
  },
})
