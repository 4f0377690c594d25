// Reconnect figures in every engine (issues 10, 22): Chromium, Firefox and WebKit through the test drivers
// (test/engines/driver), turbo-cable beside turbo-rails and AnyCable's client, against the project's Node
// Action Cable server. The clients' pages are open at once, each in a browser of its own, and live through
// the same outages together: a dead line, a restart, outages of 10 s, 40 s and 5 minutes, a sleeping laptop.
//
//   npm run bench:engines [-- --engines firefox,webkit --clients turbo-cable --outages 10,40 --label before]
//
// turbo-cable's page is the test server's own /test/live/<list> (page and cable on one origin, as a Rails
// app serves them), reached through a relay that notes its requests (test/support/relay.ts); the others'
// are the bench pages (bench/clients/) on the bench's server. One run per cell: these are seconds-scale
// figures whose spread comes from the clients' own jitter.
// Writes the table into bench/RESULTS.md between the engines markers (bench/run.ts keeps that section).
import { readFile, writeFile } from "node:fs/promises"
import { resolve } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import type { EngineBrowser, EngineName, EnginePage } from "../test/engines/driver/engine"
import { launchEngine } from "../test/engines/driver/launch"
import { signal } from "../test/engines/driver/processes"
import { BENCH_ROOT, buildPageBundles } from "./support/bundles"
import { startNodeServer, type NodeServer } from "../test/support/node_server"
import { withSection } from "./support/kept_sections"
import { BenchWeb } from "./support/web"
import { startRelay, timesAsked, type Relay } from "../test/support/relay"

type Client = "turbo-cable" | "turbo-rails" | "anycable"
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? process.argv[at + 1] : fallback
}
const engines = arg("engines", "chromium,firefox,webkit").split(",") as EngineName[]
const clients = arg("clients", "turbo-cable,turbo-rails,anycable").split(",") as Client[]
/** The outages measured (seconds), each once, every client at the same time. */
const outages = arg("outages", "10,40,300").split(",").map(Number)
const label = arg("label", "")
/** How long a client gets to show a missed write before it counts as never. */
const NEVER_AFTER = 20_000

/** A client's figures in one engine (ms; null = never). */
interface Figures {
  engine: EngineName
  client: Client
  deadLineNoticed: number | null
  restartRejoined: number | null
  restartShown: number | null
  /** Per outage length (s): from listening to rejoined and to the write shown. */
  outages: Record<number, { rejoined: number | null; shown: number | null }>
  /** turbo-cable: its requests to the cable's URL per minute while the server was down, per outage length (s). */
  probesPerMinute: Record<number, number>
  wakeShown: number | null
}

async function pollPage<T>(page: EnginePage, fn: () => T, timeout: number): Promise<number | null> {
  const started = Date.now()
  while (Date.now() - started < timeout) {
    if (await page.evaluate(fn)) return Date.now()
    await sleep(25)
  }
  return null
}

const connected = () => document.querySelectorAll("turbo-cable-stream-source[connected]").length > 0
const disconnected = () => document.querySelectorAll("turbo-cable-stream-source[connected]").length == 0

function shown(text: string): () => boolean {
  // The function's source is sent to the page: the text goes in as a literal.
  return new Function(`return [...document.querySelectorAll("#items li")].some((li) => li.textContent.trim() == ${JSON.stringify(text)})`) as () => boolean
}

/** A client's page, live on its own list. */
interface Live {
  client: Client
  page: EnginePage
  list: string
}

let lists = 0
/**
 * Opens each client's live page, in its own browser. turbo-cable's is the test server's own page reached
 * through `relay` (page and cable on one origin, as a Rails app serves them, and every request it makes noted).
 */
async function openAll(browsers: EngineBrowser[], relay: Relay, web: BenchWeb): Promise<Live[]> {
  const live: Live[] = []
  for (const [i, client] of clients.entries()) {
    const { page, engine } = browsers[i]!
    const list = `engines-${Date.now()}-${lists++}`
    const url = client == "turbo-cable" ? `${relay.url}/test/live/${list}` : web.liveUrl(client, list)
    // Right after an outage a pooled connection through the relay may be one its server had closed: load again.
    await page.goto(url).catch(() => sleep(500).then(() => page.goto(url)))
    if ((await pollPage(page, connected, 15_000)) === null) throw new Error(`${client} did not connect in ${engine}`)
    live.push({ client, page, list })
  }
  await sleep(500)
  return live
}

