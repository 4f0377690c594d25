// The server the browser tests spawn: `tsx test/server/test_server.ts`.
//
// Two HTTP servers on 127.0.0.1:
//   app     — what the browser talks to: /cable, static files, /test/live/<list>, /test/cached/<list>
//   control — JSON API the tests use to drive the app server (broadcast, stop, start, shed, tokens, ...)
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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { escapeHtml } from "../../demo/app/html"
import { CableServer } from "../../demo/server/cable_server"
import { PROTOCOL } from "../../demo/server/protocol"
import { sign } from "../../demo/server/signed_stream"
import { CONTENT_TYPES, serveFile, staticFile, type StaticRoots } from "./static_files"
import { faultPage, faultyWorker, isWorkerFault } from "./worker_faults"

const HOST = "127.0.0.1"
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const MAX_BODY_BYTES = 8 * 1024 * 1024
const MAX_BROADCAST_COUNT = 1_000_000

const env = process.env
const STATIC_ROOTS: StaticRoots = [
  ["/dist/", resolve(REPO_ROOT, "dist")],
  ["/node_modules/", resolve(REPO_ROOT, "node_modules")],
  ["/test/pages/", resolve(REPO_ROOT, "test/pages")],
  // The deployments test/support/deployments.ts builds (the same default folder there).
  ["/apps/", env.DEPLOYMENTS_DIR ?? join(tmpdir(), "turbo-cable-deployments")],
]

const secret = env.CABLE_SECRET || "test-secret"

/** A number from the environment, or undefined when unset. */
function envNumber(name: string): number | undefined {
  const value = env[name]
  if (value === undefined || value === "") return undefined
  const number = Number(value)
  if (!Number.isFinite(number) || number < 0) throw new Error(`${name} must be a non-negative number`)
  return number
}
const log = env.CABLE_LOG ? (line: string) => process.stderr.write(`[cable] ${line}\n`) : undefined

