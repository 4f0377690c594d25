// Many tabs, one connection (issue 16): turbo-cable's tabs of one browser profile share one socket, held by a
// SharedWorker; turbo-rails opens one per tab, so its figures are today's. Server connections for a user's tabs,
// page requests after a deploy with hidden tabs, broadcast latency and a burst's main-thread time in a tab on
// the shared connection against a tab with a socket of its own, and the tab that opened the connection closing.
import { setTimeout as sleep } from "node:timers/promises"
import type { Browser, BrowserContext, Page } from "@playwright/test"
import { clientOrder, type ClientId } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { NAME_SHIM, openTab, pageClock, scriptSource, waitConnected, type BenchPage } from "../support/browser"
import { Rows } from "../support/results"
import { quantile, sortedCopy } from "../support/stats"
import { REFRESH_WORKAROUND } from "../support/turbo_rails_refresh"
import { BenchWeb, OWN_SOCKET_HEAD, SAME_PERSON_HEAD } from "../support/web"
import { burstIn } from "./burst"
import { latencyIn } from "./latency"
import { bringBack, closeTab, sendToBackground } from "../../test/support/background_tabs"
import { launchFreezableBrowser, type FreezableBrowser } from "../../test/support/freezable_browser"
import { startNodeServer, type NodeServer } from "../../test/support/node_server"

/** turbo-cable shares; turbo-rails cannot, and is measured as a tab with its own socket. */
const TAB_CLIENTS: ClientId[] = ["turbo-cable", "turbo-rails"]

/** Which of a context's tabs is measured: one on the shared connection, or one with a socket of its own. */
type Mode = "shared" | "own"

const MODE_LABEL: Record<Mode, string> = {
  shared: "tab on the shared connection (non-owner)",
  own: "tab with a socket of its own (owner)",
}

declare global {
  interface Window {
    __tabSeen?: Record<string, number>
    __tabShownAt?: number
    __tabConnects?: number
  }
}

/**
 * In the page, from its first instant: when each element with an id first appears, when the tab was last
 * shown, and how often its source became `connected` (performance.now()). It leaves window.WebSocket alone:
 * a wrapped class is not the browser's, and turbo-cable would keep the tab out of the shared connection.
 */
function recordTab(): void {
  const seen: Record<string, number> = (window.__tabSeen = {})
  window.__tabConnects = 0
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState == "visible") window.__tabShownAt = performance.now()
  })
  new MutationObserver((mutations) => {
    const now = performance.now()
    for (const mutation of mutations) {
      if (mutation.type == "attributes") {
        if ((mutation.target as Element).hasAttribute("connected") && mutation.oldValue === null) window.__tabConnects!++
        continue
      }
      for (const node of mutation.addedNodes) {
        if (!(node instanceof Element)) continue
        for (const element of [node, ...node.querySelectorAll("[id]")]) if (element.id && !(element.id in seen)) seen[element.id] = now
      }
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["connected"] })
}

async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext()
  await context.addInitScript({ content: NAME_SHIM })
  return context
}

const appendOf = (id: string) => `<turbo-stream action="append" target="items"><template><li id="${id}">written</li></template></turbo-stream>`

/** Polls the page until the element `id` has appeared; its time (page clock), or null after `timeout` ms. */
async function seenAt(page: Page, id: string, timeout: number): Promise<number | null> {
  return page
    .waitForFunction((id) => window.__tabSeen?.[id], id, { timeout, polling: 20 })
    .then((handle) => handle.jsonValue() as Promise<number>)
    .catch(() => null)
}