/**
 * The server down for `downMs` with a write to each list meanwhile; per client, ms from listening again to
 * rejoined and to the write shown; and turbo-cable's requests through the relay while the server was down.
 */
async function outage(live: Live[], server: NodeServer, relay: Relay, downMs: number) {
  await server.post("/stop")
  const stoppedAt = Date.now()
  // Rejoined means connected again after the page saw the line go.
  const lost = await Promise.all(live.map(async ({ page }) => (await pollPage(page, disconnected, Math.min(downMs, 10_000))) !== null))
  await sleep(Math.max(0, downMs - (Date.now() - stoppedAt)))
  const texts = live.map(({ client }) => `written while down ${client} ${Date.now()}`)
  for (const [i, { list }] of live.entries()) await server.post("/items", { list, text: texts[i] })
  const asked = relay.requests.filter((request) => request.at > stoppedAt)
  await server.post("/start")
  const listeningAt = Date.now()
  const figures = live.map(() => ({ rejoined: null as number | null, shown: null as number | null }))
  while (Date.now() - listeningAt < NEVER_AFTER && figures.some((f) => f.shown === null || f.rejoined === null)) {
    for (const [i, { page }] of live.entries()) {
      const now = Date.now()
      if (figures[i]!.rejoined === null && lost[i] && (await page.evaluate(connected))) figures[i]!.rejoined = now - listeningAt
      if (figures[i]!.shown === null && (await page.evaluate(shown(texts[i]!)))) figures[i]!.shown = now - listeningAt
    }
    await sleep(25)
  }
  return { figures, probesPerMinute: (timesAsked(asked, "/cable") * 60_000) / (listeningAt - stoppedAt) }
}

/**
 * Every client in a browser of its own, all at once: one browser's clients would wait on each other (Firefox
 * lets one WebSocket per host connect at a time, and delays one to an endpoint whose connects failed: after
 * 5 minutes of another client's failed attempts, a socket of turbo-cable's would wait behind them).
 */
async function measure(browsers: EngineBrowser[], server: NodeServer, relay: Relay, web: BenchWeb): Promise<Figures[]> {
  const rows: Figures[] = clients.map((client) => ({
    engine: browsers[0]!.engine,
    client,
    deadLineNoticed: null,
    restartRejoined: null,
    restartShown: null,
    outages: {},
    probesPerMinute: {},
    wakeShown: null,
  }))

  let live = await openAll(browsers, relay, web)
  const frozenAt = Date.now()
  server.freeze()
  try {
    await Promise.all(
      live.map(async ({ page }, i) => {
        const noticedAt = await pollPage(page, disconnected, 30_000)
        rows[i]!.deadLineNoticed = noticedAt && noticedAt - frozenAt
      }),
    )
  } finally {
    server.thaw()
  }

  live = await openAll(browsers, relay, web)
  const restart = await outage(live, server, relay, 500)
  restart.figures.forEach((f, i) => Object.assign(rows[i]!, { restartRejoined: f.rejoined, restartShown: f.shown }))

  for (const seconds of outages) {
    live = await openAll(browsers, relay, web)
    const long = await outage(live, server, relay, seconds * 1000)
    long.figures.forEach((f, i) => (rows[i]!.outages[seconds] = f))
    const cable = rows.find((row) => row.client == "turbo-cable")
    if (cable) cable.probesPerMinute[seconds] = long.probesPerMinute
    console.log(`${browsers[0]!.engine}: ${seconds} s outage: ${JSON.stringify(long)}`)
  }

  // The laptop lid: every process of the browser stopped while the server restarts and a write lands.
  live = await openAll(browsers, relay, web)
  const pids = browsers.flatMap((browser) => browser.pids())
  const texts = live.map(({ client }) => `written while asleep ${client} ${Date.now()}`)
  signal(pids, "SIGSTOP")
  let wokeAt = 0
  try {
    await server.post("/stop")
    for (const [i, { list }] of live.entries()) await server.post("/items", { list, text: texts[i] })
    await server.post("/start")
    await sleep(3_000)
  } finally {
    wokeAt = Date.now()
    signal(pids, "SIGCONT")
  }
  await Promise.all(
    live.map(async ({ page }, i) => {
      const shownAt = await pollPage(page, shown(texts[i]!), NEVER_AFTER)
      rows[i]!.wakeShown = shownAt && shownAt - wokeAt
    }),
  )
  return rows
}

