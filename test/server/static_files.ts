// Files served from folders by URL prefix (dist/, node_modules/, test pages, bench bundles), with one table
// of content types, for the HTTP servers of the tests and the bench.
import { readFile, stat } from "node:fs/promises"
import type { ServerResponse } from "node:http"
import { extname, resolve, sep } from "node:path"

/** Content types by extension; anything else is served as application/octet-stream. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
}

/** URL prefixes ("/dist/") and the folders they serve. */
export type StaticRoots = ReadonlyArray<readonly [prefix: string, dir: string]>

/** Served fresh every time, never sniffed: the headers of every answer of the test server and the bench. */
export const HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" }

/** The file `pathname` maps to under `roots`, or null. Rejects anything that could leave its root. */
export function staticFile(roots: StaticRoots, pathname: string): string | null {
  for (const [prefix, root] of roots) {
    if (!pathname.startsWith(prefix)) continue
    let relative: string
    try {
      relative = decodeURIComponent(pathname.slice(prefix.length))
    } catch {
      return null
    }
    if (relative === "" || relative.includes("\0")) return null
    if (relative.split(/[\\/]/).some((segment) => segment === "..")) return null
    const file = resolve(root, relative)
    return file.startsWith(root + sep) ? file : null
  }
  return null
}

/** Answers with `body` as `type` (200 unless told). */
export function send(res: ServerResponse, type: string, body: string | Buffer, status = 200): void {
  res.writeHead(status, { ...HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) })
  res.end(body)
}

export function notFound(res: ServerResponse): void {
  send(res, "text/plain; charset=utf-8", "not found\n", 404)
}

/** Serves `file` with its content type, or 404 when it is not a file; the headers alone for a HEAD request. */
export async function serveFile(res: ServerResponse, file: string, headOnly = false): Promise<void> {
  const info = await stat(file).catch(() => null)
  if (!info?.isFile()) return notFound(res)
  const body = await readFile(file)
  res.writeHead(200, { ...HEADERS, "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream", "Content-Length": body.length })
  res.end(headOnly ? undefined : body)
}
