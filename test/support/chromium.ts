// Debian's Chromium, never a downloaded browser, and the flags that keep it off the network and quiet.
// One place for the Playwright config, the freezable browser and the benchmarks.

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium"

export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]
