// The size budgets `npm test` holds the builds to (test/size/budget.ts), also the bench's targets.

/**
 * min+gzip budgets in bytes (kB = 1000 bytes, as the bench reports). The ESM figure is what a page loads
 * before any lazy import runs; the script-tag figure is the whole classic-script build, Turbo inside.
 */
export const BUDGETS = {
  esmUpFront: 11_000,
  // 40.1 kB before AnyCable's extended protocol (issue 15), which a classic script cannot load on demand:
  // session restore, stream positions and history add ~1.7 kB to it, whisper, presence and X-Socket-ID ~0.8 kB
  // (the ESM build loads the first with the socket, presence on first use).
  scriptTag: 42_000,
} as const
