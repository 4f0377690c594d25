// History (AnyCable's extended protocol): a page catches up from the server's per-stream history instead of
// refetching itself. A dropped line with writes made meanwhile, and a herd of pages after a deploy; turbo-cable
// and AnyCable's client on the extended protocol, turbo-cable and turbo-rails on a plain Action Cable server.
import { setTimeout as sleep } from "node:timers/promises"
import type { Browser, CDPSession, Page } from "@playwright/test"
import { type ClientId, type PageId } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { NAME_SHIM, openPage, pageClock, waitConnected } from "../support/browser"
import { recordLifecycle, type ProbeEvent } from "../support/probe"
import { Rows } from "../support/results"
import { quantile, sortedCopy } from "../support/stats"
import { REFRESH_WORKAROUND } from "../support/turbo_rails_refresh"
import { BenchWeb, OWN_SOCKET_HEAD } from "../support/web"
import { startNodeServer, type NodeServer } from "../../test/support/node_server"

type Protocol = "ext" | "plain"

/** One client against one server: its column in the table, and which rows (by protocol) it fills. */
interface Variant {
  client: ClientId
  page: PageId
  protocol: Protocol
  /** Extra <head> markup (turbo-rails' refresh workaround). */
  head?: string
}

const VARIANTS: Variant[] = [
  { client: "turbo-cable", page: "turbo-cable", protocol: "ext" },
  { client: "anycable", page: "anycable-ext", protocol: "ext" },
  { client: "turbo-cable", page: "turbo-cable", protocol: "plain" },
  { client: "turbo-rails", page: "turbo-rails", protocol: "plain", head: REFRESH_WORKAROUND },
]

const PROTOCOL_LABEL: Record<Protocol, string> = { ext: "extended protocol", plain: "plain Action Cable" }

declare global {
  interface Window {
    __seen?: Record<string, number>
    __caughtUp?: string[]
    __openedAt?: number
  }
}

/**
 * Records (wall clock, for the herd) when each <li> first appears and when the page's latest socket opened,
 * and turbo-cable's caught-up strategies.
 */
function recordSeen(): void {
  const seen: Record<string, number> = (window.__seen = {})
  const NativeWebSocket = window.WebSocket
  window.WebSocket = class extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      this.addEventListener("open", () => (window.__openedAt = Date.now()))
    }
  }
  const strategies: string[] = (window.__caughtUp = [])
  document.addEventListener("turbo-cable:caught-up", (event) => strategies.push(String((event as CustomEvent).detail?.strategy)))
  new MutationObserver((mutations) => {
    const now = Date.now()
    for (const mutation of mutations)
      for (const node of mutation.addedNodes) {
        if (!(node instanceof Element)) continue
        for (const li of node.matches("li") ? [node] : node.querySelectorAll("li")) if (li.id && !(li.id in seen)) seen[li.id] = now
      }
  }).observe(document, { childList: true, subtree: true })
}

/** What the page received between two moments: WebSocket frame payloads, and the refetches' HTTP bodies. */
class WireCounter {
  private counting = false
  private frames = 0
  private refetch = 0
  private readonly live = new Set<string>()

  constructor(cdp: CDPSession) {
    cdp.on("Network.webSocketFrameReceived", ({ response }) => {
      if (this.counting) this.frames += response.payloadData.length
    })
    cdp.on("Network.requestWillBeSent", ({ requestId, request }) => {
      if (this.counting && request.url.includes("/live/")) this.live.add(requestId)
    })
    cdp.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
      if (this.live.has(requestId)) this.refetch += encodedDataLength
    })
  }

  start(): void {
    this.counting = true
  }

  stop(): { frames: number; refetch: number } {
    this.counting = false
    return { frames: this.frames, refetch: this.refetch }
  }
}

const readProbe = (page: Page) => page.evaluate(() => window.__probe ?? [])

/** Polls the page until every id has been added after `since` (page clock); the last one's event, or null. */
async function allAdded(page: Page, ids: string[], since: number, timeout: number): Promise<ProbeEvent | null> {
  const deadline = Date.now() + timeout
  for (;;) {
    const added = (await readProbe(page)).filter((event) => event.at >= since && event.kind == "added")
    const last = ids.map((id) => added.find((event) => event.detail == id))
    if (last.every(Boolean)) return last.reduce((latest, event) => (event!.at > latest!.at ? event : latest))!
    if (Date.now() > deadline) return null
    await sleep(50)
  }
}

