// A Chromium trace of the renderer's main thread, summarised as self time per trace event name
// (ParseHTML, UpdateLayoutTree, Layout, Paint, V8.Execute, ...): it splits the CPU profile's "(program)".
import type { CDPSession } from "@playwright/test"

const CATEGORIES = ["toplevel", "devtools.timeline", "v8.execute"]

interface TraceEvent {
  name: string
  ph: string
  pid: number
  tid: number
  ts: number
  dur?: number
  args?: { name?: string }
}

/** Starts tracing; the returned function stops it and gives every event. */
export async function startTrace(cdp: CDPSession): Promise<() => Promise<TraceEvent[]>> {
  const events: TraceEvent[] = []
  const collect = ({ value }: { value: object[] }) => void events.push(...(value as TraceEvent[]))
  cdp.on("Tracing.dataCollected", collect)
  await cdp.send("Tracing.start", { transferMode: "ReportEvents", traceConfig: { includedCategories: CATEGORIES, recordMode: "recordAsMuchAsPossible" } })
  return async () => {
    const complete = new Promise<void>((done) => cdp.once("Tracing.tracingComplete", () => done()))
    await cdp.send("Tracing.end")
    await complete
    cdp.off("Tracing.dataCollected", collect)
    return events
  }
}

/** Self time (ms) per event name on the busiest renderer main thread, with the total of its top-level tasks. */
export function mainThreadSelfTimes(events: TraceEvent[]): { byName: Map<string, number>; tasksMs: number } {
  const mainThreads = events
    .filter((event) => event.ph == "M" && event.name == "thread_name" && event.args?.name == "CrRendererMain")
    .map((event) => `${event.pid}:${event.tid}`)
  const byThread = new Map<string, TraceEvent[]>()
  for (const event of events) {
    if (event.ph != "X" || event.dur === undefined) continue
    const key = `${event.pid}:${event.tid}`
    if (!mainThreads.includes(key)) continue
    let list = byThread.get(key)
    if (!list) byThread.set(key, (list = []))
    list.push(event)
  }
  const busiest = [...byThread.values()].sort((a, b) => total(b) - total(a))[0] ?? []
  // Nesting: sorted by start (longest first on ties), a stack of the open events; each event's time is
  // taken out of its parent's self time.
  busiest.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!)
  const byName = new Map<string, number>()
  const stack: TraceEvent[] = []
  let tasks = 0
  for (const event of busiest) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur! <= event.ts) stack.pop()
    const parent = stack[stack.length - 1]
    if (parent) byName.set(parent.name, (byName.get(parent.name) ?? 0) - event.dur! / 1000)
    else tasks += event.dur! / 1000
    byName.set(event.name, (byName.get(event.name) ?? 0) + event.dur! / 1000)
    stack.push(event)
  }
  return { byName, tasksMs: tasks }
}

function total(events: TraceEvent[]): number {
  return events.reduce((sum, event) => sum + (event.name == "RunTask" ? event.dur! : 0), 0)
}
