// The HTTP plumbing of the test server's two servers: JSON answers the control API sends (and a page may read),
// request bodies read with a cap, errors with a status, a listener on 127.0.0.1 and a close that does not wait
// on keep-alive connections.
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { HEADERS } from "./static_files"

const HOST = "127.0.0.1"
const MAX_BODY_BYTES = 8 * 1024 * 1024

/** A request the server refuses, answered with `status` and the message as JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, {
    ...HEADERS,
    // Tests may call the control API from a page on the app origin.
    "Access-Control-Allow-Origin": "*",
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  })
  res.end(body)
}

/** An HttpError's status and message as JSON; anything else is a 500, and logged. */
export function failRequest(res: ServerResponse, err: unknown): void {
  const status = err instanceof HttpError ? err.status : 500
  if (status === 500) process.stderr.write(`[test_server] ${err instanceof Error ? err.stack : String(err)}\n`)
  if (res.headersSent) return void res.destroy()
  sendJson(res, status, { error: err instanceof Error ? err.message : String(err) })
}

export async function readBodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large")
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString("utf8")
}

/** The body as a JSON object; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
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

export function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== "string" || value === "") throw new HttpError(400, `"${key}" must be a non-empty string`)
  return value
}

/** A port from the environment; unset is 0, any free port. */
export function parsePort(value: string | undefined, name: string): number {
  if (value === undefined || value === "") return 0
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number`)
  return port
}

/** Listens on `port` of 127.0.0.1; resolves with the port it got. */
export function listen(server: Server, port: number): Promise<number> {
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

/** Stops listening and ends keep-alive connections too, so it resolves at once. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    if (!server.listening) return done()
    server.close(() => done())
    server.closeAllConnections()
  })
}
