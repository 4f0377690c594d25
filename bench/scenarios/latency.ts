// Latency: broadcast to DOM at a steady rate (200 messages/s for 10 s), p50 and p99. The harness sends
// each broadcast stamped with the page's clock (mapped from its own); the page subtracts the stamp
// from the moment the element is inserted.
import { setTimeout as sleep } from "node:timers/promises"
import type { Page } from "@playwright/test"
import { clientOrder } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { openPage, pageClock, until, waitConnected } from "../support/browser"
import { Rows } from "../support/results"
import { quantile, sortedCopy } from "../support/stats"

const SETTLE_MS = 5_000

declare global {
  interface Window {
    __latencies?: number[]
  }
}

/** In the page: for each inserted <li data-sent>, its latency (insertion time minus the stamp). */
function watchLatency(): void {
  const latencies: number[] = (window.__latencies = [])
  new MutationObserver((records) => {
    const now = performance.now()
    for (const record of records) {
      for (const node of record.addedNodes) {
        const sent = (node as HTMLElement).dataset?.sent
        if (sent) latencies.push(now - Number(sent))
      }
    }
  }).observe(document.getElementById("items")!, { childList: true })
}

/** Sends `count` broadcasts, one every `interval` ms on the harness clock (a late tick sends what is due). */
async function sendPaced(bench: Bench, stream: string, count: number, interval: number, stamp: () => string): Promise<number[]> {
  const requestTimes: number[] = []
  const pending: Array<Promise<void>> = []
  const start = performance.now()
  for (let next = 0; next < count; ) {
    const due = Math.min(count, Math.floor((performance.now() - start) / interval) + 1)
    for (; next < due; next++) {
      const message = `<turbo-stream action="append" target="items"><template><li id="lat_${next}" data-sent="${stamp()}">message ${next}</li></template></turbo-stream>`
      const sentAt = performance.now()
      pending.push(bench.server.post("/broadcast", { stream, message }).then(() => void requestTimes.push(performance.now() - sentAt)))
    }
    if (next < count) await sleep(Math.max(0, start + next * interval - performance.now()))
  }
  await Promise.all(pending)
  return requestTimes
}

export interface LatencyOutcome {
  p50: number
  p99: number
  max: number
  missing: number
  /** The broadcast requests' own times, ascending. */
  requestTimes: number[]
  clockError: number
}

/** `perSecond` broadcasts a second for `seconds` s to `stream`, which `page` (connected) shows in #items. */
export async function latencyIn(bench: Bench, page: Page, stream: string, perSecond: number, seconds: number): Promise<LatencyOutcome> {
  await page.evaluate(watchLatency)
  const clock = await pageClock(page)
  const count = perSecond * seconds
  const requestTimes = sortedCopy(await sendPaced(bench, stream, count, 1000 / perSecond, () => clock.toPage(performance.now()).toFixed(3)))
  await until(async () => (await page.evaluate(() => window.__latencies!.length)) >= count, SETTLE_MS, "every message").catch(() => {})
  const sorted = sortedCopy(await page.evaluate(() => window.__latencies!))
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    missing: count - sorted.length,
    requestTimes,
    clockError: clock.error,
  }
}

export async function latency(bench: Bench): Promise<ScenarioResult> {
  const { perSecond, seconds } = bench.settings.latency
  const rows = new Rows(`Latency: ${perSecond} messages/s for ${seconds} s, broadcast to DOM`)
  for (let run = 0; run < bench.settings.runs.latency; run++) {
    for (const client of clientOrder(run, bench.clients)) {
      const stream = bench.unique("latency")
      const signed = await bench.server.sign(stream)
      const open = await openPage(bench.browser)
      try {
        await open.page.goto(bench.web.pageUrl(client, { sources: [signed] }))
        await waitConnected(open.page, 1)
        await sleep(300)
        const { p50, p99, max, missing, requestTimes, clockError } = await latencyIn(bench, open.page, stream, perSecond, seconds)
        const count = perSecond * seconds
        bench.log(
          `latency run ${run + 1} ${client}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max?.toFixed(1)} ms, ` +
            `missing ${missing}; broadcast requests p50 ${quantile(requestTimes, 0.5).toFixed(2)} ms, clock error ≤ ${clockError.toFixed(2)} ms`,
        )
        rows.add("p50", "ms", client, run, p50, { ratios: ["floor", "turbo-rails"] })
        rows.add("p99", "ms", client, run, p99, { ratios: ["floor", "turbo-rails"] })
        rows.add("max", "ms", client, run, max)
        rows.add(`all ${count} arrived`, "ok", client, run, missing == 0 ? 1 : 0)
      } finally {
        await open.close()
      }
    }
  }
  return {
    rows: rows.rows,
    notes: [
      `**Latency.** The harness paces ${perSecond} single-message POST /broadcast requests a second for ${seconds} s ` +
        `(a timer catching up with the schedule, so a late tick sends what is due). Each <li> carries its send time ` +
        `on the page's clock (the harness's clock mapped through the quickest of seven round trips, error under a ` +
        `millisecond); a MutationObserver on #items subtracts it at insertion. So latency includes the HTTP request ` +
        `to the server's control port (loopback, ~1 ms), as a real broadcast includes the app's call into the ` +
        `server. Turbo-based clients insert on the next animation frame (Turbo's stream rendering waits for one), ` +
        `the floor at once. (Sending from the page with fetch() was tried first and dropped: Chromium's fetch path ` +
        `could not keep up with 200 requests/s and queued them for up to a second.)`,
    ],
  }
}