// ---- helpers ------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function parsePort(value: string | undefined, name: string): number {
  if (value === undefined || value === "") return 0
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number`)
  return port
}

function commonHeaders(): Record<string, string> {
  return { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" }
}

function sendText(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { ...commonHeaders(), "Content-Type": type, "Content-Length": Buffer.byteLength(body) })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, {
    ...commonHeaders(),
    // Tests may call the control API from a page on the app origin.
    "Access-Control-Allow-Origin": "*",
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  })
  res.end(body)
}

async function readBodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large")
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString("utf8")
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBodyText(req)).trim()
  if (text === "") return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new HttpError(400, "body is not JSON")
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "body must be a JSON object")
  }
  return value as Record<string, unknown>
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== "string" || value === "") throw new HttpError(400, `"${key}" must be a non-empty string`)
  return value
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error) => reject(err)
    server.once("error", onError)
    server.listen(port, HOST, () => {
      server.off("error", onError)
      const address = server.address()
      resolvePort(typeof address === "object" && address ? address.port : port)
    })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    if (!server.listening) return done()
    server.close(() => done())
    server.closeAllConnections()
  })
}

// ---- in-memory page state for catch-up tests ------------------------------------------------

interface Item {
  id: number
  text: string
}

const lists = new Map<string, { nextId: number; items: Item[] }>()

function listFor(name: string): { nextId: number; items: Item[] } {
  let list = lists.get(name)
  if (!list) lists.set(name, (list = { nextId: 1, items: [] }))
  return list
}

function itemHtml(item: Item): string {
  return `<li id="item_${item.id}">${escapeHtml(item.text)}</li>`
}

/** `morphRefresh`: the page asks Turbo to morph on page refreshes (`<meta name="turbo-refresh-method">`). */
/** `identity`: the page says whose it is (`<meta name="turbo-cable-identity">`), so that its tabs share a connection. */
function livePage(listName: string, morphRefresh = false, identity: string | null = null): string {
  const items = (lists.get(listName)?.items ?? []).map(itemHtml).join("")
  return (
    `<!doctype html><html><head><title>${escapeHtml(listName)}</title>` +
    `<meta name="action-cable-url" content="${PROTOCOL.defaultPath}">` +
    // When the page was made, for AnyCable clients' first history request (`since`).
    `<meta name="cable-history-timestamp" content="${Math.floor(Date.now() / 1000)}">` +
    (morphRefresh ? `<meta name="turbo-refresh-method" content="morph">` : "") +
    (identity ? `<meta name="turbo-cable-identity" content="${escapeHtml(identity)}">` : "") +
    `<script src="/dist/turbo-cable.min.js"></script></head>\n` +
    `<body><turbo-cable-stream-source channel="${PROTOCOL.channel}" ` +
    `signed-stream-name="${escapeHtml(sign(secret, listName))}"></turbo-cable-stream-source>\n` +
    `<input id="draft" name="draft"><textarea id="notes" name="notes"></textarea>` +
    // A form whose response only this page sees, like a validation error: no broadcast, nothing stored.
    `<form id="note-form" action="/test/notes" method="post"><input id="note" name="note"><button>Add note</button></form>` +
    `<ul id="local-notes"></ul>` +
    // What a user opens on a page: the server's HTML has them closed.
    `<details id="more"><summary>More</summary><p>Details</p></details><dialog id="dialog"><p>A dialog</p></dialog>` +
    `<p id="count">${lists.get(listName)?.items.length ?? 0} items</p><ul id="items">${items}</ul></body></html>\n`
  )
}

/** Catch-up refetches of a list's page answered with an error instead, as a server shedding load does. */
interface Shed {
  status: number
  remaining: number
  retryAfter?: string
}
const shedding = new Map<string, Shed>()
/** When each catch-up refetch reached the server (wall clock, ms): how a herd of pages spreads. */
const refetchLog: Array<{ at: number; list: string }> = []
const REFETCH_LOG_CAP = 100_000
/** Every live page served, first loads and catch-up refetches alike: what exact delivery should save. */
const pageLog: Array<{ at: number; list: string; catchUp: boolean }> = []

/** The shed answer for this request, if the list's next refetches are to be refused. */
function shedAnswer(req: IncomingMessage, listName: string): Shed | null {
  const shed = shedding.get(listName)
  if (!shed || !req.headers["x-turbo-cable-catch-up"]) return null
  if (--shed.remaining <= 0) shedding.delete(listName)
  return shed
}

// ---- app server ---------------------------------------------------------------------------

/** Used only with REQUIRE_COOKIE; otherwise every connection is a distinct guest. */
function sessionFromCookie(req: IncomingMessage): string | null {
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const eq = pair.indexOf("=")
    if (eq < 0 || pair.slice(0, eq).trim() !== "session") continue
    const value = pair.slice(eq + 1).trim()
    if (value !== "") return value
  }
  return null
}

/** An app channel beside the streams, as an app's ChatChannel: `{channel: "EchoChannel", room}` follows
 *  `echo:<room>` (room "forbidden" is rejected); `perform("speak", {text})` broadcasts `{text, from}` to it. */
const ECHO_CHANNEL = "EchoChannel"

/** Short-lived tokens for the expiring-credentials tests: issued and expired through the control API. */
const validTokens = new Set<string>()
let tokensIssued = 0

/** A `?token=` on the cable URL must be valid (else `unauthorized`); without one, the usual rules. */
function authenticate(req: IncomingMessage): string | null {
  const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token")
  if (token !== null) return validTokens.has(token) ? `token-${token}` : null
  if (env.REQUIRE_COOKIE) return sessionFromCookie(req)
  return "guest"
}

const cable = new CableServer({
  secret,
  path: PROTOCOL.defaultPath,
  pingIntervalMs: env.PING_INTERVAL_MS ? Number(env.PING_INTERVAL_MS) : undefined,
  authenticate,
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
  log,
})
cable.onMessage = (conn, params, data) => {
  if (params.channel !== ECHO_CHANNEL || data.action !== "speak") return
  cable.broadcast(`echo:${params.room}`, { text: data.text, from: conn.id })
}

/** The note form's response: a Turbo Stream for this page alone. */
async function addLocalNote(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const note = new URLSearchParams(await readBodyText(req)).get("note") ?? ""
  const stream = `<turbo-stream action="append" target="local-notes"><template><li>${escapeHtml(note)}</li></template></turbo-stream>`
  sendText(res, 200, stream, "text/vnd.turbo-stream.html; charset=utf-8")
}

/** A page of links and buttons that submit with other methods than GET and POST, as Rails renders them. */
function methodsPage(): string {
  return (
    `<!doctype html><html><head><title>methods</title><script src="/dist/turbo-cable.min.js"></script></head><body>` +
    `<a id="delete-link" href="/test/records/1" data-turbo-method="delete">Delete</a>` +
    // What Rails' `f.button formmethod: :patch` renders, and the bare attribute.
    `<form id="rails-form" action="/test/records/1" method="post"><button id="rails-patch" name="_method" value="patch" formmethod="post">Update</button></form>` +
    `<form id="bare-form" action="/test/records/1" method="post"><button id="bare-patch" formmethod="patch">Update</button></form>` +
    `<form id="hidden-form" action="/test/records/1" method="post"><input type="hidden" name="_method" value="put"><button id="hidden-put">Put</button></form>` +
    `</body></html>\n`
  )
}

/** A Rails controller action after `redirect_to`: the method on the wire and the one Rails would route by. */
async function redirectAfterRecordChange(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const override = req.method === "POST" ? new URLSearchParams(await readBodyText(req)).get("_method") : null
  const query = new URLSearchParams({ wire: req.method ?? "", as: (override ?? req.method ?? "").toUpperCase() })
  res.writeHead(302, { ...commonHeaders(), Location: `/test/landed?${query}`, "Content-Length": 0 })
  res.end()
}

function landedPage(searchParams: URLSearchParams): string {
  const wire = escapeHtml(searchParams.get("wire") ?? "")
  const as = escapeHtml(searchParams.get("as") ?? "")
  return `<!doctype html><html><head><title>landed</title><script src="/dist/turbo-cable.min.js"></script></head><body><h1 id="landed" data-wire="${wire}" data-as="${as}">Landed</h1></body></html>\n`
}

async function handleApp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname, searchParams } = new URL(req.url ?? "/", "http://localhost")
  if (req.method === "POST" && pathname === "/test/notes") return addLocalNote(req, res)
  if (pathname === "/test/records/1" && req.method !== "GET" && req.method !== "HEAD") return redirectAfterRecordChange(req, res)
  if (req.method === "GET" && pathname === "/test/methods") return sendText(res, 200, methodsPage(), CONTENT_TYPES[".html"])
  if (req.method === "GET" && pathname === "/test/landed") return sendText(res, 200, landedPage(searchParams), CONTENT_TYPES[".html"])
  if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, "method not allowed\n")
  const headOnly = req.method === "HEAD"

  // /test/faults/<fault>/page?list=NAME and its script, whose worker fails in that way (worker_faults.ts).
  const fault = /^\/test\/faults\/([^/]+)\/(page|turbo-cable\.min\.js)$/.exec(pathname)
  if (fault && isWorkerFault(fault[1])) {
    if (fault[2] == "page") {
      const page = faultPage(fault[1], sign(secret, searchParams.get("list") ?? "faults"), `http://localhost:${appPort}`)
      res.writeHead(200, { ...commonHeaders(), ...page.headers, "Content-Type": CONTENT_TYPES[".html"] })
      return void res.end(headOnly ? undefined : page.html)
    }
    const failed = faultyWorker(fault[1], req)
    if (failed) return sendText(res, failed.status, failed.body, CONTENT_TYPES[".js"])
    return serveFile(res, resolve(REPO_ROOT, "dist/turbo-cable.min.js"), headOnly)
  }

  // /test/cached/<list> is the same page with headers that let the browser keep it in its HTTP cache (and in
  // the back/forward cache, which skips no-store pages): a back navigation may show a copy of any age.
  const livePrefix = pathname.startsWith("/test/cached/") ? "/test/cached/" : "/test/live/"
  if (pathname.startsWith(livePrefix)) {
    const cacheable = livePrefix == "/test/cached/"
    let listName: string
    try {
      listName = decodeURIComponent(pathname.slice(livePrefix.length))
    } catch {
      return sendText(res, 400, "bad list name\n")
    }
    if (listName === "") return sendText(res, 404, "not found\n")
    const catchUp = Boolean(req.headers["x-turbo-cable-catch-up"])
    if (catchUp && refetchLog.length < REFETCH_LOG_CAP) refetchLog.push({ at: Date.now(), list: listName })
    if (pageLog.length < REFETCH_LOG_CAP) pageLog.push({ at: Date.now(), list: listName, catchUp })
    const shed = shedAnswer(req, listName)
    if (shed) {
      res.writeHead(shed.status, {
        ...commonHeaders(),
        ...(shed.retryAfter === undefined ? {} : { "Retry-After": shed.retryAfter }),
        "Content-Type": "text/plain; charset=utf-8",
      })
      return void res.end(`shedding load (${shed.status})\n`)
    }
    const body = livePage(listName, searchParams.get("refresh") == "morph", searchParams.get("identity"))
    res.writeHead(200, {
      ...commonHeaders(),
      ...(cacheable ? { "Cache-Control": "private, max-age=600" } : {}),
      "Content-Type": CONTENT_TYPES[".html"],
      "Content-Length": Buffer.byteLength(body),
    })
    return void res.end(headOnly ? undefined : body)
  }

  const file = staticFile(STATIC_ROOTS, pathname)
  if (!file) return sendText(res, 404, "not found\n")
  return serveFile(res, file, headOnly)
}

