// RESULTS.md and chart.svg from a run's rows, notes, profile and machine.
import { CLIENT_IDS, CLIENTS, LABELS, type ClientId } from "../clients"
import type { ScenarioResult, Settings } from "./bench"
import { chartSvg, COLORS, type Panel } from "./chart"
import type { Load, Machine } from "./machine"
import { profileMarkdown } from "./profile"
import { markdownTable, summaryOf, type Row } from "./results"

export interface Report {
  settings: Settings
  machine: Machine
  load: Load
  results: ScenarioResult[]
  durationS: number
  command: string
}

function findRow(rows: Row[], section: string, figure: string): Row | undefined {
  return rows.find((row) => row.section.startsWith(section) && row.figure == figure)
}

export function chartOf(report: Report): string {
  const rows = report.results.flatMap((result) => result.rows)
  const panels: Panel[] = []
  const color = (client: ClientId, light = false) => (client == "turbo-cable" ? (light ? COLORS.secondary : COLORS.primary) : light ? COLORS.anchorLight : COLORS.anchor)
  const burst = findRow(rows, "Burst", "main-thread time per message")
  if (burst) {
    panels.push({
      title: `${burst.section}: main-thread time per message`,
      unit: "ms",
      groups: CLIENT_IDS.map((client) => ({ client, bars: [{ name: "", summary: summaryOf(burst, client), color: color(client) }] })),
    })
  }
  const p50 = findRow(rows, "Latency", "p50")
  const p99 = findRow(rows, "Latency", "p99")
  if (p50 && p99) {
    panels.push({
      title: `${p50.section}`,
      unit: "ms",
      groups: CLIENT_IDS.map((client) => ({
        client,
        bars: [
          { name: "p50", summary: summaryOf(p50, client), color: color(client) },
          { name: "p99", summary: summaryOf(p99, client), color: color(client, true) },
        ],
      })),
    })
  }
  const { machine } = report
  return chartSvg(
    "turbo-cable benchmarks: burst and latency (lower is better)",
    `${machine.date.slice(0, 10)}, ${machine.cpu}, ${machine.cores} cores, Chromium ${machine.chromium}, headless; see bench/RESULTS.md`,
    panels,
  )
}

export function resultsMarkdown(report: Report): string {
  const { machine, load, settings } = report
  const rows = report.results.flatMap((result) => result.rows)
  const profile = report.results.find((result) => result.profile)?.profile
  const runs = Object.entries(settings.runs)
    .map(([scenario, count]) => `${scenario} ${count}`)
    .join(", ")
  const out = [
    "# Benchmark results",
    "",
    `Written by \`${report.command}\` (bench/run.ts) on ${machine.date}; the whole run took ${Math.round(report.durationS)} s.` +
      (settings.quick ? " **Quick mode: one run each and smaller counts; not for quoting.**" : ""),
    "Each cell is the median over runs with (min–max); ratios are turbo-cable's figure divided by the anchor's " +
      "from the same run, then summarised the same way. Runs per scenario: " +
      `${runs}; in each run every client is measured once, in an order rotated from run to run.`,
    "",
    "![burst and latency](chart.svg)",
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${machine.cpu} |`,
    `| cores | ${machine.cores} |`,
    `| memory | ${machine.memoryGb} GB |`,
    `| kernel | ${machine.kernel} |`,
    `| Chromium | ${machine.chromium} (Debian, headless) |`,
    `| Node | ${machine.node} |`,
    `| load during the run | other processes ${load.othersCores.toFixed(2)} cores on average, this benchmark ` +
      `${load.benchCores.toFixed(2)}; 1-min load average ${load.loadAverage.min.toFixed(2)}–${load.loadAverage.max.toFixed(2)} |`,
    "",
    "## Clients",
    "",
    ...CLIENT_IDS.map((id) => `- **${LABELS[id]}**: ${CLIENTS[id].description}.`),
    "",
    "Every page is served by the bench's own HTTP server and connects to the project's Node Action Cable " +
      "server (test/server/test_server.ts, a separate process, pings every 3 s) over loopback. Numbers from a " +
      "real Rails server behind Redis (DESIGN.md section 6) are higher in absolute terms; the ratios are the point.",
    "",
    "## Results",
    "",
    markdownTable(rows, LABELS),
    "",
    "## How each figure is taken",
    "",
    ...report.results.flatMap((result) => result.notes.flatMap((note) => [note, ""])),
  ]
  for (const section of report.results.flatMap((result) => result.sections ?? [])) out.push(section, "")
  if (profile) {
    out.push(
      "## Where turbo-cable's burst time goes (CPU profile)",
      "",
      `One extra burst of ${profile.messages} appends, not counted above, on the ESM build (dist/turbo-cable.js ` +
        "and Turbo's turbo.es2017-esm.js, unminified, so functions keep their names) under the CDP Profiler at " +
        "100 µs sampling. Positions in dist/turbo-cable.js are mapped back to src/ through its source map. " +
        '"(program)" is the renderer\'s native work outside JS (receiving the WebSocket frames, task scheduling, ' +
        "style, layout, paint); the trace section above splits it.",
      "",
      profileMarkdown(profile.summary, profile.messages),
      "",
    )
  }
  return out.join("\n")
}
