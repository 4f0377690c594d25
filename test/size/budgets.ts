// The size budgets `npm test` holds the builds to (test/size/budget.ts), also the bench's targets.

/**
 * min+gzip budgets in bytes (kB = 1000 bytes, as the bench reports). The ESM figure is what a page loads
 * before any lazy import runs; the script-tag figure is the whole classic-script build, Turbo inside, as served.
 */
export const BUDGETS = {
  esmUpFront: 11_000,
  // The one file that does everything (issue 20): the page's code, the socket's, and the shared worker's hub, which
  // the file runs when it is its own worker. Before it, 40.0 kB for the script and 7.1 kB for the worker file beside
  // it (46.7 kB the two together), measured as this one is: the file as served, gzip -9.
  scriptTag: 46_000,
} as const