/** Each id once in #items, in the order given. */
function shownOnceInOrder(page: Page, ids: string[]): Promise<boolean> {
  return page.evaluate((ids) => {
    const order = [...document.querySelectorAll("#items li")].map((li) => li.id)
    const positions = ids.map((id) => order.indexOf(id))
    return ids.every((id) => order.filter((other) => other == id).length == 1) && positions.every((at, i) => i == 0 || at > positions[i - 1])
  }, ids)
}

interface DropOutcome {
  pageRequests: number
  fromSocketMs: number
  fromKillS: number
  onceInOrder: boolean
  kB: number
  strategies: string[]
}

/** A live page; /kill (the server stays up) and `writes` items written at once; until all are on screen. */
async function dropOnce(bench: Bench, web: BenchWeb, server: NodeServer, variant: Variant): Promise<DropOutcome> {
  const { writes, catchUpTimeoutMs } = bench.settings.history
  const list = bench.unique("history")
  await server.post("/items", { list, text: "before" })
  const open = await openPage(bench.browser, [{ fn: recordLifecycle }, { fn: recordSeen }])
  try {
    const wire = new WireCounter(open.cdp)
    await open.cdp.send("Network.enable")
    await open.page.goto(web.liveUrl(variant.page, list, { head: variant.head }))
    await waitConnected(open.page, 1)
    await sleep(500)
    const clock = await pageClock(open.page)
    const killedAtWall = Date.now()
    const killedAt = clock.toPage(performance.now())
    wire.start()
    await server.post("/kill")
    const ids: string[] = []
    for (let i = 1; i <= writes; i++) ids.push(`item_${(await server.post<{ id: number }>("/items", { list, text: `written while away ${i}` })).id}`)
    const last = await allAdded(open.page, ids, killedAt, catchUpTimeoutMs)
    // Frames and responses already on their way when the last write showed.
    await sleep(250)
    const bytes = wire.stop()
    // Anything asked for late (a second refetch) is still a request the drop caused.
    await sleep(last ? 500 : 0)
    const reopened = (await readProbe(open.page)).find((event) => event.at >= killedAt && event.kind == "socket-open")
    return {
      pageRequests: web.liveRequests.filter((request) => request.list == list && request.at >= killedAtWall).length,
      fromSocketMs: last && reopened ? last.at - reopened.at : Infinity,
      fromKillS: last ? (last.at - killedAt) / 1000 : Infinity,
      onceInOrder: last ? await shownOnceInOrder(open.page, ids) : false,
      kB: (bytes.frames + bytes.refetch) / 1000,
      strategies: await open.page.evaluate(() => window.__caughtUp ?? []),
    }
  } finally {
    await open.close()
    await server.waitForNoConnections()
  }
}

interface HerdOutcome {
  peak: number
  total: number
  lastS: number
  /** The slowest page's time from its new socket opening to its item shown: the catch-up without the backoff. */
  fromSocketMs: number
  /** From listening to the last page's new socket opening: the reconnect backoff's share. */
  lastSocketS: number
  missed: number
}

/**
 * `herdPages` pages (tabs of one context, as bench/catch_up_load.ts's herd), a list each; the app port closes
 * (every socket dropped), an item is written per list while it is down, it listens again. The pages stand for
 * as many users: turbo-cable's tabs of one context would share one connection, so each keeps a socket of its
 * own (OWN_SOCKET_HEAD; recordSeen's wrapped WebSocket would keep them apart too, but only by accident).
 */