/** The app's answers of 400 and above (a page's 404 for a file it asked for, say), for GET /http-errors. */
const httpErrors: Array<{ url: string; status: number }> = []

const appServer = createServer((req, res) => {
  res.on("finish", () => res.statusCode >= 400 && httpErrors.length < REFETCH_LOG_CAP && httpErrors.push({ url: req.url ?? "", status: res.statusCode }))
  handleApp(req, res).catch((err: unknown) => failRequest(res, err))
})
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

// ---- control server -----------------------------------------------------------------------

function addItem(body: Record<string, unknown>): Item {
  const listName = requireString(body, "list")
  const text = typeof body.text === "string" ? body.text : ""
  const list = listFor(listName)
  // `count` items at once ("{{i}}" in the text numbered), for big pages; one by default.
  const count = typeof body.count === "number" && Number.isInteger(body.count) ? Math.min(Math.max(body.count, 1), MAX_BROADCAST_COUNT) : 1
  let item!: Item
  for (let i = 1; i <= count; i++) {
    item = { id: list.nextId++, text: text.replaceAll("{{i}}", String(i)) }
    list.items.push(item)
    if (body.broadcast !== false) {
      cable.broadcast(
        listName,
        `<turbo-stream action="append" target="items"><template>${itemHtml(item)}</template></turbo-stream>`,
      )
    }
  }
  return item
}

