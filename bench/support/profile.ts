// Summarises a CDP CPU profile: where the main thread's time went, by function (self and total) and by
// part (turbo-cable's src, reconnecting-websocket, Turbo, native work outside JS, GC).
import { readFile } from "node:fs/promises"
import { SourceMap } from "node:module"
import { resolve } from "node:path"
import { REPO_ROOT } from "./bundles"

/** The parts of Profiler.Profile read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number
    callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number }
    children?: number[]
  }>
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface ProfileEntry {
  name: string
  where: string
  part: string
  selfMs: number
  totalMs: number
}

export interface ProfileSummary {
  /** What the profile covered (ms) and the part of it that was not idle. */
  sampledMs: number
  busyMs: number
  parts: Array<{ part: string; ms: number }>
  /** Functions by self time, idle left out. */
  topSelf: ProfileEntry[]
  /** turbo-cable's own functions by total (inclusive) time. */
  ownByTotal: ProfileEntry[]
}

const IDLE = "(idle)"
/** V8's frames that stand for no function. */
const PSEUDO_FRAMES = ["(program)", "(garbage collector)", IDLE, "(root)"]
const TURBO_CABLE_BUILD = /^\/dist\/(importmap\/)?turbo-cable\.js/

interface Located {
  key: string
  name: string
  where: string
  part: string
}

export async function summarizeProfile(profile: CpuProfile, top = 15): Promise<ProfileSummary> {
  const pathOf = (url: string) => url.replace(/^https?:\/\/[^/]+/, "")
  // The build the page loaded (the script-tag or the import-map one), mapped back to src/ by its own map.
  const distFile = profile.nodes.map((node) => pathOf(node.callFrame.url)).find((file) => TURBO_CABLE_BUILD.test(file))
  const distMap = distFile
    ? await readFile(resolve(REPO_ROOT, `.${distFile.replace(/[?#].*/, "")}.map`), "utf8")
        .then((text) => new SourceMap(JSON.parse(text)))
        .catch(() => null)
    : null
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

  const located = new Map<number, Located>()
  const locate = (id: number): Located => {
    let found = located.get(id)
    if (found) return found
    const { functionName, scriptId, url, lineNumber, columnNumber } = byId.get(id)!.callFrame
    const name = functionName || "(anonymous)"
    const file = pathOf(url)
    let where = file ? `${file.split("/").pop()}:${lineNumber + 1}` : ""
    let part = "page and bench probes"
    if (!url && PSEUDO_FRAMES.includes(name)) {
      part = name == "(garbage collector)" ? "garbage collector" : name == "(program)" ? "(program): native work outside JS" : name
    } else if (scriptId == "0") {
      part = "native APIs called from JS (DOM, builtins)"
    } else if (TURBO_CABLE_BUILD.test(file)) {
      // The nearest mapping at or before the position (0-based both ways, as CDP reports it); {} when none.
      const entry = distMap?.findEntry(lineNumber, columnNumber)
      const original = entry && "originalSource" in entry ? entry : undefined
      if (original) where = `${original.originalSource.replace(/^(\.\.\/)+/, "")}:${original.originalLine + 1}`
      part = original && /node_modules\/reconnecting-websocket/.test(original.originalSource) ? "reconnecting-websocket" : "turbo-cable (src/)"
    } else if (file.startsWith("/dist/idiomorph")) {
      part = "idiomorph"
    } else if (file.includes("@hotwired/turbo/")) {
      part = "Turbo"
    }
    found = { key: `${name} ${where}`, name, where, part }
    located.set(id, found)
    return found
  }

  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const parts = new Map<string, number>()
  let busy = 0
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one.
    const ms = (deltas[i + 1] ?? 0) / 1000
    const leaf = locate(samples[i])
    if (leaf.name == IDLE) continue
    busy += ms
    self.set(leaf.key, (self.get(leaf.key) ?? 0) + ms)
    parts.set(leaf.part, (parts.get(leaf.part) ?? 0) + ms)
    const seen = new Set<string>()
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = locate(id)
      if (seen.has(frame.key)) continue
      seen.add(frame.key)
      total.set(frame.key, (total.get(frame.key) ?? 0) + ms)
    }
  }

  const entries = new Map<string, ProfileEntry>()
  for (const frame of located.values()) {
    if (entries.has(frame.key) || frame.name == IDLE || frame.name == "(root)") continue
    entries.set(frame.key, { name: frame.name, where: frame.where, part: frame.part, selfMs: self.get(frame.key) ?? 0, totalMs: total.get(frame.key) ?? 0 })
  }
  const all = [...entries.values()]
  return {
    sampledMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busy,
    parts: [...parts].map(([part, ms]) => ({ part, ms })).sort((a, b) => b.ms - a.ms),
    topSelf: all.sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
    ownByTotal: all
      .filter((entry) => entry.part == "turbo-cable (src/)" && entry.totalMs > 0)
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, 10),
  }
}

/** Markdown: parts, top self time, turbo-cable's functions by total time. */
export function profileMarkdown(summary: ProfileSummary, messages: number): string {
  const ms = (value: number) => value.toFixed(1)
  const share = (value: number) => `${((100 * value) / summary.busyMs).toFixed(1)}%`
  const perMessage = (value: number) => ((1000 * value) / messages).toFixed(1)
  const out = [
    `Busy (not idle) ${ms(summary.busyMs)} ms of ${ms(summary.sampledMs)} ms sampled, ${messages} messages: ` +
      `${((1000 * summary.busyMs) / messages).toFixed(0)} µs per message.`,
    "",
    "| part | self ms | share | µs/msg |",
    "|---|---|---|---|",
    ...summary.parts.map((p) => `| ${p.part} | ${ms(p.ms)} | ${share(p.ms)} | ${perMessage(p.ms)} |`),
    "",
    "Top functions by self time:",
    "",
    "| function | where | part | self ms | share | total ms |",
    "|---|---|---|---|---|---|",
    ...summary.topSelf.map((e) => `| \`${e.name}\` | ${e.where} | ${e.part} | ${ms(e.selfMs)} | ${share(e.selfMs)} | ${ms(e.totalMs)} |`),
    "",
    "turbo-cable's own functions by total (inclusive) time:",
    "",
    "| function | where | total ms | share | self ms |",
    "|---|---|---|---|---|",
    ...summary.ownByTotal.map((e) => `| \`${e.name}\` | ${e.where} | ${ms(e.totalMs)} | ${share(e.totalMs)} | ${ms(e.selfMs)} |`),
  ]
  return out.join("\n")
}
