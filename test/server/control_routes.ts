// The control API the specs drive the test server with (JSON over HTTP, on its own port): broadcasts, counts and
// logs, the ways a server goes away (close, kill, disconnect, stop and start), the lists and their pages,
// tokens, shed refetches and the broker.
import type { IncomingMessage, ServerResponse } from "node:http"
import type { CableServer } from "../../demo/server/cable_server"
import { sign } from "../../demo/server/signed_stream"
import type { Tokens } from "./authentication"
import { failRequest, HttpError, readJsonBody, requireString, sendJson } from "./http"
import type { LiveLists } from "./live_lists"
import { HEADERS } from "./static_files"

const MAX_BROADCAST_COUNT = 1_000_000

/** The app server, as the control API starts and stops it. */
export interface AppLifecycle {
  port(): number
  running(): boolean
  /** Listens again, on the same port after the first start. */
  start(): Promise<void>
  /** Drops every socket and stops listening. */
  stop(): Promise<void>
}

export interface ControlParts {
  cable: CableServer
  lists: LiveLists
  tokens: Tokens
  httpErrors: ReadonlyArray<{ url: string; status: number }>
  app: AppLifecycle
  secret: string
}

export class ControlRoutes {
  constructor(private readonly parts: ControlParts) {}

  /** The control server's request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((err: unknown) => failRequest(res, err))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { cable, lists, tokens, app } = this.parts
    const url = new URL(req.url ?? "/", "http://localhost")
    const route = `${req.method} ${url.pathname}`
    const ok = () => sendJson(res, 200, { ok: true })
    const query = (name: string) => {
      const value = url.searchParams.get(name)
      if (!value) throw new HttpError(400, `"${name}" query parameter is required`)
      return value
    }

    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        ...HEADERS,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Content-Type",
      })
      return void res.end()
    }

    switch (route) {
      case "GET /health":
        return sendJson(res, 200, { ok: true, app: app.port(), running: app.running() })
      case "GET /sign":
        return sendJson(res, 200, { signed: sign(this.parts.secret, query("stream")) })
      case "POST /broadcast":
        return sendJson(res, 200, this.broadcast(await readJsonBody(req)))
      case "GET /subscriptions":
        return sendJson(res, 200, { count: cable.controls.subscriptionCount(url.searchParams.get("stream") ?? undefined) })
      case "GET /http-errors":
        return sendJson(res, 200, this.parts.httpErrors)
      case "GET /connections":
        return sendJson(res, 200, { count: cable.controls.connectionCount() })
      case "GET /commands":
        return sendJson(res, 200, cable.controls.commandLog())
      case "POST /commands/clear":
        cable.controls.clearCommandLog()
        return ok()
      case "POST /close": {
        // A clean close of every socket (AnyCable sessions forgotten, as after a restart).
        const code = (await readJsonBody(req)).code ?? 1000
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
        await app.stop()
        return ok()
      case "POST /start":
        await app.start()
        return ok()
      case "POST /items":
        return sendJson(res, 200, { id: this.addItems(await readJsonBody(req)).id })
      case "GET /items":
        return sendJson(res, 200, lists.items(query("list")))
      case "GET /history":
        // The broker's epoch and how many messages of the stream it keeps.
        return sendJson(res, 200, cable.controls.historyOf(query("stream")))
      case "POST /broker/reset":
        // A broker lost (a restart without a kept broker): new epoch, no history, no restorable session.
        cable.controls.resetBroker()
        return ok()
      case "GET /pages":
        return sendJson(res, 200, lists.pageLog)
      case "POST /pages/clear":
        lists.pageLog.length = 0
        return ok()
      case "GET /refetches":
        return sendJson(res, 200, lists.refetchLog)
      case "POST /refetches/clear":
        lists.refetchLog.length = 0
        return ok()
      case "POST /tokens":
        // Issued tokens stay valid until /tokens/expire.
        return sendJson(res, 200, { token: tokens.issue() })
      case "POST /tokens/expire":
        tokens.expireAll()
        return ok()
      case "POST /shed": {
        // The next `count` catch-up refetches of the list's page answer `status`, with `Retry-After` if given.
        const body = await readJsonBody(req)
        const status = typeof body.status === "number" ? body.status : 429
        const count = typeof body.count === "number" ? body.count : 1
        const retryAfter = body.retryAfter === undefined ? undefined : String(body.retryAfter)
        lists.shed(requireString(body, "list"), { status, remaining: count, retryAfter })
        return ok()
      }
      case "POST /reset":
        lists.clear()
        cable.controls.clearCommandLog()
        return ok()
      default:
        throw new HttpError(404, `no route ${route}`)
    }
  }

  /** POST /items: `count` items at once ("{{i}}" in the text numbered), for big pages; one by default. */
  private addItems(body: Record<string, unknown>) {
    const listName = requireString(body, "list")
    const text = typeof body.text === "string" ? body.text : ""
    const count = typeof body.count === "number" && Number.isInteger(body.count) ? Math.min(Math.max(body.count, 1), MAX_BROADCAST_COUNT) : 1
    return this.parts.lists.add(listName, text, count, body.broadcast !== false)
  }

  /** POST /broadcast: one message `count` times ("{{i}}" numbered), or several messages, in one synchronous burst. */
  private broadcast(body: Record<string, unknown>): { delivered: number; messages: number } {
    const cable = this.parts.cable
    const stream = requireString(body, "stream")
    // `transient: true`: not kept in the history, sent without an offset.
    const options = { transient: body.transient === true }
    if (Array.isArray(body.messages)) {
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
}
