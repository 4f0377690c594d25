// What a soak run says: the checks it must pass and its tables (markdown), one place for the spec and
// `npm run soak`.
import type { Sample } from "./readings"
import type { SoakReport } from "./soak"

export interface SoakLimits {
  /** A visible tab shows every write made before a fault's end within this long after it (ms). */
  caughtUpWithin: number
  /** Heap at the last sample within this fraction of the heap at `baselineAt` (null: not checked). */
  heapGrowth: number | null
  /** The sample the heap is compared with: the first taken at or after this (ms). */
  baselineAt: number
}

/** The sample memory is compared from, and the last one. */
export function baselineAndLast(report: SoakReport, baselineAt: number): [Sample, Sample] {
  const baseline = report.samples.find((sample) => sample.at >= baselineAt) ?? report.samples[0]!
  return [baseline, report.samples.at(-1)!]
}

/** Every way the run falls short, in words; empty when it passes. */
export function soakFailures(report: SoakReport, limits: SoakLimits): string[] {
  const failures: string[] = []
  for (const tab of report.tabs) {
    if (tab.missing || tab.duplicated || tab.outOfOrder) {
      failures.push(`${tab.name}: ${tab.missing} missing, ${tab.duplicated} duplicated, ${tab.outOfOrder} out of order`)
    }
  }
  for (const fault of report.faults) {
    for (const [tab, after] of Object.entries(fault.caughtUp)) {
      if (after === null || after > limits.caughtUpWithin) failures.push(`${fault.name}: ${tab} caught up ${after === null ? "never" : `after ${after} ms`}`)
    }
  }
  const [baseline, last] = baselineAndLast(report, limits.baselineAt)
  const targets = (sample: Sample) => ({ ...sample.tabs, ...Object.fromEntries(Object.entries(sample.workers).map(([user, s]) => [`${user}'s worker`, s])) })
  const before = targets(baseline)
  for (const [name, now] of Object.entries(targets(last))) {
    const then = before[name as keyof typeof before]
    if (!then) continue
    if (limits.heapGrowth !== null && now.heap > then.heap * (1 + limits.heapGrowth)) {
      failures.push(`${name}: heap ${mb(then.heap)} MB at ${minutes(baseline.at)} min, ${mb(now.heap)} MB at ${minutes(last.at)} min`)
    }
    for (const count of ["listeners", "sockets", "ports"] as const) {
      if (now[count] > then[count]) failures.push(`${name}: ${count} ${then[count]} at ${minutes(baseline.at)} min, ${now[count]} at ${minutes(last.at)} min`)
    }
    // Timers come and go (a backoff, a debounce): a handful more at one moment is not a leak.
    if (now.timers > then.timers + 3) failures.push(`${name}: timers ${then.timers} at ${minutes(baseline.at)} min, ${now.timers} at ${minutes(last.at)} min`)
  }
  for (const [user, now] of Object.entries(last.server)) {
    const then = baseline.server[user]!
    if (now.connections != 1 || now.subscriptions != then.subscriptions) {
      failures.push(`${user} at the servers: ${then.connections} connections / ${then.subscriptions} subscriptions, then ${now.connections} / ${now.subscriptions}`)
    }
  }
  return failures
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2)
const minutes = (ms: number) => (ms / 60_000).toFixed(ms % 60_000 ? 1 : 0)
const seconds = (ms: number | null) => (ms === null ? "never" : (ms / 1000).toFixed(1))
const range = (values: number[]) => (Math.min(...values) == Math.max(...values) ? `${values[0]}` : `${Math.min(...values)}–${Math.max(...values)}`)

/** The run as markdown: per tab and worker, then per fault. */
export function soakTables(report: SoakReport, baselineAt: number): string {
  const [baseline, last] = baselineAndLast(report, baselineAt)
  const rows: string[] = [
    `| | missing | duplicated | out of order | caught up after a fault, median / max (s) | heap at ${minutes(baseline.at)} → ${minutes(last.at)} min (MB) | listeners | live timers | open sockets | subscriptions |`,
    "|---|---|---|---|---|---|---|---|---|---|",
  ]
  for (const tab of report.tabs) {
    const times = report.faults.map((fault) => fault.caughtUp[tab.name]).filter((ms): ms is number => ms !== null).sort((a, b) => a - b)
    const never = report.faults.some((fault) => fault.caughtUp[tab.name] === null)
    const series = report.samples.map((sample) => sample.tabs[tab.name]!)
    const heapFrom = baseline.tabs[tab.name]!.heap
    const heapTo = last.tabs[tab.name]!.heap
    rows.push(
      `| ${tab.name}${tab.name.endsWith("hidden") ? " (until connected)" : ""} | ${tab.missing} | ${tab.duplicated} | ${tab.outOfOrder} | ` +
        `${times.length ? `${seconds(times[Math.floor(times.length / 2)]!)} / ${seconds(times.at(-1)!)}` : "–"}${never ? " (never: 1+)" : ""} | ` +
        `${mb(heapFrom)} → ${mb(heapTo)} (${growth(heapFrom, heapTo)}) | ${range(series.map((s) => s.listeners))} | ${range(series.map((s) => s.timers))} | ` +
        `${range(series.map((s) => s.sockets))} | ${range(series.map((s) => s.subscriptions))} |`,
    )
  }
  for (const user of Object.keys(last.workers)) {
    const series = report.samples.map((sample) => sample.workers[user]).filter((s) => s !== undefined)
    const server = report.samples.map((sample) => sample.server[user]!)
    const heapFrom = baseline.workers[user]?.heap ?? 0
    const heapTo = last.workers[user]!.heap
    rows.push(
      `| ${user}'s shared worker (${range(series.map((s) => s.ports))} ports) | | | | | ${mb(heapFrom)} → ${mb(heapTo)} (${growth(heapFrom, heapTo)}) | ` +
        `${range(series.map((s) => s.listeners))} | ${range(series.map((s) => s.timers))} | ${range(series.map((s) => s.sockets))} | ` +
        `${range(server.map((s) => s.subscriptions))} at the servers (${range(server.map((s) => s.connections))} connection) |`,
    )
  }
  const tabs = report.tabs.map((tab) => tab.name)
  const faults = [`| at (min) | fault | hit | ${tabs.join(" | ")} |`, `|---|---|---|${tabs.map(() => "---|").join("")}`]
  for (const fault of report.faults) {
    const user = fault.user === null ? "all" : (["alice", "bob"][fault.user] ?? String(fault.user))
    faults.push(`| ${minutes(fault.startedAt - report.startedAt)} | ${fault.name} | ${user} | ${tabs.map((tab) => seconds(fault.caughtUp[tab]!)).join(" | ")} |`)
  }
  return `${rows.join("\n")}\n\nSeconds from each fault's end until the tab showed every write made before it (hidden tabs: until their cable was connected again; they catch up when shown):\n\n${faults.join("\n")}`
}

function growth(from: number, to: number): string {
  const percent = ((to - from) / from) * 100
  return `${percent >= 0 ? "+" : ""}${percent.toFixed(1)} %`
}
