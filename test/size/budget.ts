// Size budget (issue 14): `npm run size` after `npm run build`. The ESM build is measured as bench's size
// scenario does (bench/support/bundles.ts: esbuild bundle with splitting, what a page loads up front); the
// script-tag build is the one file users serve, gzipped -9 as it is. Exits non-zero naming each build over its
// budget.
// `npm run size -- --why` also lists which modules make up the ESM bytes loaded up front.
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { gzipSync } from "node:zlib"
import { REPO_ROOT, splitBuild, splitSizes } from "../../bench/support/bundles"
import { BUDGETS } from "./budgets"
const TURBO = ["@hotwired/turbo"]
const ESM_ENTRY = resolve(REPO_ROOT, "dist/turbo-cable.js")
const SCRIPT_ENTRY = resolve(REPO_ROOT, "dist/turbo-cable.min.js")

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`

interface Measured {
  build: string
  bytes: number
  budget: number
}

async function measure(): Promise<Measured[]> {
  const esm = await splitSizes(ESM_ENTRY, TURBO)
  // Not re-minified: esbuild's renaming of an already minified file costs 0.9 kB of gzip that no user pays.
  const script = { gzipped: gzipSync(readFileSync(SCRIPT_ENTRY), { level: 9 }).byteLength }
  return [
    { build: "dist/turbo-cable.js (ESM, up front, Turbo external)", bytes: esm.eager, budget: BUDGETS.esmUpFront },
    { build: "dist/turbo-cable.min.js (script tag, Turbo inside, the one file as served)", bytes: script.gzipped, budget: BUDGETS.scriptTag },
  ]
}

/**
 * Minified bytes loaded up front per source file: src/index.ts bundled as `splitSizes` bundles dist/ (dist/ is
 * built code, so the sources are read instead); gzip cannot be split per file, so the figures are minified.
 */
async function upFrontBreakdown(): Promise<{ inputs: Array<[string, number]>; minified: number }> {
  const { result, eager } = await splitBuild(resolve(REPO_ROOT, "src/index.ts"), TURBO)
  const totals = new Map<string, number>()
  for (const path of eager) {
    for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[path].inputs)) {
      // node_modules is a symlink in worktrees; esbuild reports the real path, so cut it to the package's.
      const name = input.replace(/^.*(?=node_modules\/)/, "")
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput)
    }
  }
  const inputs = [...totals].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1])
  return { inputs, minified: inputs.reduce((sum, [, bytes]) => sum + bytes, 0) }
}

async function main(): Promise<number> {
  const measured = await measure()
  for (const { build, bytes, budget } of measured) {
    const verdict = bytes <= budget ? "ok" : `OVER by ${bytes - budget} bytes`
    console.log(`${build}: ${kB(bytes)} min+gzip (${bytes} bytes), budget ${kB(budget)}: ${verdict}`)
  }

  if (process.argv.includes("--why")) {
    const { inputs, minified } = await upFrontBreakdown()
    console.log(`\nUp front from src/index.ts, minified bytes per input (${minified} bytes in all):`)
    for (const [input, bytes] of inputs) {
      console.log(`  ${String(bytes).padStart(6)}  ${(100 * bytes / minified).toFixed(1).padStart(4)}%  ${input}`)
    }
  }

  const over = measured.filter(({ bytes, budget }) => bytes > budget)
  if (over.length) console.error(`\nOver the size budget: ${over.map(({ build }) => build).join("; ")}`)
  return over.length ? 1 : 0
}

process.exitCode = await main()
