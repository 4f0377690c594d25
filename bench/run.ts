// `npm run bench` (build first, then this): every scenario against every client in headless Chromium and
// the project's Node Action Cable server; prints the table, writes bench/RESULTS.md and bench/chart.svg.
//
//   tsx bench/run.ts [--quick] [--only=burst,latency] [--runs=N] [--clients=turbo-cable,floor]
//   tsx bench/run.ts --render bench/out/results.json     (the report again from a run's raw results)
//
// --quick: one run each and smaller counts, to try the harness; it and partial runs (--only, --clients,
// --runs) write to bench/out/ instead, so bench/RESULTS.md only ever holds complete runs.
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { resolve } from "node:path"
import { CLIENT_IDS, LABELS } from "./clients"
import { burst } from "./scenarios/burst"
import { churn } from "./scenarios/churn"
import { history } from "./scenarios/history"
import { latency } from "./scenarios/latency"
import { manyStreams } from "./scenarios/many_streams"
import { reconnect } from "./scenarios/reconnect"
import { size } from "./scenarios/size"
import { tabs } from "./scenarios/tabs"
import { SCENARIO_IDS, settingsFor, type Bench, type ScenarioId, type ScenarioResult } from "./support/bench"
import { launchBrowser } from "./support/browser"
import { BENCH_ROOT, buildPageBundles, OUT_DIR } from "./support/bundles"
import { describeMachine, LoadSampler } from "./support/machine"
import { chartOf, resultsMarkdown, type Report } from "./support/report"
import { textTable } from "./support/results"
import { startNodeServer, type NodeServer } from "../test/support/node_server"
import { BenchWeb } from "./support/web"
import { keepSections } from "./support/kept_sections"

const SCENARIOS: Record<ScenarioId, (bench: Bench) => Promise<ScenarioResult>> = {
  size,
  burst,
  latency,
  many_streams: manyStreams,
  churn,
  reconnect,
  history,
  tabs,
}

/** Nothing may keep the run going past this: the machine is shared. */
const HARD_LIMIT_MS = 25 * 60_000

function option(name: string): string | undefined {
  const args = process.argv.slice(2)
  const inline = args.find((arg) => arg.startsWith(`--${name}=`))
  if (inline) return inline.slice(name.length + 3)
  const index = args.indexOf(`--${name}`)
  return index >= 0 && args[index + 1] && !args[index + 1].startsWith("--") ? args[index + 1] : undefined
}

function listOption<T extends string>(name: string, allowed: readonly T[]): T[] | undefined {
  const value = option(name)
  if (value === undefined) return undefined
  const list = value.split(",").map((item) => item.trim()) as T[]
  const unknown = list.filter((item) => !allowed.includes(item))
  if (unknown.length) throw new Error(`--${name}: unknown ${unknown.join(", ")} (one of ${allowed.join(", ")})`)
  return list
}

/** Writes the table, RESULTS.md and chart.svg of a report; complete runs to bench/, others to bench/out/. */
async function writeReport(report: Report, complete: boolean): Promise<string[]> {
  const rows = report.results.flatMap((result) => result.rows)
  process.stdout.write(`\n${textTable(rows, LABELS)}\n`)
  const profile = report.results.find((result) => result.profile)?.profile
  if (profile) {
    process.stdout.write(`turbo-cable burst profile, top self time (${profile.messages} messages):\n`)
    for (const entry of profile.summary.topSelf.slice(0, 10)) {
      process.stdout.write(`  ${entry.selfMs.toFixed(1).padStart(7)} ms  ${entry.name}  ${entry.where}  [${entry.part}]\n`)
    }
  }
  const files = complete
    ? [resolve(BENCH_ROOT, "RESULTS.md"), resolve(BENCH_ROOT, "chart.svg"), resolve(OUT_DIR, "results.json")]
    : [resolve(OUT_DIR, "RESULTS.partial.md"), resolve(OUT_DIR, "chart.partial.svg"), resolve(OUT_DIR, "results.partial.json")]
  await mkdir(OUT_DIR, { recursive: true })
  // bench/engines.ts's section of RESULTS.md is kept.
  await writeFile(files[0], keepSections(resultsMarkdown(report), await readFile(files[0], "utf8").catch(() => "")))
  await writeFile(files[1], chartOf(report))
  // Infinity (a timeout) survives the round trip through --render as a string.
  await writeFile(files[2], JSON.stringify({ complete, report }, (_, value) => (value === Infinity ? "Infinity" : value), 1))
  return files
}

async function main(): Promise<void> {
  const saved = option("render")
  if (saved) {
    const { complete, report } = JSON.parse(await readFile(saved, "utf8"), (_, value) => (value === "Infinity" ? Infinity : value))
    const files = await writeReport(report, complete)
    process.stderr.write(`wrote ${files.slice(0, 2).join(" and ")}\n`)
    return
  }
  const quick = process.argv.includes("--quick")
  const only = listOption("only", SCENARIO_IDS)
  const clients = listOption("clients", CLIENT_IDS) ?? [...CLIENT_IDS]
  const runs = option("runs") ? Number(option("runs")) : undefined
  const complete = !quick && !only && clients.length == CLIENT_IDS.length && runs === undefined
  const settings = settingsFor(quick, runs)
  const scenarios = only ?? [...SCENARIO_IDS]
  const started = Date.now()
  const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`)

  let server: NodeServer | undefined
  let web: BenchWeb | undefined
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined
  const cleanUp = async () => {
    server?.thaw()
    await browser?.close().catch(() => {})
    await web?.close().catch(() => {})
    await server?.stop().catch(() => {})
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)))
  }
  const watchdog = setTimeout(() => {
    log(`still running after ${HARD_LIMIT_MS / 60_000} min: giving up`)
    void cleanUp().finally(() => process.exit(2))
  }, HARD_LIMIT_MS)
  watchdog.unref()

  const load = new LoadSampler()
  try {
    log(`mode: ${quick ? "quick" : "full"}; scenarios: ${scenarios.join(", ")}; clients: ${clients.join(", ")}`)
    await buildPageBundles()
    server = await startNodeServer()
    web = await BenchWeb.start(server)
    browser = await launchBrowser()
    let counter = 0
    const bench: Bench = {
      settings,
      server,
      web,
      browser,
      clients,
      log,
      unique: (prefix) => `${prefix}-${started.toString(36)}-${(counter++).toString(36)}`,
    }
    const results: ScenarioResult[] = []
    for (const id of scenarios) {
      log(`scenario ${id}`)
      results.push(await SCENARIOS[id](bench))
    }
    const machine = describeMachine(browser.version())
    const report: Report = {
      settings,
      machine,
      load: load.stop(),
      results,
      durationS: (Date.now() - started) / 1000,
      command: complete ? "npm run bench" : `tsx bench/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
    }
    const files = await writeReport(report, complete)
    log(`machine: ${machine.cpu}, ${machine.cores} cores; others used ${report.load.othersCores.toFixed(2)} cores on average`)
    log(`wrote ${files.slice(0, 2).join(" and ")}`)
  } finally {
    clearTimeout(watchdog)
    await cleanUp()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