async function herdOnce(bench: Bench, browser: Browser, web: BenchWeb, server: NodeServer, variant: Variant): Promise<HerdOutcome> {
  const { herdPages, downMs, catchUpTimeoutMs } = bench.settings.history
  const context = await browser.newContext()
  await context.addInitScript({ content: NAME_SHIM })
  await context.addInitScript(recordSeen)
  try {
    const opened: Array<{ page: Page; list: string }> = []
    // Opened ten at a time: setting up, not measured, and a third of the scenario's time when one by one.
    while (opened.length < herdPages) {
      const batch = Array.from({ length: Math.min(10, herdPages - opened.length) }, () => bench.unique("herd"))
      opened.push(
        ...(await Promise.all(
          batch.map(async (list) => {
            const page = await context.newPage()
            await page.goto(web.liveUrl(variant.page, list, { head: (variant.head ?? "") + OWN_SOCKET_HEAD }))
            return { page, list }
          }),
        )),
      )
    }
    for (const { page } of opened) await waitConnected(page, 1, 30_000)
    await sleep(1_000)
    await server.post("/stop")
    const ids = new Map<string, string>()
    for (const { list } of opened) ids.set(list, `item_${(await server.post<{ id: number }>("/items", { list, text: "written while down" })).id}`)
    await sleep(downMs)
    await server.post("/start")
    const listeningAt = Date.now()
    const shown: number[] = []
    const fromSocket: number[] = []
    const socketOpened: number[] = []
    for (const { page, list } of opened) {
      const at = await page
        .waitForFunction((id) => window.__seen?.[id], ids.get(list)!, { timeout: Math.max(1, listeningAt + catchUpTimeoutMs - Date.now()), polling: 100 })
        .then((handle) => handle.jsonValue() as Promise<number>)
        .catch(() => Infinity)
      shown.push(at - listeningAt)
      const openedAt = await page.evaluate(() => window.__openedAt ?? 0)
      fromSocket.push(openedAt >= listeningAt ? at - openedAt : Infinity)
      socketOpened.push(openedAt >= listeningAt ? openedAt - listeningAt : Infinity)
    }
    await sleep(500)
    const lists = new Set(opened.map(({ list }) => list))
    const requests = web.liveRequests.filter((request) => lists.has(request.list) && request.at >= listeningAt)
    const buckets = new Map<number, number>()
    for (const request of requests) {
      const bucket = Math.floor((request.at - listeningAt) / 100)
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1)
    }
    return {
      peak: Math.max(0, ...buckets.values()),
      total: requests.length,
      lastS: Math.max(...shown) / 1000,
      fromSocketMs: Math.max(...fromSocket),
      lastSocketS: Math.max(...socketOpened) / 1000,
      missed: shown.filter((ms) => ms == Infinity).length,
    }
  } finally {
    await context.close()
    await server.waitForNoConnections(10_000)
  }
}

