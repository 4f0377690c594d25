// The hour-long soak (issue 22): test/soak/soak.ts for `duration`, a fault every 5 minutes in turn, every tab
// and worker read every 5 minutes. Prints the tables as it ends, writes them into bench/RESULTS.md (section
// "soak") and the heap chart into bench/soak.svg. Exits non-zero when a check fails.
//
//   npm run soak                                  the full hour (~62 minutes)
//   npm run soak -- --minutes 10 --every 1        a shorter run: a fault and a reading every minute
//   npx tsx bench/soak.ts --chart bench/soak.json  draws bench/soak.svg again from a run's readings
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { runSoak, type SoakReport } from "../test/soak/soak"
import { soakFailures, soakTables } from "../test/soak/report"
import { BENCH_ROOT } from "./support/bundles"
import { lineChartSvg, lineColor } from "./support/chart"
import { withSection } from "./support/kept_sections"

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? process.argv[at + 1]! : fallback
}
const MINUTE = 60_000
const minutes = Number(arg("minutes", "60"))
const every = Number(arg("every", "5")) * MINUTE

function chart(report: SoakReport): string {
  const names = [...Object.keys(report.samples[0]!.tabs), ...Object.keys(report.samples[0]!.workers).map((user) => `${user}'s worker`)]
  const series = names.map((name, i) => ({
    name,
    color: lineColor(i),
    points: report.samples.flatMap((sample): Array<[number, number]> => {
      const target = name.endsWith("'s worker") ? sample.workers[name.replace("'s worker", "")] : sample.tabs[name]
      return target ? [[sample.at / MINUTE, target.heap / 1024 / 1024]] : []
    }),
  }))
  return lineChartSvg(
    "turbo-cable soak: JS heap per tab and shared worker",
    `${Math.round(report.duration / MINUTE)} min, a fault every ${every / MINUTE} min, real Rails (2 pumas + Redis), headless Chromium, after a forced GC`,
    "minutes",
    "MB",
    series,
  )
}

async function main() {
  const saved = arg("chart", "")
  if (saved) return writeFile(resolve(BENCH_ROOT, "soak.svg"), chart(JSON.parse(await readFile(saved, "utf8"))))
  const started = new Date()
  // The pumas serve a copy of dist/: a rebuild during the hour does not reach a worker started again.
  const copy = await mkdtemp(join(tmpdir(), "turbo-cable-soak-"))
  await cp(resolve(BENCH_ROOT, "../dist"), join(copy, "dist"), { recursive: true })
  const report = await runSoak({
    duration: minutes * MINUTE,
    faultEvery: every,
    firstFaultAt: every / 2,
    sampleEvery: every,
    dist: join(copy, "dist"),
    log: (line) => console.log(line),
  }).finally(() => rm(copy, { recursive: true, force: true }))
  const failures = soakFailures(report, { caughtUpWithin: 15_000, heapGrowth: 0.1, baselineAt: every })
  const tables = soakTables(report, every)
  console.log(tables)
  const summary =
    `Written by \`npm run soak\` (bench/soak.ts) on ${started.toISOString().slice(0, 19)}Z: ${Math.round(report.duration / MINUTE)} minutes, ` +
    `${report.writes} writes (${report.skippedWrites} not taken: both pumas down), ${report.faults.length} faults, ${report.samples.length} readings; ` +
    `${failures.length ? `**${failures.length} checks failed**: ${failures.join("; ")}` : "every check passed"}.`
  await writeFile(resolve(BENCH_ROOT, "soak.svg"), chart(report))
  await writeFile(resolve(BENCH_ROOT, "soak.json"), JSON.stringify(report, null, 1))
  const file = resolve(BENCH_ROOT, "RESULTS.md")
  await writeFile(file, withSection(await readFile(file, "utf8"), "soak", `## Soak\n\n${summary}\n\n![heap over time](soak.svg)\n\n${tables}`))
  console.log(summary)
  if (failures.length) process.exitCode = 1
}

await main()
