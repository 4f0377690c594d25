// Burst: N appends broadcast back to back to a page with one source. Main-thread time (CDP TaskDuration)
// and wall time until the last is in the DOM; every item must be there, in order. Then one more burst on
// the unminified ESM build under the CPU profiler, to show where turbo-cable's time goes.
import { setTimeout as sleep } from "node:timers/promises"
import { clientOrder, LABELS, type ClientId, type PageId } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { heapAfterGc, openPage, pageClock, taskDuration, waitConnected, type BenchPage } from "../support/browser"
import { summarizeProfile, type CpuProfile } from "../support/profile"
import { ratioOf, Rows } from "../support/results"
import { mainThreadSelfTimes, startTrace } from "../support/trace"

const MESSAGE =
  `<turbo-stream action="append" target="items"><template>` +
  `<li id="item_{{i}}" class="message"><strong>someone</strong> <span>message {{i}}, a line of chat text</span></li>` +
  `</template></turbo-stream>`
const BURST_TIMEOUT_MS = 60_000

export interface BurstOutcome {
  mainThreadMs: number
  wallMs: number
  received: number
  inOrder: boolean
}

declare global {
  interface Window {
    __burst?: Promise<{ end: number; received: number; inOrder: boolean }>
  }
}

/** In the page: a promise of the moment #items holds `count` children, and whether they are in order. */
function watchBurst({ count, timeout }: { count: number; timeout: number }): void {
  const items = document.getElementById("items")!
  window.__burst = new Promise<number>((resolve) => {
    const observer = new MutationObserver(() => {
      if (items.childElementCount < count) return
      observer.disconnect()
      resolve(performance.now())
    })
    observer.observe(items, { childList: true })
    setTimeout(() => resolve(NaN), timeout)
  }).then((end) => {
    let inOrder = items.childElementCount == count
    for (let i = 0; inOrder && i < count; i++) inOrder = items.children[i].id == `item_${i}`
    return { end, received: items.childElementCount, inOrder }
  })
}

async function burstOnce(bench: Bench, page: PageId, count: number, during?: (open: BenchPage) => Promise<() => Promise<void>>): Promise<BurstOutcome> {
  const stream = bench.unique("burst")
  const signed = await bench.server.sign(stream)
  const open = await openPage(bench.browser)
  try {
    await open.page.goto(bench.web.pageUrl(page, { sources: [signed] }))
    await waitConnected(open.page, 1)
    await sleep(300) // load-time work (Turbo Drive's start, idle callbacks) out of the way
    return await burstIn(bench, open, stream, count, during)
  } finally {
    await open.close()
    await bench.server.waitForNoConnections()
  }
}

/** `count` appends broadcast back to back to `stream`, which the page of `open` (connected, settled) shows in #items. */
export async function burstIn(
  bench: Bench,
  open: BenchPage,
  stream: string,
  count: number,
  during?: (open: BenchPage) => Promise<() => Promise<void>>,
): Promise<BurstOutcome> {
  await open.page.evaluate(watchBurst, { count, timeout: BURST_TIMEOUT_MS })
  const clock = await pageClock(open.page)
  await heapAfterGc(open.cdp)
  const stop = await during?.(open)
  const before = await taskDuration(open.cdp)
  const sentAt = clock.toPage(performance.now())
  await bench.server.post("/broadcast", { stream, message: MESSAGE, count })
  const { end, received, inOrder } = await open.page.evaluate(() => window.__burst!)
  const after = await taskDuration(open.cdp)
  await stop?.()
  return { mainThreadMs: after - before, wallMs: end - sentAt, received, inOrder }
}

