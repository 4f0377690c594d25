// Reconnect figures in every engine (issue 10): Chromium, Firefox and WebKit through the test drivers
// (test/engines/driver), turbo-cable beside turbo-rails, against the project's Node Action Cable server.
//
//   npm run bench:engines [-- --engines firefox,webkit --clients turbo-cable --outage 40 --label before]
//
// turbo-cable's page is the test server's own /test/live/<list> (page and cable on one origin, as a Rails
// app serves them); turbo-rails' is the bench page (bench/clients/turbo_rails.html) on the bench's server.
// One run per cell: these are seconds-scale figures whose spread comes from the clients' own jitter.
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

type Client = "turbo-cable" | "turbo-rails"
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? process.argv[at + 1] : fallback
}
const engines = arg("engines", "chromium,firefox,webkit").split(",") as EngineName[]
const clients = arg("clients", "turbo-cable,turbo-rails").split(",") as Client[]
const outageSeconds = Number(arg("outage", "40"))
const label = arg("label", "")
/** How long a client gets to show a missed write before it counts as never. */
const NEVER_AFTER = 20_000

interface Figures {
  engine: EngineName
  client: Client
  deadLineNoticed: number | null
  restartRejoined: number | null
  restartShown: number | null
  outageRejoined: number | null
  outageShown: number | null
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

let lists = 0
async function open(page: EnginePage, server: NodeServer, web: BenchWeb, client: Client): Promise<string> {
  const list = `engines-${Date.now()}-${lists++}`
  await page.goto(client == "turbo-cable" ? `${server.app}/test/live/${list}` : web.liveUrl("turbo-rails", list))
  if ((await pollPage(page, connected, 15_000)) === null) throw new Error(`${client} did not connect`)
  await sleep(500)
  return list
}

/** Server down for `downMs` with a write meanwhile; ms from listening again to rejoined and to the write shown. */
async function outage(page: EnginePage, server: NodeServer, list: string, downMs: number) {
  await server.post("/stop")
  const stoppedAt = Date.now()
  // Rejoined means connected again after the page saw the line go.
  const lost = (await pollPage(page, disconnected, downMs)) !== null
  await sleep(Math.max(0, downMs - (Date.now() - stoppedAt)))
  const text = `written while down ${Date.now()}`
  await server.post("/items", { list, text })
  await server.post("/start")
  const listeningAt = Date.now()
  const isShown = shown(text)
  let rejoined: number | null = null
  let shownAfter: number | null = null
  while (Date.now() - listeningAt < NEVER_AFTER && (shownAfter === null || rejoined === null)) {
    const now = Date.now()
    if (rejoined === null && lost && (await page.evaluate(connected))) rejoined = now - listeningAt
    if (shownAfter === null && (await page.evaluate(isShown))) shownAfter = now - listeningAt
    await sleep(25)
  }
  return { rejoined, shown: shownAfter }
}

async function measure(browser: EngineBrowser, server: NodeServer, web: BenchWeb, client: Client): Promise<Figures> {
  const { page } = browser
  const figures: Figures = { engine: browser.engine, client, deadLineNoticed: null, restartRejoined: null, restartShown: null, outageRejoined: null, outageShown: null, wakeShown: null }

  let list = await open(page, server, web, client)
  const frozenAt = Date.now()
  server.freeze()
  try {
    const noticedAt = await pollPage(page, disconnected, 30_000)
    figures.deadLineNoticed = noticedAt && noticedAt - frozenAt
  } finally {
    server.thaw()
  }

  list = await open(page, server, web, client)
  const restart = await outage(page, server, list, 500)
  figures.restartRejoined = restart.rejoined
  figures.restartShown = restart.shown

  list = await open(page, server, web, client)
  const long = await outage(page, server, list, outageSeconds * 1000)
  figures.outageRejoined = long.rejoined
  figures.outageShown = long.shown

  // The laptop lid: every process of the browser stopped while the server restarts and a write lands.
  list = await open(page, server, web, client)
  const pids = browser.pids()
  const text = `written while asleep ${Date.now()}`
  signal(pids, "SIGSTOP")
  let wokeAt = 0
  try {
    await server.post("/stop")
    await server.post("/items", { list, text })
    await server.post("/start")
    await sleep(3_000)
  } finally {
    wokeAt = Date.now()
    signal(pids, "SIGCONT")
  }
  const shownAt = await pollPage(page, shown(text), NEVER_AFTER)
  figures.wakeShown = shownAt && shownAt - wokeAt
  return figures
}

const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`)

function table(rows: Figures[]): string {
  const lines = [
    `| engine | client | dead line noticed | restart: rejoined / write shown | ${outageSeconds} s outage: rejoined / write shown | wake: write shown |`,
    "|---|---|---|---|---|---|",
  ]
  for (const row of rows) {
    lines.push(
      `| ${row.engine} | ${row.client} | ${seconds(row.deadLineNoticed)} | ${seconds(row.restartRejoined)} / ${seconds(row.restartShown)} | ` +
        `${seconds(row.outageRejoined)} / ${seconds(row.outageShown)} | ${seconds(row.wakeShown)} |`,
    )
  }
  return lines.join("\n")
}

async function main() {
  await buildPageBundles()
  const server = await startNodeServer()
  const web = await BenchWeb.start(server)
  const rows: Figures[] = []
  const started = Date.now()
  try {
    for (const engine of engines) {
      const browser = await launchEngine(engine)
      try {
        for (const client of clients) {
          const figures = await measure(browser, server, web, client)
          console.log(JSON.stringify(figures))
          rows.push(figures)
        }
      } finally {
        await browser.close()
      }
    }
  } finally {
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
    `Dead line: the server process SIGSTOPped, until the page's sources lose \`connected\`. Restart and outage: the server ` +
    `stops listening, a write lands, it listens again; ms from listening to the page's sources connected again and to the ` +
    `write on screen ("never" = not within ${NEVER_AFTER / 1000} s). Wake: every process of the browser SIGSTOPped while the server ` +
    `restarts and a write lands, SIGCONT 3 s later; until the write is on screen.`
  )
}

await main()
