// Catch-up under load (issue 11), apart from `npm run bench` (it needs its own setup and minutes):
//
//   npm run build && npx tsx bench/catch_up_load.ts [--herd] [--herd-drop] [--big-page] [--pages=50] [--runs=N]
//
// herd:     N pages (tabs of one headless Chromium, each with a socket of its own, as N users would have) on
//           a list each; the app server stops, one item per list is written, it starts again; the page
//           requests reaching the server per 100 ms after it listens, and from listening to each page showing
//           its item. turbo-cable (catchUpSpread 500, and 0) beside
//           turbo-rails with the refresh workaround users post (on a reconnect, Turbo.session.refresh with
//           morph): both refetch, only the timing differs.
// herd-drop: the same, but every socket is dropped while the server keeps listening (a proxy restart, a
//           rolling deploy): the pages rejoin within the backoff's first window; times from the drop.
// big-page: a 5,000-message page with a typed draft, scrolled; a write, then the page brought up to date by
//           turbo-cable's catch-up, by Turbo's morph refresh (the workaround), and by a full reload: time to
//           the new item and the longest main-thread task (PerformanceObserver longtask), draft kept or not.
// Prints a Markdown table for bench/RESULTS.md. Nothing runs past HARD_LIMIT_MS.
import { setTimeout as sleep } from "node:timers/promises"
import type { Browser, Page } from "@playwright/test"
import { launchBrowser, NAME_SHIM } from "./support/browser"
import { buildPageBundles } from "./support/bundles"
import { startNodeServer, type NodeServer } from "../test/support/node_server"
import { BenchWeb, OWN_SOCKET_HEAD } from "./support/web"
import { quantile, sortedCopy } from "./support/stats"
import { REFRESH_WORKAROUND } from "./support/turbo_rails_refresh"

const median = (values: number[]) => quantile(sortedCopy(values), 0.5)

const HARD_LIMIT_MS = 9 * 60_000
/** How long after the server listens (or the drop) a page has to show its item. */
const CAUGHT_UP_TIMEOUT = 15_000
setTimeout(() => {
  process.stderr.write("catch_up_load: hard time limit reached\n")
  process.exit(2)
}, HARD_LIMIT_MS).unref()

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(`--${name}`)
const numberOption = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
let unique = 0
const newList = (prefix: string) => `${prefix}-${Date.now()}-${unique++}`

/** Records in the page when each <li> first appears (wall clock) and every long task. */
function recordPage(): void {
  const w = window as any
  w.__seen = {}
  w.__longTasks = []
  new PerformanceObserver((list) => list.getEntries().forEach((entry) => w.__longTasks.push(entry.duration))).observe({ type: "longtask" })
  new MutationObserver((mutations) => {
    const now = Date.now()
    for (const mutation of mutations)
      for (const node of mutation.addedNodes) {
        if (!(node instanceof Element)) continue
        for (const li of node.matches("li") ? [node] : node.querySelectorAll("li")) if (li.id && !(li.id in w.__seen)) w.__seen[li.id] = now
      }
  }).observe(document, { childList: true, subtree: true })
}

interface Client {
  name: string
  page: "turbo-cable" | "turbo-rails"
  head: string
}

const HERD_CLIENTS: Client[] = [
  { name: "turbo-cable (catchUpSpread 500, default)", page: "turbo-cable", head: "" },
  { name: "turbo-cable (catchUpSpread 0)", page: "turbo-cable", head: `<script>window.TurboCableConfig = { catchUpSpread: 0 }</script>` },
  { name: "turbo-rails + refresh workaround", page: "turbo-rails", head: REFRESH_WORKAROUND },
]