function broadcastMany(body: Record<string, unknown>): { delivered: number; messages: number } {
  const stream = requireString(body, "stream")
  // `transient: true`: not kept in the history, sent without an offset.
  const options = { transient: body.transient === true }
  if (Array.isArray(body.messages)) {
    // Different messages, still one synchronous burst.
    let delivered = 0
    for (const message of body.messages) delivered += cable.broadcast(stream, message, options)
    return { delivered, messages: body.messages.length }
  }
  if (!("message" in body)) throw new HttpError(400, `"message" is required`)
  const message = body.message
  const count = body.count ?? 1
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > MAX_BROADCAST_COUNT) {
    throw new HttpError(400, `"count" must be an integer from 0 to ${MAX_BROADCAST_COUNT}`)
  }
  const templated = typeof message === "string" && message.includes("{{i}}")
  let delivered = 0
  // One synchronous loop, so the frames leave back to back as a burst would.
  for (let i = 0; i < count; i++) {
    const payload = templated ? (message as string).replaceAll("{{i}}", String(i)) : message
    delivered += cable.broadcast(stream, payload, options)
  }
  return { delivered, messages: count }
}

async function handleControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost")
  const route = `${req.method} ${url.pathname}`
  const ok = () => sendJson(res, 200, { ok: true })

  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      ...commonHeaders(),
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET, POST",
      "Access-Control-Allow-Headers": "Content-Type",
    })
    return void res.end()
  }

  switch (route) {
    case "GET /health":
      return sendJson(res, 200, { ok: true, app: appPort, running: appServer.listening })
    case "GET /sign": {
      const stream = url.searchParams.get("stream")
      if (!stream) throw new HttpError(400, `"stream" query parameter is required`)
      return sendJson(res, 200, { signed: sign(secret, stream) })
    }
    case "POST /broadcast":
      return sendJson(res, 200, broadcastMany(await readJsonBody(req)))
    case "GET /subscriptions": {
      const stream = url.searchParams.get("stream")
      return sendJson(res, 200, { count: cable.controls.subscriptionCount(stream ?? undefined) })
    }
    case "GET /http-errors":
      return sendJson(res, 200, httpErrors)
    case "GET /connections":
      return sendJson(res, 200, { count: cable.controls.connectionCount() })
    case "GET /commands":
      return sendJson(res, 200, cable.controls.commandLog())
    case "POST /commands/clear":
      cable.controls.clearCommandLog()
      return ok()
    case "POST /close": {
      // A clean close of every socket (AnyCable sessions forgotten, as after a restart).
      const body = await readJsonBody(req)
      const code = body.code ?? 1000
      try {
        cable.controls.closeAll(code as number)
      } catch (err) {
        throw new HttpError(400, err instanceof Error ? err.message : String(err))
      }
      return ok()
    }
    case "POST /kill":
      // A dropped line: no close frame, and AnyCable sessions stay restorable.
      cable.controls.killAll()
      return ok()
    case "POST /disconnect": {
      const body = await readJsonBody(req)
      const reason = typeof body.reason === "string" ? body.reason : "server_restart"
      const reconnect = typeof body.reconnect === "boolean" ? body.reconnect : true
      cable.disconnectAll(reason, reconnect)
      return ok()
    }
    case "POST /stop":
      await stopApp()
      return ok()
    case "POST /start":
      await startApp()
      return ok()
    case "POST /items":
      return sendJson(res, 200, { id: addItem(await readJsonBody(req)).id })
    case "GET /items": {
      const list = url.searchParams.get("list")
      if (!list) throw new HttpError(400, `"list" query parameter is required`)
      return sendJson(res, 200, lists.get(list)?.items ?? [])
    }
    case "GET /history": {
      // The broker's epoch and how many messages of the stream it keeps.
      const stream = url.searchParams.get("stream")
      if (!stream) throw new HttpError(400, `"stream" query parameter is required`)
      return sendJson(res, 200, cable.controls.historyOf(stream))
    }
    case "POST /broker/reset":
      // A broker lost (a restart without a kept broker): new epoch, no history, no restorable session.
      cable.controls.resetBroker()
      return ok()
    case "GET /pages":
      return sendJson(res, 200, pageLog)
    case "POST /pages/clear":
      pageLog.length = 0
      return ok()
    case "GET /refetches":
      return sendJson(res, 200, refetchLog)
    case "POST /refetches/clear":
      refetchLog.length = 0
      return ok()
    case "POST /tokens": {
      // Issued tokens stay valid until /tokens/expire.
      const token = `t${++tokensIssued}`
      validTokens.add(token)
      return sendJson(res, 200, { token })
    }
    case "POST /tokens/expire":
      validTokens.clear()
      return ok()
    case "POST /shed": {
      // The next `count` catch-up refetches of the list's page answer `status`, with `Retry-After` if given.
      const body = await readJsonBody(req)
      const status = typeof body.status === "number" ? body.status : 429
      const count = typeof body.count === "number" ? body.count : 1
      const retryAfter = body.retryAfter === undefined ? undefined : String(body.retryAfter)
      shedding.set(requireString(body, "list"), { status, remaining: count, retryAfter })
      return ok()
    }
    case "POST /reset":
      lists.clear()
      pageLog.length = 0
      cable.controls.clearCommandLog()
      return ok()
    default:
      throw new HttpError(404, `no route ${route}`)
  }
}

function failRequest(res: ServerResponse, err: unknown): void {
  const status = err instanceof HttpError ? err.status : 500
  if (status === 500) process.stderr.write(`[test_server] ${err instanceof Error ? err.stack : String(err)}\n`)
  if (res.headersSent) return void res.destroy()
  sendJson(res, status, { error: err instanceof Error ? err.message : String(err) })
}

const controlServer = createServer((req, res) => {
  handleControl(req, res).catch((err: unknown) => failRequest(res, err))
})

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
