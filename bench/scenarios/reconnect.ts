// Reconnect (issue #3): a dead line, a restarted server, a frozen page. For the clients that reconnect
// (the floor does not). Times are on the page's clock, the harness's moments mapped onto it.
import { setTimeout as sleep } from "node:timers/promises"
import type { Page } from "@playwright/test"
import { CLIENTS, clientOrder, type ClientId } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { openPage, pageClock, scriptSource, waitConnected, type BenchPage } from "../support/browser"
import { recordLifecycle, type ProbeEvent } from "../support/probe"
import { Rows } from "../support/results"
import { freezePage, launchFreezableBrowser, resumePage, type FreezableBrowser } from "../../test/support/freezable_browser"

const CONNECTED_STATES = ["connected", "caught-up"]

type ReadEvents = () => Promise<ProbeEvent[]>

function probeEvents(page: Page): ReadEvents {
  return () => page.evaluate(() => window.__probe ?? [])
}

/** Polls the page's records until `match` finds an event after `since`; null after `timeout` ms. */
async function firstEvent(read: ReadEvents, since: number, timeout: number, match: (event: ProbeEvent) => boolean): Promise<ProbeEvent | null> {
  const deadline = Date.now() + timeout
  for (;;) {
    const found = (await read()).find((event) => event.at >= since && match(event))
    if (found) return found
    if (Date.now() > deadline) return null
    await sleep(50)
  }
}

/** Anything a client does when it gives up on a line: its state leaves connected, a source loses `connected`, it closes or replaces its socket. */
function isReaction(event: ProbeEvent): boolean {
  if (event.kind == "state") return !CONNECTED_STATES.includes(event.detail ?? "")
  return ["source-disconnected", "socket-close-called", "socket-closed", "socket-new"].includes(event.kind)
}

async function openLive(bench: Bench, client: ClientId, list: string): Promise<BenchPage> {
  const open = await openPage(bench.browser, [{ fn: recordLifecycle }])
  await open.page.goto(bench.web.liveUrl(client, list))
  await waitConnected(open.page, 1)
  return open
}

const seconds = (ms: number) => ms / 1000

/**
 * A live page in the freezable browser, frozen for `frozenMs` with an item written a third of the way in
 * (and, with `dropSocket`, the server dropping every socket first); ms from resume to the item's <li>.
 */
async function frozenPage(bench: Bench, browser: FreezableBrowser, client: ClientId, dropSocket: boolean): Promise<number> {
  const { frozenMs, resumeTimeoutMs } = bench.settings.reconnect
  const list = bench.unique("frozen")
  const page = await browser.newPage()
  try {
    await page.addInitScript({ content: scriptSource(recordLifecycle) })
    await page.goto(bench.web.liveUrl(client, list))
    await waitConnected(page, 1)
    await sleep(500)
    const clock = await pageClock(page)
    await freezePage(page)
    await sleep(frozenMs / 3)
    if (dropSocket) await bench.server.post("/kill")
    const { id } = await bench.server.post<{ id: number }>("/items", { list, text: "written while frozen" })
    await sleep((2 * frozenMs) / 3)
    const resumeAt = clock.toPage(performance.now())
    // Throws unless the page really was frozen.
    await resumePage(page)
    const item = await firstEvent(probeEvents(page), 0, resumeTimeoutMs, (event) => event.kind == "added" && event.detail == `item_${id}`)
    return item ? Math.max(0, item.at - resumeAt) : Infinity
  } finally {
    await page.close()
    await bench.server.waitForNoConnections()
  }
}