async function herd(browser: Browser, server: NodeServer, web: BenchWeb, pages: number, runs: number, mode: "restart" | "drop"): Promise<string[]> {
  const rows: string[] = []
  for (const client of HERD_CLIENTS) {
    const peaks: number[] = []
    const spans: number[] = []
    const p50s: number[] = []
    const maxes: number[] = []
    let histogram = ""
    let missed = 0
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext()
      await context.addInitScript({ content: NAME_SHIM })
      await context.addInitScript(recordPage)
      const opened: Array<{ page: Page; list: string }> = []
      try {
        for (let i = 0; i < pages; i++) {
          const list = newList("herd")
          const page = await context.newPage()
          // A page per user: turbo-cable's tabs of one context would otherwise share one connection.
          await page.goto(web.liveUrl(client.page, list, { head: client.head + OWN_SOCKET_HEAD }))
          opened.push({ page, list })
        }
        for (const { page } of opened) await page.locator("turbo-cable-stream-source[connected]").waitFor({ state: "attached", timeout: 30_000 })
        await sleep(1_000)
        const ids = new Map<string, number>()
        let listeningAt: number
        if (mode == "restart") {
          await server.post("/stop")
          for (const { list } of opened) ids.set(list, (await server.post<{ id: number }>("/items", { list, text: "written while down" })).id)
          await sleep(2_000)
          web.liveRequests.length = 0
          await server.post("/start")
          listeningAt = Date.now()
        } else {
          // A proxy or a rolling deploy drops every socket while a server is already listening: every page
          // is back within the backoff's first window, the tightest herd there is.
          for (const { list } of opened) ids.set(list, (await server.post<{ id: number }>("/items", { list, text: "not broadcast", broadcast: false })).id)
          web.liveRequests.length = 0
          listeningAt = Date.now()
          await server.post("/kill")
        }
        const shown: number[] = []
        for (const { page, list } of opened) {
          const id = `item_${ids.get(list)}`
          const at = await page
            .waitForFunction((id) => (window as any).__seen[id], id, { timeout: Math.max(1, listeningAt + CAUGHT_UP_TIMEOUT - Date.now()), polling: 100 })
            .then((handle) => handle.jsonValue() as Promise<number>)
            .catch(() => Infinity)
          shown.push(at - listeningAt)
        }
        missed += shown.filter((ms) => ms == Infinity).length
        const requests = web.liveRequests.map((r) => r.at - listeningAt).sort((a, b) => a - b)
        const buckets = new Map<number, number>()
        for (const ms of requests) buckets.set(Math.floor(ms / 100), (buckets.get(Math.floor(ms / 100)) ?? 0) + 1)
        peaks.push(Math.max(0, ...buckets.values()))
        spans.push(requests.length ? requests[requests.length - 1] - requests[0] : 0)
        p50s.push(median(shown))
        maxes.push(Math.max(...shown))
        if (run == 0) {
          const last = Math.max(0, ...buckets.keys())
          histogram = Array.from({ length: last + 1 }, (_, i) => buckets.get(i) ?? 0).join(" ")
        }
        console.error(`${client.name} run ${run + 1}: ${requests.length} requests, peak ${peaks.at(-1)}/100 ms, span ${spans.at(-1)} ms, caught up p50 ${p50s.at(-1)} ms, last ${maxes.at(-1)} ms`)
      } finally {
        await context.close()
        await server.waitForNoConnections(10_000)
      }
    }
    const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : `> ${CAUGHT_UP_TIMEOUT / 1000} s`)
    rows.push(
      `| ${client.name} | ${median(peaks)} | ${seconds(median(spans))} | ${seconds(median(p50s))} | ${seconds(median(maxes))}${missed ? ` (${missed} of ${pages * runs} pages not within ${CAUGHT_UP_TIMEOUT / 1000} s)` : ""} | ${histogram} |`,
    )
  }
  return [
    mode == "restart"
      ? `### Herd: ${pages} pages, server restart (down 2 s), ${runs} runs, medians; times from the server listening again`
      : `### Herd: ${pages} pages, every socket dropped with the server still listening, ${runs} runs, medians; times from the drop`,
    "",
    "| client | page requests, peak per 100 ms | requests spread over | to caught up, p50 page | to caught up, last page | page requests per 100 ms from then (run 1) |",
    "|---|---|---|---|---|---|",
    ...rows,
  ]
}

