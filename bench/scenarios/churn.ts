// Churn and memory: 10,000 add/remove cycles of sources (batches of 10 over a pool of 50 streams), as
// navigation, frames and morphs do. JS heap after GC before and after, and what the server still holds.
import { setTimeout as sleep } from "node:timers/promises"
import { clientOrder } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { heapAfterGc, openPage } from "../support/browser"
import { Rows } from "../support/results"

const WARM_UP_CYCLES = 200
/** Longest wait for a batch kept until connected; turbo-rails never confirms a stream it already leaked. */
const CONNECT_WAIT_MS = 100
/** After the last removal: longer than any client's unsubscribe grace (turbo-cable 500 ms). */
const QUIET_MS = 1_500
const STABLE_MS = 1_000
const STABLE_TIMEOUT_MS = 10_000
/** Heap growth below this is measurement noise (JSHeapUsedSize moves by a few kB between collections). */
const NOISE_FLOOR_KB = 16

/**
 * In the page: adds `batch` sources at a time and removes them again: half the batches in the same task,
 * 4 in 10 after a macrotask (before any confirmation can arrive), 1 in 10 once connected (or after a wait).
 */
async function churnInPage({ signed, cycles, batch, connectWaitMs }: { signed: string[]; cycles: number; batch: number; connectWaitMs: number }) {
  const box = document.getElementById("sources")!
  const macrotask = () =>
    new Promise<void>((resolve) => {
      const channel = new MessageChannel()
      channel.port1.onmessage = () => resolve()
      channel.port2.postMessage(null)
    })
  const connected = (sources: Element[]) =>
    new Promise<void>((resolve) => {
      const since = performance.now()
      const check = () => {
        if (sources.every((source) => source.hasAttribute("connected")) || performance.now() - since > connectWaitMs) resolve()
        else setTimeout(check, 2)
      }
      check()
    })
  const start = performance.now()
  let made = 0
  for (let batchIndex = 0; made < cycles; batchIndex++) {
    const sources: Element[] = []
    for (let i = 0; i < batch && made < cycles; i++, made++) {
      const source = document.createElement("turbo-cable-stream-source")
      source.setAttribute("channel", "Turbo::StreamsChannel")
      source.setAttribute("signed-stream-name", signed[made % signed.length])
      box.append(source)
      sources.push(source)
    }
    const mode = batchIndex % 10
    if (mode == 9) await connected(sources)
    else if (mode % 2 == 1) await macrotask()
    for (const source of sources) source.remove()
    if (mode % 2 == 0) await macrotask()
  }
  return performance.now() - start
}

/** Waits until the server's subscription count has not changed for STABLE_MS. */
async function stableSubscriptions(bench: Bench): Promise<number> {
  const deadline = Date.now() + STABLE_TIMEOUT_MS
  let last = await bench.server.subscriptions()
  let since = Date.now()
  while (Date.now() - since < STABLE_MS && Date.now() < deadline) {
    await sleep(100)
    const now = await bench.server.subscriptions()
    if (now != last) [last, since] = [now, Date.now()]
  }
  return last
}

export async function churn(bench: Bench): Promise<ScenarioResult> {
  const { cycles, batch, streams } = bench.settings.churn
  const rows = new Rows(`Churn: ${cycles.toLocaleString("en")} add/remove cycles of sources`)
  for (let run = 0; run < bench.settings.runs.churn; run++) {
    for (const client of clientOrder(run, bench.clients)) {
      const signed = await bench.server.signAll(Array.from({ length: streams }, () => bench.unique("churn")))
      const open = await openPage(bench.browser)
      try {
        await open.page.goto(bench.web.pageUrl(client))
        const churnFor = (count: number) => open.page.evaluate(churnInPage, { signed, cycles: count, batch, connectWaitMs: CONNECT_WAIT_MS })
        /** Heap after GC once the cycles have settled, and the server's subscriptions then. */
        const settled = async () => {
          await sleep(QUIET_MS)
          const left = await stableSubscriptions(bench)
          return { left, heap: await heapAfterGc(open.cdp) }
        }
        await churnFor(WARM_UP_CYCLES)
        const before = await settled()
        await bench.server.post("/commands/clear")
        const firstHalf = await churnFor(Math.floor(cycles / 2))
        const middle = await settled()
        const secondHalf = await churnFor(cycles - Math.floor(cycles / 2))
        const after = await settled()
        const commands = (await bench.server.get<Array<{ command: string }>>("/commands")).length
        const kB = (bytes: number) => bytes / 1024
        bench.log(
          `churn run ${run + 1} ${client}: ${(firstHalf + secondHalf).toFixed(0)} ms, heap ${kB(before.heap).toFixed(0)} → ` +
            `${kB(middle.heap).toFixed(0)} → ${kB(after.heap).toFixed(0)} kB, ${after.left} subscriptions left, ${commands} commands`,
        )
        rows.add("JS heap after GC: growth over all cycles", "kB", client, run, kB(after.heap - before.heap))
        rows.add("JS heap after GC: growth over the second half", "kB", client, run, kB(after.heap - middle.heap), { target: "no growth beyond noise" })
        rows.add("JS heap after GC: before", "kB", client, run, kB(before.heap))
        rows.add("live server subscriptions left", "count", client, run, after.left, { target: "0" })
        rows.add("subscribe + unsubscribe commands sent", "count", client, run, commands, { ratios: ["floor", "turbo-rails"] })
        rows.add(`time for the ${cycles.toLocaleString("en")} cycles`, "ms", client, run, firstHalf + secondHalf, { ratios: ["floor", "turbo-rails"] })
      } finally {
        await open.close()
        await bench.server.waitForNoConnections()
      }
    }
  }
  const left = rows.row("live server subscriptions left", "count")
  left.met = (left.values["turbo-cable"] ?? []).every((value) => value == 0)
  // Noise: what the floor's heap moves by when it keeps nothing per cycle, but at least NOISE_FLOOR_KB.
  const growth = rows.row("JS heap after GC: growth over the second half", "kB")
  const noise = Math.max(NOISE_FLOOR_KB, 2 * Math.max(0, ...(growth.values.floor ?? []).map((value) => Math.abs(value ?? 0))))
  const mine = (growth.values["turbo-cable"] ?? []).filter((value): value is number => value !== undefined)
  if (mine.length) growth.met = mine.every((value) => value <= noise)
  growth.target = `no growth beyond noise (${noise.toFixed(0)} kB)`
  return {
    rows: rows.rows,
    notes: [
      `**Churn.** An empty page adds ${batch} sources at a time (streams from a pool of ${streams}) and removes them ` +
        `again: half the batches in the same task, four in ten after a macrotask (before a confirmation can arrive), ` +
        `one in ten after all are \`connected\` (at most ${CONNECT_WAIT_MS} ms). ${WARM_UP_CYCLES} warm-up cycles ` +
        `first, then the heap is collected (CDP HeapProfiler.collectGarbage, three times) and measured ` +
        `(JSHeapUsedSize); again after half the cycles and after all of them, each time after ${QUIET_MS} ms of ` +
        `quiet and a stable server. Growth over the second half shows a leak per cycle; growth over all cycles ` +
        `also counts what a client builds once (caches, per-stream state). Noise is twice the largest move of the ` +
        `floor's heap (it keeps nothing per cycle), at least ${NOISE_FLOOR_KB} kB. "Live server subscriptions ` +
        `left" is the server's count once it has been stable for ${STABLE_MS} ms; commands are the subscribes and ` +
        `unsubscribes the server received during the cycles.`,
    ],
  }
}