const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`)
const CLIENT_LABELS: Record<Client, string> = { "turbo-cable": "turbo-cable", "turbo-rails": "turbo-rails", anycable: "AnyCable" }

function table(rows: Figures[]): string {
  const lengths = outages.map((s) => (s % 60 == 0 && s >= 60 ? `${s / 60} min` : `${s} s`))
  const lines = [
    `| engine | client | dead line noticed | restart: rejoined / write shown | ${lengths.map((l) => `${l} outage: rejoined / write shown`).join(" | ")} | requests a minute while down (${lengths.join(", ")}) | wake: write shown |`,
    `|---|---|---|---|${outages.map(() => "---|").join("")}---|---|`,
  ]
  for (const row of rows) {
    const probes = row.client == "turbo-cable" ? outages.map((s) => (row.probesPerMinute[s] ?? 0).toFixed(0)).join(", ") : "(socket attempts)"
    lines.push(
      `| ${row.engine} | ${CLIENT_LABELS[row.client]} | ${seconds(row.deadLineNoticed)} | ${seconds(row.restartRejoined)} / ${seconds(row.restartShown)} | ` +
        `${outages.map((s) => `${seconds(row.outages[s]?.rejoined ?? null)} / ${seconds(row.outages[s]?.shown ?? null)}`).join(" | ")} | ${probes} | ${seconds(row.wakeShown)} |`,
    )
  }
  return lines.join("\n")
}

async function main() {
  await buildPageBundles()
  const server = await startNodeServer()
  const web = await BenchWeb.start(server)
  const relay = await startRelay(Number(new URL(server.app).port))
  const rows: Figures[] = []
  const started = Date.now()
  try {
    for (const engine of engines) {
      const browsers: EngineBrowser[] = []
      try {
        for (const _ of clients) browsers.push(await launchEngine(engine))
        const figures = await measure(browsers, server, relay, web)
        for (const row of figures) console.log(JSON.stringify(row))
        rows.push(...figures)
      } finally {
        for (const browser of browsers) await browser.close()
      }
    }
  } finally {
    await relay.close()
    await web.close()
    await server.stop()
  }
  const markdown = table(rows)
  console.log(markdown)
  const file = resolve(BENCH_ROOT, "RESULTS.md")
  const results = await readFile(file, "utf8")
  await writeFile(file, withSection(results, "engines", `## Reconnect in every engine${label ? ` (${label})` : ""}\n\n${describe(started)}\n\n${markdown}`))
}

function describe(started: number): string {
  return (
    `Written by \`npm run bench:engines\` (bench/engines.ts) on ${new Date().toISOString().slice(0, 19)}Z in ${Math.round((Date.now() - started) / 1000)} s; ` +
    `one run per cell. Chromium 156 (Debian, Playwright), Firefox ESR 153 (puppeteer-core, WebDriver BiDi), WebKitGTK 2.50 ` +
    `(WebKitWebDriver + MiniBrowser under Xvfb), against the project's Node Action Cable server (pings every 3 s). ` +
    `The clients' pages are open at once, each in a browser of its own, and live through each fault together. ` +
    `Dead line: the server process SIGSTOPped, until the page's sources lose \`connected\`. Restart (0.5 s) and outages: the server ` +
    `stops listening, a write lands, it listens again; from listening to the page's sources connected again and to the ` +
    `write on screen ("never" = not within ${NEVER_AFTER / 1000} s). Requests a minute while down: turbo-cable's requests to the ` +
    `cable's URL while the server was down, through its relay (a retry the browser makes within 100 ms counted once). ` +
    `Wake: every process of the browser SIGSTOPped while the server restarts and a write lands, SIGCONT 3 s later; until the write is on screen.`
  )
}

await main()
