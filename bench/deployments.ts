// First connect in each deployment (issue 20), in Chromium, Firefox and WebKit through the test drivers: the
// deployments test/support/deployments.ts builds (the script-tag file copied alone, the same digested, Vite and
// webpack builds from the packed tarball, esbuild and importmap-rails on Propshaft-style digests), each page with
// the identity tag, against the project's Node Action Cable server. Per cell: from the navigation's start to the
// page's source `connected` (performance.now() in the page), for the first tab (no worker running yet) and for a
// second tab joining the first one's connection; median of the runs.
//
//   npm run bench:deployments [-- --engines chromium --runs 5]
import type { EngineName, EnginePage } from "../test/engines/driver/engine"
import { launchEngine } from "../test/engines/driver/launch"
import { DEPLOYMENTS, ensureDeployments, pageFor, type Deployment } from "../test/support/deployments"
import { startNodeServer } from "../test/support/node_server"
import { setTimeout as sleep } from "node:timers/promises"
import { summarize } from "./support/stats"

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? process.argv[at + 1] : fallback
}
const engines = arg("engines", "chromium,firefox,webkit").split(",") as EngineName[]
const runs = Number(arg("runs", "5"))

async function connectedAt(page: EnginePage): Promise<number> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    // Not connected yet reads as undefined, or as null through WebKitWebDriver.
    const at = await page.evaluate(() => (window as any).__connectedAt as number | undefined)
    if (typeof at == "number") return at
    await sleep(25)
  }
  throw new Error("not connected within 10 s")
}

await ensureDeployments()
const server = await startNodeServer()
const table: Array<{ engine: EngineName; deployment: Deployment; first: number; second: number }> = []
try {
  for (const engine of engines) {
    const browser = await launchEngine(engine)
    try {
      for (const deployment of DEPLOYMENTS) {
        const first: number[] = []
        const second: number[] = []
        for (let run = 0; run < runs; run++) {
          const list = `deploy-${engine}-${deployment}-${run}`
          const url = `${server.app}${pageFor(deployment, await server.sign(list), list)}`
          const pages = [await browser.newPage(), await browser.newPage()]
          await pages[0].goto(url)
          first.push(await connectedAt(pages[0]))
          await pages[1].goto(url)
          second.push(await connectedAt(pages[1]))
          for (const page of pages) await page.close()
          await server.waitForNoConnections()
          // The worker of the last tab ends with it: the next run's first tab starts a new one.
          await sleep(300)
        }
        const row = { engine, deployment, first: summarize(first)!.median, second: summarize(second)!.median }
        console.log(`${engine} ${deployment}: first tab ${row.first.toFixed(0)} ms, second tab ${row.second.toFixed(0)} ms (${first.map(Math.round).join(", ")} / ${second.map(Math.round).join(", ")})`)
        table.push(row)
      }
    } finally {
      await browser.close()
    }
  }
} finally {
  await server.stop()
}

console.log(`\n| deployment | ${engines.join(" | ")} |\n|---|${engines.map(() => "---").join("|")}|`)
for (const deployment of DEPLOYMENTS) {
  const cells = engines.map((engine) => table.find((row) => row.engine == engine && row.deployment == deployment)!)
  console.log(`| ${deployment} | ${cells.map(({ first, second }) => `${first.toFixed(0)} / ${second.toFixed(0)} ms`).join(" | ")} |`)
}
console.log(`\nfirst tab / second tab: navigation start to its source connected, median of ${runs} runs`)
