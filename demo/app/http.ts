// Small HTTP helpers: strict form parsing, responses, and an error type that becomes an error page.

import type { IncomingMessage, ServerResponse } from "node:http"
import type { SafeHtml } from "./html"
import { STREAM_CONTENT_TYPE } from "./streams"

/** A request we refuse; the router renders it as an error page with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${status} ${title}: ${detail}`)
  }
}

export const MAX_FORM_BYTES = 16 * 1024
const FORM_TYPE = "application/x-www-form-urlencoded"
const utf8 = new TextDecoder("utf-8", { fatal: true })

const COMMON_HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
}

/** Form fields in order; each name may appear once (a second copy is a malformed post). */
export class Form {
  constructor(private readonly fields: ReadonlyMap<string, string>) {}

  get(name: string): string | undefined {
    return this.fields.get(name)
  }

  require(name: string): string {
    const value = this.fields.get(name)
    if (value === undefined) throw new HttpError(400, "Malformed form post", `The form post has no "${name}" field.`)
    return value
  }
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "))
  } catch {
    throw new HttpError(400, "Malformed form post", "The form post is not valid URL encoding (a bad % escape or invalid UTF-8).")
  }
}

/** Parses `application/x-www-form-urlencoded` strictly: bad escapes, bad UTF-8 and repeated names are refused. */
export function parseFormBody(body: Buffer): Form {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    throw new HttpError(400, "Malformed form post", "The form post is not valid UTF-8.")
  }
  const fields = new Map<string, string>()
  for (const pair of text.split("&")) {
    if (pair === "") continue
    const eq = pair.indexOf("=")
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1))
    if (fields.has(name)) throw new HttpError(400, "Malformed form post", `The field "${name}" was sent more than once.`)
    fields.set(name, value)
  }
  return new Form(fields)
}

/** Reads and parses a form post: only url-encoded forms, at most `MAX_FORM_BYTES`. */
export async function readForm(req: IncomingMessage): Promise<Form> {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase()
  if (type !== FORM_TYPE) {
    throw new HttpError(415, "Not a form post", `Expected ${FORM_TYPE}, got ${type === "" ? "no content type" : type}.`)
  }
  const tooLarge = new HttpError(413, "Form post too large", `Form posts are at most ${MAX_FORM_BYTES / 1024} KiB.`)
  if (Number(req.headers["content-length"] ?? 0) > MAX_FORM_BYTES) throw tooLarge
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_FORM_BYTES) throw tooLarge
    chunks.push(chunk as Buffer)
  }
  return parseFormBody(Buffer.concat(chunks))
}

export function wantsTurboStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes(STREAM_CONTENT_TYPE)
}

export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...COMMON_HEADERS, ...headers, "Content-Type": type, "Content-Length": Buffer.byteLength(body) })
  res.end(req.method === "HEAD" ? undefined : body)
}

export function sendHtml(req: IncomingMessage, res: ServerResponse, status: number, page: SafeHtml, headers?: Record<string, string>): void {
  send(req, res, status, page.text, "text/html; charset=utf-8", headers)
}

export function sendStream(req: IncomingMessage, res: ServerResponse, status: number, streams: SafeHtml[]): void {
  send(req, res, status, streams.map((stream) => stream.text).join("\n"), `${STREAM_CONTENT_TYPE}; charset=utf-8`)
}

/** 303, so a form post is followed by a GET (what Turbo expects of a form response). */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...COMMON_HEADERS, ...headers, Location: location, "Content-Length": 0 })
  res.end()
}