/** Variant order for run `run`, rotated as clientOrder() rotates the clients. */
function rotated<T>(run: number, items: T[]): T[] {
  const shift = run % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

const median = (values: number[]) => quantile(sortedCopy(values), 0.5)

export async function history(bench: Bench): Promise<ScenarioResult> {
  const settings = bench.settings.history
  const variants = VARIANTS.filter((variant) => bench.clients.includes(variant.client))
  const rows = new Rows("History (AnyCable's extended protocol)")
  const timeoutLabel = `${settings.catchUpTimeoutMs / 1000} s timeout`
  const figure = (protocol: Protocol, what: string) => `${what} (${PROTOCOL_LABEL[protocol]})`
  const text = (protocol: Protocol): Partial<Record<ClientId, string>> =>
    protocol == "ext" ? { "turbo-rails": "n/a (plain only)", floor: "n/a (no reconnect)" } : { anycable: "n/a (no catch-up)", floor: "n/a (no reconnect)" }
  const FIGURES = {
    requests: "dropped line: page requests for the catch-up",
    fromSocket: `dropped line: new socket open to all ${settings.writes} writes shown`,
    herdLastSocket: `deploy herd of ${settings.herdPages}: listening to the last page's new socket open`,
    herdFromSocket: `deploy herd of ${settings.herdPages}: a page's new socket open to its item shown, slowest page`,
    fromKill: `dropped line: drop to all ${settings.writes} writes shown`,
    once: "dropped line: each write shown once, in order",
    bytes: "dropped line: catch-up bytes received (frames + refetch)",
    herdPeak: `deploy herd of ${settings.herdPages}: page requests, peak per 100 ms`,
    herdTotal: `deploy herd of ${settings.herdPages}: page requests in total`,
    herdLast: `deploy herd of ${settings.herdPages}: listening to all pages caught up`,
  }
  for (const protocol of ["ext", "plain"] as const) {
    rows.row(figure(protocol, FIGURES.requests), "count", { text: text(protocol), target: protocol == "ext" ? "0 page requests with history" : undefined })
    rows.row(figure(protocol, FIGURES.fromSocket), "ms", { text: text(protocol), timeoutLabel })
    rows.row(figure(protocol, FIGURES.fromKill), "s", { text: text(protocol), timeoutLabel })
    rows.row(figure(protocol, FIGURES.once), "ok", { text: text(protocol) })
    rows.row(figure(protocol, FIGURES.bytes), "kB", { text: text(protocol) })
  }
  for (const protocol of ["ext", "plain"] as const) {
    rows.row(figure(protocol, FIGURES.herdPeak), "count", { text: text(protocol), target: protocol == "ext" ? "0 page requests with history" : undefined })
    rows.row(figure(protocol, FIGURES.herdTotal), "count", { text: text(protocol) })
    rows.row(figure(protocol, FIGURES.herdLast), "s", { text: text(protocol), timeoutLabel, target: protocol == "ext" ? "all caught up within 1 s" : undefined })
    rows.row(figure(protocol, FIGURES.herdLastSocket), "s", { text: text(protocol), timeoutLabel })
    rows.row(figure(protocol, FIGURES.herdFromSocket), "ms", { text: text(protocol), timeoutLabel })
  }

  // The same harness against a second server process that only speaks plain Action Cable.
  const plainServer = await startNodeServer({ EXTENDED_PROTOCOL: "0" })
  const plainWeb = await BenchWeb.start(plainServer)
  const serving = (variant: Variant) => (variant.protocol == "ext" ? { web: bench.web, server: bench.server } : { web: plainWeb, server: plainServer })
  const strategies = new Set<string>()
  const herdMissed: string[] = []
  try {
    for (let run = 0; run < bench.settings.runs.history; run++) {
      for (const variant of rotated(run, variants)) {
        const { web, server } = serving(variant)
        const outcome = await dropOnce(bench, web, server, variant)
        const name = `${variant.client} (${PROTOCOL_LABEL[variant.protocol]})`
        outcome.strategies.forEach((strategy) => strategies.add(`${name}: ${strategy}`))
        bench.log(
          `dropped line run ${run + 1} ${name}: ${outcome.pageRequests} page requests, all shown ${outcome.fromSocketMs.toFixed(0)} ms after the new socket ` +
            `(${outcome.fromKillS.toFixed(2)} s after the drop), once in order: ${outcome.onceInOrder}, ${outcome.kB.toFixed(1)} kB, caught-up: ${outcome.strategies.join(",") || "-"}`,
        )
        rows.add(figure(variant.protocol, FIGURES.requests), "count", variant.client, run, outcome.pageRequests)
        rows.add(figure(variant.protocol, FIGURES.fromSocket), "ms", variant.client, run, outcome.fromSocketMs)
        rows.add(figure(variant.protocol, FIGURES.fromKill), "s", variant.client, run, outcome.fromKillS)
        rows.add(figure(variant.protocol, FIGURES.once), "ok", variant.client, run, outcome.onceInOrder ? 1 : 0)
        rows.add(figure(variant.protocol, FIGURES.bytes), "kB", variant.client, run, outcome.kB)
      }
      for (const variant of rotated(run, variants)) {
        const { web, server } = serving(variant)
        const outcome = await herdOnce(bench, bench.browser, web, server, variant)
        const name = `${variant.client} (${PROTOCOL_LABEL[variant.protocol]})`
        if (outcome.missed) herdMissed.push(`${name} run ${run + 1}: ${outcome.missed} of ${settings.herdPages}`)
        bench.log(`herd run ${run + 1} ${name}: ${outcome.total} page requests, peak ${outcome.peak}/100 ms, last page caught up ${outcome.lastS.toFixed(2)} s after listening, last socket open ${outcome.lastSocketS.toFixed(2)} s after listening, slowest ${outcome.fromSocketMs.toFixed(0)} ms from its socket open to its item`)
        rows.add(figure(variant.protocol, FIGURES.herdPeak), "count", variant.client, run, outcome.peak)
        rows.add(figure(variant.protocol, FIGURES.herdTotal), "count", variant.client, run, outcome.total)
        rows.add(figure(variant.protocol, FIGURES.herdLast), "s", variant.client, run, outcome.lastS)
        rows.add(figure(variant.protocol, FIGURES.herdLastSocket), "s", variant.client, run, outcome.lastSocketS)
        rows.add(figure(variant.protocol, FIGURES.herdFromSocket), "ms", variant.client, run, outcome.fromSocketMs)
      }
    }
  } finally {
    await plainWeb.close().catch(() => {})
    await plainServer.stop().catch(() => {})
  }

  const turboCable = (name: string) => (rows.row(name, "count").values["turbo-cable"] ?? []).filter((value): value is number => value !== undefined)
  const requests = turboCable(figure("ext", FIGURES.requests))
  if (requests.length) rows.row(figure("ext", FIGURES.requests), "count").met = median(requests) == 0
  const herdPeak = turboCable(figure("ext", FIGURES.herdPeak))
  if (herdPeak.length) rows.row(figure("ext", FIGURES.herdPeak), "count").met = median(herdPeak) == 0
  const herdLast = turboCable(figure("ext", FIGURES.herdLast))
  if (herdLast.length) rows.row(figure("ext", FIGURES.herdLast), "s").met = median(herdLast) <= 1

  return {
    rows: rows.rows,
    notes: [
      `**History.** Rows marked "extended protocol" run against the project's Node server speaking AnyCable's ` +
        `\`actioncable-v1-ext-json\` (session restore, per-stream history with epoch and offset): turbo-cable's ` +
        `script-tag build (which offers it first) and AnyCable's client built with ` +
        `\`createCable({ protocol: "actioncable-v1-ext-json" })\` (bench/clients/anycable_ext.html; ` +
        `@anycable/turbo-stream needs nothing more: @anycable/core asks every subscription's history after a ` +
        `reconnect). Rows marked "plain Action Cable" run against a second server process started with ` +
        `\`EXTENDED_PROTOCOL=0\`: turbo-cable (refetch and morph) and turbo-rails with the refresh workaround users ` +
        `add (turbo-rails#674, \`Turbo.session.refresh\` by morph when its source is connected again; bare ` +
        `turbo-rails never shows a write made while it was away, see Reconnect). turbo-rails offers only the plain ` +
        `protocol, so it has no extended row; AnyCable's client on a plain server does not catch up at all. ` +
        `Pages are the live pages of the other catch-up scenarios, rendered afresh at every request by the bench's ` +
        `web server, which counts them.`,
      `*Dropped line*: once connected, POST /kill (every socket dropped without a close frame, the server up and ` +
        `its sessions restorable), then ${settings.writes} POST /items at once, broadcast to a stream the page is ` +
        `no longer on. "Page requests" are the page's own list's requests the bench web server served from the ` +
        `drop until 0.5 s after the last write showed. Times are on the page's clock, from the drop and from the ` +
        `new socket's \`open\` (the server accepting it) to the last of the writes' <li> inserted. "Once, in ` +
        `order": each write's <li> exactly once in #items, in the order written. Bytes: CDP ` +
        `\`Network.webSocketFrameReceived\` payload lengths (characters; the payloads are ASCII) plus ` +
        `\`Network.loadingFinished\` encodedDataLength of the page's refetch (headers included), from the drop to ` +
        `0.25 s after the last write showed (a ping or two is in every figure). turbo-cable's caught-up events ` +
        `seen: ${[...strategies].join("; ") || "none"}.`,
      `*Deploy herd*: ${settings.herdPages} pages, a list each, as tabs of one browser context per client (what ` +
        `bench/catch_up_load.ts does for its herd; 50 separate contexts are too heavy for this machine's cores), ` +
        `each turbo-cable page with \`<meta name="turbo-cable-share-connection" content="false">\` so that it ` +
        `stands for a user of its own rather than sharing its context's one connection, ` +
        `POST /stop (the app port closed, every socket dropped), one item per list written while it is down, ` +
        `${settings.downMs / 1000} s down, POST /start. The broker (history, sessions) stays in the server's ` +
        `memory across /stop and /start: the state \`BROKER_FILE\` keeps across a process restart. A real process ` +
        `restart is not measured: the test server keeps its lists (what a refetch renders) in memory only, so the ` +
        `plain rows could not catch up from it, and the control API that makes the writes goes down with the ` +
        `process. Page requests per 100 ms from the moment /start answered (peak, and in total); time from then to ` +
        `the last page showing its item, which includes each client's reconnect backoff (the pages were retrying ` +
        `against a closed port); when the last page's new socket opened, the backoff's share; and, per page, from its new socket's \`open\` to its item, the slowest page: the ` +
        `catch-up alone (wall clock in the page; a page whose last socket opened before /start counts as never).` +
        ` Bytes on the dropped line: the history replays each missed broadcast as its own frame, the identifier ` +
        `(with the signed stream name), stream id, epoch and offset beside it, so it costs more than refetching ` +
        `this small live page (a few items); the refetch grows with the page, the replay with what was missed.` +
        (herdMissed.length ? ` Pages that never showed their item within ${settings.catchUpTimeoutMs / 1000} s: ${herdMissed.join("; ")}.` : "") +
        ` AnyCable's times are its default reconnect policy (@anycable/core \`backoffWithJitter(pingInterval)\`: ` +
        `3 s × 2^attempt, up to twice that, ±50 % jitter), so a page that failed once against the closed port ` +
        `may wait up to 18 s for its next try; once its socket opens, its history catch-up takes milliseconds.`,
    ],
  }
}