/** `tabs` tabs of one context, a source each on one stream: the server's connections and subscriptions. */
async function connectionsOnce(bench: Bench, client: ClientId): Promise<{ connections: number; subscriptions: number; tabsSaid: string }> {
  const { tabs } = bench.settings.tabs
  const stream = bench.unique("tabs")
  const signed = await bench.server.sign(stream)
  await bench.server.waitForNoConnections()
  const context = await newContext(bench.browser)
  try {
    const pages: Page[] = []
    for (let i = 0; i < tabs; i++) {
      const page = await context.newPage()
      await page.goto(bench.web.pageUrl(client, { sources: [signed], head: SAME_PERSON_HEAD }))
      pages.push(page)
    }
    for (const page of pages) await waitConnected(page, 1)
    // A second socket, a late subscribe: anything still on its way.
    await sleep(500)
    return {
      connections: await bench.server.connections(),
      subscriptions: await bench.server.subscriptions(stream),
      tabsSaid: (await pages[tabs - 1].evaluate(() => document.documentElement.dataset.turboCableTabs)) ?? "-",
    }
  } finally {
    await context.close()
    await bench.server.waitForNoConnections()
  }
}

interface DeployOutcome {
  /** Page requests from the stop until the hidden tabs are shown (the visible tab caught up, all reconnected). */
  beforeShown: number
  /** ... and in all, once every tab was shown and current. */
  total: number
  /** Per hidden tab, from it being shown to its missed write on screen (0 when it already was). */
  shownToWrite: number[]
  visibleS: number
  /** Server connections of the tabs before the stop, and the hidden tabs' data-turbo-cable-state before shown. */
  connections: number
  hiddenStates: string[]
}

/**
 * `tabs` tabs of one profile in the freezable browser (a window each), a list each, all but the first hidden for
 * real; the app port closes, a write per list, it listens again; then the hidden tabs are shown one by one.
 */
async function deployOnce(bench: Bench, browser: FreezableBrowser, web: BenchWeb, server: NodeServer, client: ClientId): Promise<DeployOutcome> {
  const { tabs, downMs, catchUpTimeoutMs } = bench.settings.tabs
  const head = client == "turbo-rails" ? REFRESH_WORKAROUND : SAME_PERSON_HEAD
  const opened: Array<{ page: Page; list: string }> = []
  try {
    for (let i = 0; i < tabs; i++) {
      const list = bench.unique("deploy")
      const page = await browser.newWindow()
      opened.push({ page, list })
      await page.addInitScript({ content: scriptSource(recordTab) })
      await page.goto(web.liveUrl(client, list, { head }))
      await waitConnected(page, 1)
    }
    const [visible, ...hidden] = opened
    for (const { page } of hidden) await sendToBackground(page)
    await sleep(500)
    const connections = await server.connections()
    const lists = new Set(opened.map(({ list }) => list))
    const stoppedAt = Date.now()
    const requests = () => web.liveRequests.filter((request) => lists.has(request.list) && request.at >= stoppedAt).length
    await server.post("/stop")
    const ids = new Map<Page, string>()
    for (const { page, list } of opened) ids.set(page, `item_${(await server.post<{ id: number }>("/items", { list, text: "written while down" })).id}`)
    await sleep(downMs)
    const clock = await pageClock(visible.page)
    await server.post("/start")
    const listeningAt = clock.toPage(performance.now())
    const shown = await seenAt(visible.page, ids.get(visible.page)!, catchUpTimeoutMs)
    // Every tab back on the line (its source connected a second time); then a moment for any request to start.
    for (const { page } of hidden) {
      await page.waitForFunction(() => window.__tabConnects! >= 2, undefined, { timeout: catchUpTimeoutMs, polling: 50 }).catch(() => {})
    }
    await sleep(1_500)
    const beforeShown = requests()
    const hiddenStates = await Promise.all(hidden.map(({ page }) => page.evaluate(() => document.documentElement.dataset.turboCableState ?? "-")))
    const shownToWrite: number[] = []
    for (const { page } of hidden) {
      await bringBack(page)
      const at = await seenAt(page, ids.get(page)!, catchUpTimeoutMs)
      const shownAt = await page.evaluate(() => window.__tabShownAt!)
      shownToWrite.push(at === null ? Infinity : Math.max(0, at - shownAt))
    }
    await sleep(1_000)
    return { beforeShown, total: requests(), shownToWrite, visibleS: shown === null ? Infinity : (shown - listeningAt) / 1000, connections, hiddenStates }
  } finally {
    for (const { page } of opened) await closeTab(page).catch(() => {})
    await server.waitForNoConnections(10_000)
  }
}