export async function burst(bench: Bench): Promise<ScenarioResult> {
  const count = bench.settings.burst.messages
  const rows = new Rows(`Burst: ${count.toLocaleString("en")} appends back to back`)
  const perMessage = "main-thread time per message"
  for (let run = 0; run < bench.settings.runs.burst; run++) {
    for (const client of clientOrder(run, bench.clients)) {
      const outcome = await burstOnce(bench, client, count)
      bench.log(`burst run ${run + 1} ${client}: ${(outcome.mainThreadMs / count).toFixed(3)} ms/msg, wall ${outcome.wallMs.toFixed(0)} ms, ${outcome.received}/${count} in order: ${outcome.inOrder}`)
      rows.add(perMessage, "ms/msg", client, run, outcome.mainThreadMs / count, {
        ratios: ["floor", "turbo-rails"],
        target: "≤ 1.3x floor and < 0.6x turbo-rails",
      })
      rows.add("main-thread time, whole burst", "ms", client, run, outcome.mainThreadMs, { ratios: ["floor", "turbo-rails"] })
      rows.add("wall time until the last is in the DOM", "ms", client, run, Number.isNaN(outcome.wallMs) ? Infinity : outcome.wallMs, {
        ratios: ["floor", "turbo-rails"],
        timeoutLabel: `${BURST_TIMEOUT_MS / 1000} s timeout`,
      })
      rows.add("all applied, in order", "ok", client, run, outcome.inOrder ? 1 : 0)
    }
  }
  const row = rows.row(perMessage, "ms/msg")
  const floor = ratioOf(row, "floor")
  const turboRails = ratioOf(row, "turbo-rails")
  if (floor && turboRails) row.met = floor.median <= 1.3 && turboRails.median < 0.6

  bench.log("burst: CPU profile of turbo-cable (ESM build, unminified)")
  let profile: CpuProfile | undefined
  await burstOnce(bench, "turbo-cable-esm", count, async ({ cdp }) => {
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", { interval: 100 })
    await cdp.send("Profiler.start")
    return async () => {
      profile = (await cdp.send("Profiler.stop")).profile as CpuProfile
    }
  })

  bench.log("burst: a trace of the main thread per client")
  const traces = new Map<ClientId, { byName: Map<string, number>; tasksMs: number }>()
  for (const client of bench.clients) {
    let stopTrace: (() => Promise<Parameters<typeof mainThreadSelfTimes>[0]>) | undefined
    await burstOnce(bench, client, count, async ({ cdp }) => {
      stopTrace = await startTrace(cdp)
      return async () => void traces.set(client, mainThreadSelfTimes(await stopTrace!()))
    })
  }

  return {
    rows: rows.rows,
    sections: [traceMarkdown(traces, count)],
    notes: [
      `**Burst.** One page per client and run, one source; once it is \`[connected]\` and the heap collected, the ` +
        `harness asks the server (POST /broadcast, count ${count}) to send ${count} appends back to back. Main-thread time is the ` +
        `growth of CDP \`Performance.getMetrics\` TaskDuration over the burst (everything the renderer's main thread ` +
        `did: JS, parsing, style, layout, paint); wall time runs from the request to the MutationObserver seeing the ` +
        `last <li> (the harness's clock mapped onto the page's). "In order" checks every id in #items, first to last.`,
    ],
    profile: profile ? { summary: await summarizeProfile(profile), messages: count } : undefined,
  }
}

/** Self time per trace event, µs per message, one column per client; the events that matter most first. */
function traceMarkdown(traces: Map<ClientId, { byName: Map<string, number>; tasksMs: number }>, count: number): string {
  const clients = [...traces.keys()]
  const names = new Set<string>()
  for (const { byName } of traces.values()) {
    for (const [name] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8)) names.add(name)
  }
  const weight = (name: string) => Math.max(...clients.map((client) => traces.get(client)!.byName.get(name) ?? 0))
  const ordered = [...names].sort((a, b) => weight(b) - weight(a))
  const us = (ms: number | undefined) => (ms === undefined ? "" : ((1000 * ms) / count).toFixed(0))
  return [
    "## Where each client's burst time goes (trace of the main thread)",
    "",
    `One extra burst of ${count} appends per client, not counted above, with Chromium tracing on (categories ` +
      "toplevel, devtools.timeline, v8.execute). Self time per trace event on the page's renderer main thread, " +
      "in µs per message: what the CPU profile lumps together as \"(program)\" is split here into HTML parsing, " +
      "style, layout, paint and the task machinery. FunctionCall, EventDispatch, RunMicrotasks and " +
      "FireAnimationFrame are JS run from a callback, an event, a microtask or an animation frame (their self time " +
      "is mostly the JS itself); ParseHTML includes innerHTML and insertAdjacentHTML. Tracing costs time itself, " +
      "so compare columns, not totals with the table above.",
    "",
    `| trace event | ${clients.map((client) => LABELS[client]).join(" | ")} |`,
    `|---|${clients.map(() => "---").join("|")}|`,
    `| **all top-level tasks** | ${clients.map((client) => `**${us(traces.get(client)!.tasksMs)}**`).join(" | ")} |`,
    ...ordered.map((name) => `| ${name} | ${clients.map((client) => us(traces.get(client)!.byName.get(name))).join(" | ")} |`),
  ].join("\n")
}
