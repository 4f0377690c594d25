// Many streams: a server-rendered page with 200 sources, each for its own stream. Time from navigation
// start to all `connected`, and the frames on the wire until then (pings left out).
import { setTimeout as sleep } from "node:timers/promises"
import type { WebSocket } from "@playwright/test"
import { clientOrder } from "../clients"
import type { Bench, ScenarioResult } from "../support/bench"
import { openPage } from "../support/browser"
import { recordAllConnected } from "../support/probe"
import { Rows } from "../support/results"
import { OWN_SOCKET_HEAD } from "../support/web"

const CONNECT_TIMEOUT_MS = 30_000
const SETTLE_MS = 500

interface Wire {
  sockets: number
  sent: number
  received: number
}

function isPing(payload: string | Buffer): boolean {
  return String(payload).startsWith('{"type":"ping"')
}

export async function manyStreams(bench: Bench): Promise<ScenarioResult> {
  const count = bench.settings.manyStreams.sources
  const rows = new Rows(`Many streams: a page with ${count} sources`)
  for (let run = 0; run < bench.settings.runs.many_streams; run++) {
    for (const client of clientOrder(run, bench.clients)) {
      const streams = Array.from({ length: count }, () => bench.unique("many"))
      const signed = await bench.server.signAll(streams)
      const open = await openPage(bench.browser, [{ fn: recordAllConnected, arg: count }])
      const wire: Wire = { sockets: 0, sent: 0, received: 0 }
      open.page.on("websocket", (socket: WebSocket) => {
        wire.sockets++
        socket.on("framesent", () => void (wire.sent += 1))
        socket.on("framereceived", ({ payload }) => void (wire.received += isPing(payload) ? 0 : 1))
      })
      try {
        // Frames are counted on the page's sockets (Playwright's `websocket` event), which a shared worker's
        // socket is not: turbo-cable's page keeps one of its own, as before tabs shared a connection.
        await open.page.goto(bench.web.pageUrl(client, { sources: signed, head: OWN_SOCKET_HEAD }))
        const handle = await open.page.waitForFunction(() => window.__allConnectedAt, undefined, { timeout: CONNECT_TIMEOUT_MS, polling: 20 })
        const connectedAt = (await handle.jsonValue()) as number
        await sleep(SETTLE_MS) // frames still in flight when the last source connected
        const serverSide = await bench.server.subscriptions()
        bench.log(`many streams run ${run + 1} ${client}: all ${count} connected at ${connectedAt.toFixed(0)} ms, ${wire.sockets} socket(s), ${wire.sent} sent / ${wire.received} received, ${serverSide} server subscriptions`)
        rows.add("navigation start to all connected", "ms", client, run, connectedAt, { ratios: ["floor", "turbo-rails"] })
        rows.add("frames sent", "count", client, run, wire.sent)
        rows.add("frames received (pings left out)", "count", client, run, wire.received)
        rows.add("sockets opened", "count", client, run, wire.sockets)
        rows.add(`server holds ${count} subscriptions`, "ok", client, run, serverSide == count ? 1 : 0)
      } finally {
        await open.close()
        await bench.server.waitForNoConnections()
      }
    }
  }
  return {
    rows: rows.rows,
    notes: [
      `**Many streams.** The page is served with ${count} \`<turbo-cable-stream-source>\` elements, each for its own ` +
        `signed stream. An init script (running before any client script) stamps the moment all ${count} carry ` +
        `\`connected\`; the time is the page's performance.now(), i.e. from navigation start, so it includes loading ` +
        `and running the client's script. Frames are counted on every socket of the page from the first until ` +
        `${SETTLE_MS} ms after that moment, pings left out. turbo-cable's page keeps a socket of its own ` +
        `(\`<meta name="turbo-cable-share-connection" content="false">\`): a shared worker's socket is not the page's, ` +
        `and Playwright does not report its frames.`,
    ],
  }
}
