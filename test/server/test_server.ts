// The server the browser tests spawn: `tsx test/server/test_server.ts`.
//
// Two HTTP servers on 127.0.0.1:
//   app     — what the browser talks to: /cable, static files, /test/live/<list>, /test/cached/<list>
//             (app_routes.ts)
//   control — JSON API the tests use to drive the app server (broadcast, stop, start, shed, tokens, ...)
//             (control_routes.ts)
// Prints exactly one line to stdout once both listen: READY {"app":<port>,"control":<port>}
// Nothing else goes to stdout, and logs go to stderr only with CABLE_LOG=1: a spawner that
// stops reading a pipe would otherwise block this process on a full pipe.
//
// Env: APP_PORT, CONTROL_PORT (default 0 = any), CABLE_SECRET (default "test-secret"),
//      REQUIRE_COOKIE (only `session=<non-empty>` cookies may connect), PING_INTERVAL_MS,
//      CABLE_LOG.
// AnyCable's extended protocol (on unless EXTENDED_PROTOCOL=0): PREFER_PLAIN_PROTOCOL=1 (as anycable-go
//      1.5 when a client offers both), BROKER_FILE (history and sessions outlive the process; the next
//      process with the same file keeps the epoch), HISTORY_LIMIT, HISTORY_TTL, SESSION_TTL,
//      PRESENCE_TTL (seconds), PONG_TIMEOUT_MS. `$pubsub` serves public streams.

import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { CableServer } from "../../demo/server/cable_server"
import { PROTOCOL } from "../../demo/server/protocol"
import { AppRoutes } from "./app_routes"
import { authenticator, Tokens } from "./authentication"
import { ControlRoutes } from "./control_routes"
import { closeServer, listen, parsePort } from "./http"
import { LiveLists } from "./live_lists"

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const env = process.env
const secret = env.CABLE_SECRET || "test-secret"

/** A number from the environment, or undefined when unset. */
function envNumber(name: string): number | undefined {
  const value = env[name]
  if (value === undefined || value === "") return undefined
  const number = Number(value)
  if (!Number.isFinite(number) || number < 0) throw new Error(`${name} must be a non-negative number`)
  return number
}

/** An app channel beside the streams, as an app's ChatChannel: `{channel: "EchoChannel", room}` follows
 *  `echo:<room>` (room "forbidden" is rejected); `perform("speak", {text})` broadcasts `{text, from}` to it. */
const ECHO_CHANNEL = "EchoChannel"

const tokens = new Tokens()
const cable = new CableServer({
  secret,
  path: PROTOCOL.defaultPath,
  pingIntervalMs: env.PING_INTERVAL_MS ? Number(env.PING_INTERVAL_MS) : undefined,
  authenticate: authenticator(tokens, Boolean(env.REQUIRE_COOKIE)),
  extendedProtocol: env.EXTENDED_PROTOCOL !== "0",
  preferPlainProtocol: env.PREFER_PLAIN_PROTOCOL === "1",
  broker: {
    file: env.BROKER_FILE || undefined,
    history: { limit: envNumber("HISTORY_LIMIT"), ttlSeconds: envNumber("HISTORY_TTL") },
    sessionTtlSeconds: envNumber("SESSION_TTL"),
  },
  presenceTtlSeconds: envNumber("PRESENCE_TTL"),
  pongTimeoutMs: envNumber("PONG_TIMEOUT_MS"),
  pubsub: { public: true },
  channels: {
    [ECHO_CHANNEL]: ({ room }) => (typeof room === "string" && room !== "" && room !== "forbidden" ? `echo:${room}` : null),
  },
  log: env.CABLE_LOG ? (line: string) => process.stderr.write(`[cable] ${line}\n`) : undefined,
})
cable.onMessage = (conn, params, data) => {
  if (params.channel !== ECHO_CHANNEL || data.action !== "speak") return
  cable.broadcast(`echo:${params.room}`, { text: data.text, from: conn.id })
}

const lists = new LiveLists(cable, secret)
const appRoutes = new AppRoutes({
  lists,
  secret,
  scriptFile: resolve(REPO_ROOT, "dist/turbo-cable.min.js"),
  roots: [
    ["/dist/", resolve(REPO_ROOT, "dist")],
    ["/node_modules/", resolve(REPO_ROOT, "node_modules")],
    ["/test/pages/", resolve(REPO_ROOT, "test/pages")],
    // The deployments test/support/deployments.ts builds (the same default folder there).
    ["/apps/", env.DEPLOYMENTS_DIR ?? join(tmpdir(), "turbo-cable-deployments")],
  ],
  otherOrigin: () => `http://localhost:${appPort}`,
})
const appServer = createServer(appRoutes.listener)
let appPort = parsePort(env.APP_PORT, "APP_PORT")

// stop/start may be requested concurrently; run them one after another.
let lifecycle: Promise<unknown> = Promise.resolve()
function serially<T>(task: () => Promise<T>): Promise<T> {
  const next = lifecycle.then(task, task)
  lifecycle = next.catch(() => {})
  return next
}

function startApp(): Promise<void> {
  return serially(async () => {
    if (appServer.listening) return
    appPort = await listen(appServer, appPort) // after the first start, always the same port
    cable.attach(appServer)
  })
}

function stopApp(): Promise<void> {
  return serially(async () => {
    await cable.close() // stops pings and drops every socket
    await closeServer(appServer) // listener and keep-alive HTTP connections
  })
}

const controlRoutes = new ControlRoutes({
  cable,
  lists,
  tokens,
  httpErrors: appRoutes.httpErrors,
  secret,
  app: { port: () => appPort, running: () => appServer.listening, start: startApp, stop: stopApp },
})
const controlServer = createServer(controlRoutes.listener)

// ---- process ------------------------------------------------------------------------------

for (const server of [appServer, controlServer]) {
  server.on("clientError", (_err, socket) => socket.destroy())
}

process.on("uncaughtException", (err) => {
  process.stderr.write(`[test_server] uncaught: ${err.stack ?? err.message}\n`)
})

let shuttingDown = false
async function shutdown(): Promise<void> {
  if (shuttingDown) return
  shuttingDown = true
  setTimeout(() => process.exit(0), 3000).unref() // never hang a test run on exit
  await cable.close()
  await Promise.all([closeServer(appServer), closeServer(controlServer)])
  process.exit(0)
}
process.on("SIGTERM", () => void shutdown())
process.on("SIGINT", () => void shutdown())

async function main(): Promise<void> {
  await startApp()
  const control = await listen(controlServer, parsePort(env.CONTROL_PORT, "CONTROL_PORT"))
  process.stdout.write(`READY ${JSON.stringify({ app: appPort, control })}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`[test_server] failed to start: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