export async function reconnect(bench: Bench): Promise<ScenarioResult> {
  const settings = bench.settings.reconnect
  const clients = bench.clients.filter((id) => CLIENTS[id].reconnects)
  const rows = new Rows("Reconnect (issue #3)")
  const deadLine = "dead line (server SIGSTOPped) noticed after"
  const rejoined = "restart: rejoined, after the server listens again"
  const caughtUp = "restart: write made while down in the DOM, after it listens"
  const resumed = "frozen page: resume to the write made meanwhile in the DOM"
  const resumedDropped = "frozen page, socket dropped meanwhile: resume to the write in the DOM"
  const noReconnect = { floor: "n/a (no reconnect)" }
  rows.row(deadLine, "s", { ratios: ["turbo-rails"], target: "< 6.5 s (turbo-rails 7–11 s)", timeoutLabel: `${seconds(settings.deadLineTimeoutMs)} s timeout`, text: noReconnect })
  rows.row(rejoined, "s", { ratios: ["turbo-rails"], timeoutLabel: `${seconds(settings.catchUpTimeoutMs)} s timeout`, text: noReconnect })
  rows.row(caughtUp, "s", { target: "< 1.5 s", timeoutLabel: `${seconds(settings.catchUpTimeoutMs)} s timeout`, text: noReconnect })
  rows.row(resumed, "s", { target: "< 1 s", timeoutLabel: `${seconds(settings.resumeTimeoutMs)} s timeout`, text: noReconnect })
  rows.row(resumedDropped, "s", { timeoutLabel: `${seconds(settings.resumeTimeoutMs)} s timeout`, text: noReconnect })
  const signals = new Set<string>()

  for (let run = 0; run < bench.settings.runs.reconnect; run++) {
    // (a) A dead line: the server process stopped dead, no pings, no FIN, right after a ping reached the page.
    for (const client of clientOrder(run, clients)) {
      const open = await openPage(bench.browser, [{ fn: recordLifecycle }])
      const pinged: Array<() => void> = []
      open.page.on("websocket", (socket) => {
        socket.on("framereceived", ({ payload }) => {
          if (String(payload).startsWith('{"type":"ping"')) pinged.splice(0).forEach((resolve) => resolve())
        })
      })
      try {
        await open.page.goto(bench.web.liveUrl(client, bench.unique("dead")))
        await waitConnected(open.page, 1)
        const clock = await pageClock(open.page)
        await new Promise<void>((resolve) => pinged.push(resolve))
        const frozenAt = clock.toPage(performance.now())
        bench.server.freeze()
        let reaction: ProbeEvent | null
        try {
          reaction = await firstEvent(probeEvents(open.page), frozenAt, settings.deadLineTimeoutMs, isReaction)
        } finally {
          bench.server.thaw()
        }
        const noticed = reaction ? reaction.at - frozenAt : Infinity
        const signal = reaction ? `${reaction.kind}${reaction.detail ? ` ${reaction.detail}` : ""}` : "none"
        signals.add(`${client}: ${signal}`)
        bench.log(`dead line run ${run + 1} ${client}: noticed after ${seconds(noticed).toFixed(2)} s (${signal})`)
        rows.add(deadLine, "s", client, run, seconds(noticed))
      } finally {
        await open.close()
        await bench.server.waitForNoConnections()
      }
    }

    // (b) A restart: the app port closes, an item is written while it is down, it listens again.
    for (const client of clientOrder(run, clients)) {
      const list = bench.unique("restart")
      await bench.server.post("/items", { list, text: "before" })
      const open = await openLive(bench, client, list)
      try {
        await sleep(500)
        await bench.server.post("/stop")
        await sleep(300)
        const { id } = await bench.server.post<{ id: number }>("/items", { list, text: "written while down" })
        await sleep(settings.downMs - 300)
        const clock = await pageClock(open.page)
        await bench.server.post("/start")
        const listeningAt = clock.toPage(performance.now())
        const item = await firstEvent(probeEvents(open.page), listeningAt, settings.catchUpTimeoutMs, (event) => event.kind == "added" && event.detail == `item_${id}`)
        const back = (await probeEvents(open.page)()).find((event) => event.at >= listeningAt && event.kind == "source-connected")
        const shown = item ? item.at - listeningAt : Infinity
        const rejoinedAfter = back ? back.at - listeningAt : Infinity
        bench.log(`restart run ${run + 1} ${client}: rejoined after ${seconds(rejoinedAfter).toFixed(2)} s, write shown after ${seconds(shown).toFixed(2)} s`)
        rows.add(rejoined, "s", client, run, seconds(rejoinedAfter))
        rows.add(caughtUp, "s", client, run, seconds(shown))
      } finally {
        await bench.server.post("/start")
        await open.close()
        await bench.server.waitForNoConnections()
      }
    }

    // (c) A frozen page (Page Lifecycle freeze, as a background tab or a phone does); a write meanwhile.
    // (d) The same, but the server also drops the socket while the page is frozen.
    const freezable = await launchFreezableBrowser()
    try {
      for (const [figure, dropSocket] of [[resumed, false], [resumedDropped, true]] as const) {
        for (const client of clientOrder(run, clients)) {
          const shown = await frozenPage(bench, freezable, client, dropSocket)
          bench.log(`frozen page${dropSocket ? ", socket dropped," : ""} run ${run + 1} ${client}: write shown ${seconds(shown).toFixed(2)} s after resume`)
          rows.add(figure, "s", client, run, seconds(shown))
        }
      }
    } finally {
      await freezable.close()
    }
  }

  const median = (figure: string, client: ClientId) => {
    const values = (rows.row(figure, "s").values[client] ?? []).filter((value): value is number => value !== undefined).sort((a, b) => a - b)
    return values.length ? values[Math.floor((values.length - 1) / 2)] : undefined
  }
  const deadLineRow = rows.row(deadLine, "s")
  const deadLineMedian = median(deadLine, "turbo-cable")
  if (deadLineMedian !== undefined) deadLineRow.met = deadLineMedian < 6.5
  const caughtUpMedian = median(caughtUp, "turbo-cable")
  if (caughtUpMedian !== undefined) rows.row(caughtUp, "s").met = caughtUpMedian < 1.5
  const resumedMedian = median(resumed, "turbo-cable")
  if (resumedMedian !== undefined) rows.row(resumed, "s").met = resumedMedian < 1

  return {
    rows: rows.rows,
    notes: [
      `**Reconnect.** Each client's page is a server-rendered list (like the test server's /test/live/<list>, ` +
        `rendered afresh at every request, with \`<meta name="turbo-cable-catch-up" content="morph">\`). An init ` +
        `script records socket lifecycles, \`connected\`, \`data-turbo-cable-state\` and inserted ids with ` +
        `performance.now(); the harness's moments (SIGSTOP sent, /start answered, resume sent) are mapped onto ` +
        `the page's clock through the quickest of seven round trips (error ≤ a few ms).`,
      `(a) *Dead line*: once \`connected\`, the server process gets SIGSTOP right after a ping reaches the page ` +
        `(its sockets stay open: no pings, no FIN), so every client is measured from the same point of the 3 s ` +
        `ping cycle: the freeze starts with the last frame, the longest case (a freeze just before a ping is ` +
        `noticed up to 3 s sooner). ` +
        `"Noticed" is the first of: the state leaves connected/caught-up, a source loses \`connected\`, the ` +
        `client closes its socket or opens a new one. Then SIGCONT. Signals seen: ` +
        `${[...signals].join("; ")}.`,
      `(b) *Restart*: POST /stop (listener closed, sockets dropped), POST /items while down (its broadcast ` +
        `reaches nobody), ${seconds(settings.downMs)} s down in all, POST /start; times from /start's answer ` +
        `(the server listens just before it) to the first source \`connected\` again and to the written item's ` +
        `<li> in the DOM.`,
      `(c) *Frozen page*: CDP \`Page.setWebLifecycleState\` frozen for ${seconds(settings.frozenMs)} s, an item ` +
        `written (and broadcast) a third of the way in, then active; time from resume to its <li>. Observed in ` +
        `this Chromium: the server keeps the socket through the freeze and the broadcast goes out on it, but at ` +
        `resume the page's socket is reported closed and the message never reaches the page, so only a client ` +
        `that catches up shows the write. ` +
        `(d) is the same with POST /kill (every socket dropped, no close frame) just before the write, as when a ` +
        `phone's radio goes down under a frozen tab. These two run in the tests' freezable Chromium ` +
        `(test/support/freezable_browser.ts), which Playwright attaches to without focus emulation: a page under ` +
        `focus emulation is never hidden, so \`Page.setWebLifecycleState\` frozen does nothing there (no freeze ` +
        `event, timers keep running). The harness checks that each page was hidden and got its freeze and resume ` +
        `events, and shows the page again at resume, as a user coming back to the tab does.`,
    ],
  }
}