/**
 * Two tabs of one context: the first, on another stream, opens the connection; the second, measured, shares it
 * or (OWN_SOCKET_HEAD) keeps a socket of its own. turbo-rails' two tabs each have their own.
 */
async function withSecondTab<T>(bench: Bench, client: ClientId, mode: Mode, measure: (tab: BenchPage, stream: string) => Promise<T>): Promise<{ outcome: T; connections: number }> {
  const context = await newContext(bench.browser)
  try {
    const first = await openTab(context)
    await first.page.goto(bench.web.pageUrl(client, { sources: [await bench.server.sign(bench.unique("first"))], head: SAME_PERSON_HEAD }))
    await waitConnected(first.page, 1)
    const stream = bench.unique("second")
    const second = await openTab(context)
    await second.page.goto(bench.web.pageUrl(client, { sources: [await bench.server.sign(stream)], head: mode == "own" ? SAME_PERSON_HEAD + OWN_SOCKET_HEAD : SAME_PERSON_HEAD }))
    await waitConnected(second.page, 1)
    await sleep(300) // load-time work out of the way, as latency.ts and burst.ts do
    const connections = await bench.server.connections()
    return { outcome: await measure(second, stream), connections }
  } finally {
    await context.close()
    await bench.server.waitForNoConnections()
  }
}

/**
 * Two tabs of one context on one stream; the first (which opened the connection) closes, a write right after;
 * ms from the close to the write on screen in the other, and the server's connections then.
 */
async function takeoverOnce(bench: Bench, client: ClientId): Promise<{ ms: number; connectionsAfter: number; tabsSaid: string }> {
  const stream = bench.unique("takeover")
  const signed = await bench.server.sign(stream)
  const context = await newContext(bench.browser)
  try {
    const owner = await context.newPage()
    await owner.goto(bench.web.pageUrl(client, { sources: [signed], head: SAME_PERSON_HEAD }))
    await waitConnected(owner, 1)
    await owner.evaluate(recordTab)
    const other = await context.newPage()
    await other.goto(bench.web.pageUrl(client, { sources: [signed], head: SAME_PERSON_HEAD }))
    await waitConnected(other, 1)
    await other.evaluate(recordTab)
    await sleep(500)
    const tabsSaid = () => other.evaluate(() => document.documentElement.dataset.turboCableTabs ?? "-")
    const tabsBefore = await tabsSaid()
    const clock = await pageClock(other)
    const closedAt = clock.toPage(performance.now())
    await owner.close()
    const id = bench.unique("takeover-item")
    await bench.server.broadcast(stream, appendOf(id))
    const at = await seenAt(other, id, bench.settings.tabs.takeoverTimeoutMs)
    return { ms: at === null ? Infinity : at - closedAt, connectionsAfter: await bench.server.connections(), tabsSaid: `${tabsBefore} → ${await tabsSaid()}` }
  } finally {
    await context.close()
    await bench.server.waitForNoConnections()
  }
}

const median = (values: number[]) => quantile(sortedCopy(values), 0.5)