async function bigPage(browser: Browser, server: NodeServer, web: BenchWeb, runs: number): Promise<string[]> {
  const ways = [
    { name: "turbo-cable catch-up (refetch + morph)", page: "turbo-cable" as const, head: "", act: () => (window as any).TurboCable.catchUpNow() },
    { name: "Turbo morph refresh (turbo-rails workaround)", page: "turbo-rails" as const, head: REFRESH_WORKAROUND, act: () => (window as any).Turbo.session.refresh(location.href) },
    { name: "full reload", page: "turbo-cable" as const, head: "", act: () => location.reload() },
  ]
  const rows: string[] = []
  for (const way of ways) {
    const times: number[] = []
    const longest: number[] = []
    const drafts: boolean[] = []
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext()
      await context.addInitScript({ content: NAME_SHIM })
      await context.addInitScript(recordPage)
      try {
        const list = newList("big")
        await server.post("/items", { list, text: "message {{i}}, a line of chat as long as most", count: 5_000, broadcast: false })
        const page = await context.newPage()
        await page.goto(web.liveUrl(way.page, list, { head: way.head, body: `<input id="draft" name="draft">` }))
        await page.locator("turbo-cable-stream-source[connected]").waitFor({ state: "attached", timeout: 30_000 })
        await sleep(1_000)
        await page.locator("#draft").fill("half-typed")
        await page.evaluate(() => window.scrollTo(0, 40_000))
        const { id } = await server.post<{ id: number }>("/items", { list, text: "written meanwhile", broadcast: false })
        await page.evaluate(() => ((window as any).__longTasks = []))
        const startedAt = Date.now()
        await page.evaluate(way.act)
        const shownAt = await page
          .waitForFunction((id) => (window as any).__seen[id] ?? (document.getElementById(id) && performance.timeOrigin + performance.now()), `item_${id}`, { timeout: 20_000, polling: 50 })
          .then((handle) => handle.jsonValue() as Promise<number>)
        await sleep(1_000)
        times.push(shownAt - startedAt)
        longest.push(Math.max(0, ...(await page.evaluate(() => (window as any).__longTasks as number[]))))
        drafts.push((await page.locator("#draft").inputValue()) == "half-typed")
        console.error(`${way.name} run ${run + 1}: ${times.at(-1)} ms, longest task ${Math.round(longest.at(-1)!)} ms, draft ${drafts.at(-1) ? "kept" : "lost"}`)
      } finally {
        await context.close()
        await server.waitForNoConnections(10_000)
      }
    }
    rows.push(`| ${way.name} | ${(median(times) / 1000).toFixed(2)} s | ${Math.round(median(longest))} ms (max ${Math.round(Math.max(...longest))}) | ${drafts.every(Boolean) ? "kept" : drafts.some(Boolean) ? "sometimes lost" : "lost"} |`)
  }
  return [
    `### Big page: 5,000 messages, ${runs} runs, medians`,
    "",
    "| way the page is brought up to date | to the new item shown | longest main-thread task | typed draft |",
    "|---|---|---|---|",
    ...rows,
  ]
}

const server = await startNodeServer()
const web = await BenchWeb.start(server)
const browser = await launchBrowser()
try {
  await buildPageBundles()
  const out: string[] = []
  if (flag("herd")) out.push(...(await herd(browser, server, web, numberOption("pages", 50), numberOption("runs", 2), "restart")), "")
  if (flag("herd-drop")) out.push(...(await herd(browser, server, web, numberOption("pages", 50), numberOption("runs", 2), "drop")), "")
  if (flag("big-page")) out.push(...(await bigPage(browser, server, web, numberOption("runs", 3))), "")
  process.stdout.write(out.join("\n") + "\n")
} finally {
  await browser.close()
  await web.close()
  await server.stop()
}
