// One row of the results table: a figure, measured for each client in each run, with ratios of
// turbo-cable against the anchors taken run by run.
import { CLIENT_IDS, type ClientId } from "../clients"
import { ratioSummary, summarize, type Summary } from "./stats"

/** How a figure's numbers read. "ok" rows hold 1 (passed) or 0 (failed) per run. */
export type Unit = "ms" | "s" | "ms/msg" | "kB" | "count" | "ok"

export interface Row {
  section: string
  figure: string
  unit: Unit
  /** Per client, one value per run (the index is the run). Infinity: never happened before `timeoutLabel`. */
  values: Partial<Record<ClientId, Array<number | undefined>>>
  /** Anchors turbo-cable's figure is divided by, run by run. */
  ratios?: ClientId[]
  timeoutLabel?: string
  /** The target for this figure, and whether the medians meet it. */
  target?: string
  met?: boolean
  /** Cells to show verbatim instead of numbers (a client that cannot take part, say). */
  text?: Partial<Record<ClientId, string>>
}

/** Collects the rows of a scenario as its runs go. */
export class Rows {
  readonly rows: Row[] = []

  constructor(private readonly section: string) {}

  row(figure: string, unit: Unit, extra: Partial<Row> = {}): Row {
    let row = this.rows.find((candidate) => candidate.figure == figure)
    if (!row) this.rows.push((row = { section: this.section, figure, unit, values: {}, ...extra }))
    return row
  }

  add(figure: string, unit: Unit, client: ClientId, run: number, value: number, extra: Partial<Row> = {}): void {
    const values = (this.row(figure, unit, extra).values[client] ??= [])
    values[run] = value
  }
}

export function summaryOf(row: Row, client: ClientId): Summary | null {
  const values = row.values[client]
  return values ? summarize(values) : null
}

export function ratioOf(row: Row, anchor: ClientId): Summary | null {
  const mine = row.values["turbo-cable"]
  const theirs = row.values[anchor]
  return mine && theirs ? ratioSummary(mine, theirs) : null
}

function formatNumber(value: number, unit: Unit): string {
  if (value == Infinity) return "never"
  switch (unit) {
    case "ms":
      return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)
    case "s":
      return value.toFixed(2)
    case "ms/msg":
      return value.toFixed(3)
    case "kB":
      return value.toFixed(1)
    case "count":
      return Number.isInteger(value) ? String(value) : value.toFixed(1)
    case "ok":
      return String(value)
  }
}

const UNIT_SUFFIX: Record<Unit, string> = { ms: " ms", s: " s", "ms/msg": " ms", kB: " kB", count: "", ok: "" }

/** `median (min–max) unit`, or the single value when there was one run. */
export function formatSummary(summary: Summary | null, unit: Unit, timeoutLabel?: string): string {
  if (!summary) return "n/a"
  if (summary.median == Infinity && summary.min == Infinity) return timeoutLabel ? `never (${timeoutLabel})` : "never"
  // No unit after "never" (a median that timed out while other runs did not).
  const suffix = summary.median == Infinity ? "" : UNIT_SUFFIX[unit]
  if (summary.count == 1 || summary.min == summary.max) return `${formatNumber(summary.median, unit)}${suffix}`
  return `${formatNumber(summary.median, unit)}${suffix} (${formatNumber(summary.min, unit)}–${formatNumber(summary.max, unit)})`
}

export function formatCell(row: Row, client: ClientId): string {
  const text = row.text?.[client]
  if (text !== undefined) return text
  const values = row.values[client]
  if (!values) return "n/a"
  if (row.unit == "ok") {
    const runs = values.filter((value) => value !== undefined)
    const passed = runs.filter((value) => value == 1).length
    return passed == runs.length ? `yes (${passed}/${runs.length})` : `NO (${passed}/${runs.length})`
  }
  return formatSummary(summarize(values), row.unit, row.timeoutLabel)
}

export function formatRatio(row: Row, anchor: ClientId): string {
  if (!row.ratios?.includes(anchor)) return ""
  const summary = ratioOf(row, anchor)
  if (!summary) return "n/a"
  const x = (value: number) => `${value >= 0.1 || value == 0 ? value.toFixed(2) : value.toPrecision(2)}x`
  if (summary.count == 1 || summary.min == summary.max) return x(summary.median)
  return `${x(summary.median)} (${x(summary.min)}–${x(summary.max)})`
}

export function formatTarget(row: Row): string {
  if (!row.target) return ""
  if (row.met === undefined) return row.target
  return `${row.met ? "met" : "MISSED"}: ${row.target}`
}

export const RATIO_ANCHORS: ClientId[] = ["floor", "turbo-rails"]

export interface Table {
  header: string[]
  lines: string[][]
}

export function tableOf(rows: Row[], labels: Record<ClientId, string>): Table {
  const header = ["figure", ...CLIENT_IDS.map((id) => labels[id]), ...RATIO_ANCHORS.map((id) => `turbo-cable ÷ ${labels[id]}`), "target"]
  const lines = rows.map((row) => [
    row.figure,
    ...CLIENT_IDS.map((id) => formatCell(row, id)),
    ...RATIO_ANCHORS.map((id) => formatRatio(row, id)),
    formatTarget(row),
  ])
  return { header, lines }
}

/** Plain text, columns padded, one block per section, for the terminal. */
export function textTable(rows: Row[], labels: Record<ClientId, string>): string {
  const out: string[] = []
  for (const section of [...new Set(rows.map((row) => row.section))]) {
    const { header, lines } = tableOf(
      rows.filter((row) => row.section == section),
      labels,
    )
    const widths = header.map((cell, column) => Math.max(cell.length, ...lines.map((line) => line[column].length)))
    const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()
    out.push(`== ${section}`, format(header), format(widths.map((width) => "-".repeat(width))), ...lines.map(format), "")
  }
  return out.join("\n")
}

/** One GitHub-flavoured Markdown table, sections as bold rows. */
export function markdownTable(rows: Row[], labels: Record<ClientId, string>): string {
  const { header, lines } = tableOf(rows, labels)
  const escape = (cell: string) => cell.replace(/\|/g, "\\|")
  const out = [`| ${header.map(escape).join(" | ")} |`, `|${header.map(() => "---").join("|")}|`]
  let section = ""
  rows.forEach((row, index) => {
    if (row.section != section) {
      section = row.section
      out.push(`| **${escape(section)}** |${header.slice(1).map(() => "").join(" |")} |`)
    }
    out.push(`| ${lines[index].map(escape).join(" | ")} |`)
  })
  return out.join("\n")
}