export async function tabs(bench: Bench): Promise<ScenarioResult> {
  const settings = bench.settings.tabs
  const { perSecond } = bench.settings.latency
  const clients = TAB_CLIENTS.filter((client) => bench.clients.includes(client))
  const hiddenTabs = settings.tabs - 1
  const rows = new Rows("Many tabs, one connection (issue 16)")
  const cannotShare = { "turbo-rails": "n/a (a socket per tab)", anycable: "not measured", floor: "not measured" }
  const notMeasured = { anycable: "not measured", floor: "not measured" }
  const FIGURES = {
    connections: `${settings.tabs} tabs of one profile, a source each: server connections`,
    subscriptions: `same: server subscriptions to their stream`,
    beforeShown: `deploy, 1 visible and ${hiddenTabs} hidden tabs (plain Action Cable): page requests until the hidden tabs are shown`,
    total: `same: page requests in all, once every tab was shown`,
    shown: `same: a hidden tab shown to its missed write on screen, slowest of ${hiddenTabs}`,
    p50: (mode: Mode) => `latency at ${perSecond} msg/s, p50: ${MODE_LABEL[mode]}`,
    p99: (mode: Mode) => `latency at ${perSecond} msg/s, p99: ${MODE_LABEL[mode]}`,
    burst: (mode: Mode) => `burst of ${settings.burstMessages.toLocaleString("en")} appends, main thread per message: ${MODE_LABEL[mode]}`,
    takeover: `the tab that opened the connection closes: close to a write made right after it shown in another tab`,
  }
  rows.row(FIGURES.connections, "count", { target: "1 (turbo-rails: one per tab)", text: notMeasured })
  rows.row(FIGURES.subscriptions, "count", { text: notMeasured })
  rows.row(FIGURES.beforeShown, "count", { target: "1 (the visible tab's)", text: notMeasured })
  rows.row(FIGURES.total, "count", { text: notMeasured })
  rows.row(FIGURES.shown, "ms", { target: "< 1 s", timeoutLabel: `${settings.catchUpTimeoutMs / 1000} s timeout`, text: notMeasured })
  for (const mode of ["shared", "own"] as const) {
    const text = mode == "shared" ? cannotShare : notMeasured
    rows.row(FIGURES.p50(mode), "ms", { text, target: mode == "shared" ? "at most 2 ms above the own-socket tab's" : undefined })
    rows.row(FIGURES.p99(mode), "ms", { text })
  }
  for (const mode of ["shared", "own"] as const) {
    rows.row(FIGURES.burst(mode), "ms/msg", { text: mode == "shared" ? cannotShare : notMeasured, target: mode == "shared" ? "≤ 1.1x the own-socket tab's" : undefined })
  }
  rows.row(FIGURES.takeover, "ms", { target: "< 2 s", timeoutLabel: `${settings.takeoverTimeoutMs / 1000} s timeout`, text: notMeasured })
  const checks: string[] = []

  // The deploy refetches: a second server process that speaks plain Action Cable only (on the extended
  // protocol a tab catches up from history, with no page request at all).
  const plainServer = await startNodeServer({ EXTENDED_PROTOCOL: "0" })
  const plainWeb = await BenchWeb.start(plainServer)
  const freezable = await launchFreezableBrowser()
  try {
    for (let run = 0; run < bench.settings.runs.tabs; run++) {
      for (const client of clientOrder(run, clients)) {
        const { connections, subscriptions, tabsSaid } = await connectionsOnce(bench, client)
        bench.log(`tabs run ${run + 1} ${client}: ${settings.tabs} tabs, ${connections} connections, ${subscriptions} subscriptions, data-turbo-cable-tabs ${tabsSaid}`)
        rows.add(FIGURES.connections, "count", client, run, connections)
        rows.add(FIGURES.subscriptions, "count", client, run, subscriptions)
      }
      for (const client of clientOrder(run, clients)) {
        const outcome = await deployOnce(bench, freezable, plainWeb, plainServer, client)
        bench.log(
          `deploy run ${run + 1} ${client}: ${outcome.connections} server connections; hidden tabs ${outcome.hiddenStates.join(",")} before shown; ${outcome.beforeShown} page requests before the hidden tabs were shown, ${outcome.total} in all; ` +
            `visible tab current ${outcome.visibleS.toFixed(2)} s after listening; shown to write ${outcome.shownToWrite.map((ms) => ms.toFixed(0)).join(", ")} ms`,
        )
        rows.add(FIGURES.beforeShown, "count", client, run, outcome.beforeShown)
        rows.add(FIGURES.total, "count", client, run, outcome.total)
        rows.add(FIGURES.shown, "ms", client, run, Math.max(...outcome.shownToWrite))
      }
      const measured = (run % 2 ? ["own", "shared"] : ["shared", "own"]) as Mode[]
      const pairs = clientOrder(run, clients).flatMap((client) => (client == "turbo-cable" ? measured : (["own"] as Mode[])).map((mode) => ({ client, mode })))
      for (const { client, mode } of pairs) {
        const { outcome, connections } = await withSecondTab(bench, client, mode, (tab, stream) => latencyIn(bench, tab.page, stream, perSecond, settings.latencySeconds))
        checks.push(`latency ${client} ${mode}: ${connections} connections`)
        bench.log(`latency run ${run + 1} ${client}, ${MODE_LABEL[mode]}: p50 ${outcome.p50.toFixed(1)} ms, p99 ${outcome.p99.toFixed(1)} ms, missing ${outcome.missing}, ${connections} server connections`)
        rows.add(FIGURES.p50(mode), "ms", client, run, outcome.p50)
        rows.add(FIGURES.p99(mode), "ms", client, run, outcome.p99)
      }
      for (const { client, mode } of pairs) {
        const count = settings.burstMessages
        const { outcome, connections } = await withSecondTab(bench, client, mode, (tab, stream) => burstIn(bench, tab, stream, count))
        checks.push(`burst ${client} ${mode}: ${connections} connections`)
        bench.log(`burst run ${run + 1} ${client}, ${MODE_LABEL[mode]}: ${(outcome.mainThreadMs / count).toFixed(3)} ms/msg, ${outcome.received}/${count} in order: ${outcome.inOrder}, ${connections} server connections`)
        rows.add(FIGURES.burst(mode), "ms/msg", client, run, outcome.inOrder ? outcome.mainThreadMs / count : Infinity)
      }
      for (const client of clientOrder(run, clients)) {
        const { ms, connectionsAfter, tabsSaid } = await takeoverOnce(bench, client)
        bench.log(`takeover run ${run + 1} ${client}: write shown ${ms.toFixed(0)} ms after the first tab closed; ${connectionsAfter} server connections then, data-turbo-cable-tabs ${tabsSaid}`)
        rows.add(FIGURES.takeover, "ms", client, run, ms)
      }
    }
  } finally {
    await freezable.close().catch(() => {})
    await plainWeb.close().catch(() => {})
    await plainServer.stop().catch(() => {})
  }

  const turboCable = (figure: string, unit: Parameters<Rows["row"]>[1]) =>
    (rows.row(figure, unit).values["turbo-cable"] ?? []).filter((value): value is number => value !== undefined)
  const met = (figure: string, unit: Parameters<Rows["row"]>[1], ok: (median: number) => boolean) => {
    const values = turboCable(figure, unit)
    if (values.length) rows.row(figure, unit).met = ok(median(values))
  }
  met(FIGURES.connections, "count", (value) => value == 1)
  met(FIGURES.beforeShown, "count", (value) => value == 1)
  met(FIGURES.shown, "ms", (value) => value < 1000)
  met(FIGURES.takeover, "ms", (value) => value < 2000)
  // Shared against own socket: run by run, as the other scenarios' ratios.
  const paired = (shared: string, own: string, unit: Parameters<Rows["row"]>[1], by: (shared: number, own: number) => number) => {
    const a = rows.row(shared, unit).values["turbo-cable"] ?? []
    const b = rows.row(own, unit).values["turbo-cable"] ?? []
    const values = a.flatMap((value, run) => (value !== undefined && b[run] !== undefined ? [by(value, b[run]!)] : []))
    return values.length ? median(values) : undefined
  }
  const p50Difference = paired(FIGURES.p50("shared"), FIGURES.p50("own"), "ms", (shared, own) => shared - own)
  if (p50Difference !== undefined) {
    const row = rows.row(FIGURES.p50("shared"), "ms")
    row.target = `at most 2 ms above the own-socket tab's (${p50Difference >= 0 ? "+" : ""}${p50Difference.toFixed(2)} ms)`
    // The cost of sharing is the point: a shared tab that happens to be quicker meets it.
    row.met = p50Difference <= 2
  }
  const burstRatio = paired(FIGURES.burst("shared"), FIGURES.burst("own"), "ms/msg", (shared, own) => shared / own)
  if (burstRatio !== undefined) {
    const row = rows.row(FIGURES.burst("shared"), "ms/msg")
    row.target = `≤ 1.1x the own-socket tab's (${burstRatio.toFixed(2)}x)`
    row.met = burstRatio <= 1.1
  }

  return {
    rows: rows.rows,
    notes: [
      `**Many tabs, one connection.** turbo-cable's tabs of one browser profile (a Playwright browser context) ` +
        `whose pages say they are one person's (\`<meta name="turbo-cable-identity">\`) share one socket, held by a ` +
        `SharedWorker (the script-tag file itself); a tab keeps its own with ` +
        `\`<meta name="turbo-cable-share-connection" content="false">\`. turbo-rails opens a socket per tab: its ` +
        `column is what a user's tabs cost today. Pages are the other scenarios' (bench/clients/), with no init ` +
        `script that wraps \`window.WebSocket\` (turbo-cable would not share from a tab whose WebSocket is not ` +
        `the browser's). Server figures are the Node server's control API (\`/connections\`, \`/subscriptions\`), ` +
        `read 0.5 s after all ${settings.tabs} tabs (one context, opened one after the other, one stream) are ` +
        `\`connected\`.`,
      `*Deploy*: ${settings.tabs} tabs of one profile, a list each, in the freezable Chromium the reconnect ` +
        `scenario uses (a window per tab, no focus emulation), ${hiddenTabs} of them hidden for real by a tab opened ` +
        `in front of each (test/support/background_tabs.ts; Playwright's own pages stay visible), against a second ` +
        `server process with \`EXTENDED_PROTOCOL=0\` so that a tab catches up by refetching its page. POST /stop, a ` +
        `write per list, ${settings.downMs / 1000} s down, POST /start. "Until shown": requests for the tabs' live ` +
        `pages at the bench's web server from the stop until the visible tab showed its write, every hidden tab's ` +
        `source was \`connected\` again, and 1.5 s more; then each hidden tab is brought to the front in turn and ` +
        `timed (page clock) from its \`visibilitychange\` to its write's <li> (0 when it was already there). ` +
        `turbo-rails runs with the refresh workaround of the other catch-up scenarios (turbo-rails#674); bare, it ` +
        `makes no request and never shows the writes. With it, each tab refreshes as soon as it is connected ` +
        `again, hidden or not.`,
      `*Latency and burst, shared or own socket*: two tabs of one context; the first, on a stream of its own, ` +
        `opens the connection; the second, measured, shares it (non-owner) or keeps a socket of its own by the ` +
        `meta above (owner; the first tab still holds the worker). As latency.ts (${perSecond} msg/s for ` +
        `${settings.latencySeconds} s) and burst.ts (${settings.burstMessages} appends; CDP TaskDuration of the ` +
        `measured tab's main thread). The worker's own thread is not in the tab's figure: its time per message is ` +
        `off every tab's main thread, and not counted here. Goals compare the two turbo-cable rows run by run ` +
        `(difference of p50, ratio of main-thread time). Server connections checked: ${checks.join("; ") || "none"}.`,
      `*Owner closes*: two tabs of one context on one stream; the first (which opened the connection) closes ` +
        `(Playwright's page.close(), \`pagehide\` and all), a broadcast right after; ms on the other tab's clock ` +
        `from the close to the <li>. A SharedWorker outlives the tab that started it, so this is a broadcast's ` +
        `latency unless the close disturbs the connection.`,
    ],
  }
}
