// The bench's own HTTP server (in the harness process, on 127.0.0.1): renders the client pages of
// bench/clients/ and serves what they load (/dist, /node_modules, /out). The pages open their socket to
// the Action Cable server's app port through <meta name="action-cable-url">.
import { readFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { resolve } from "node:path"
import type { NodeServer } from "../../test/support/node_server"
import { CONTENT_TYPES, notFound, send, serveFile, staticFile, type StaticRoots } from "../../test/server/static_files"
import { PAGE_FILES, type PageId } from "../clients"
import { BENCH_ROOT, OUT_DIR, REPO_ROOT } from "./bundles"

const STATIC_ROOTS: StaticRoots = [
  ["/dist/", resolve(REPO_ROOT, "dist")],
  ["/node_modules/", resolve(REPO_ROOT, "node_modules")],
  ["/out/", OUT_DIR],
]

/** What a rendered page holds besides its client's scripts. */
export interface PageSpec {
  /** Signed stream names, one <turbo-cable-stream-source> each. */
  sources?: string[]
  /** Server-rendered items of #items. */
  items?: Array<{ id: number; text: string }>
  /** Extra markup for <head>. */
  head?: string
  /** Extra markup at the start of <body> (a draft field, say). */
  body?: string
}

/** Options of a live page, for the catch-up scenarios. */
export interface LiveOptions {
  /** Extra markup for <head> (a config script, the turbo-rails refresh workaround). */
  head?: string
  /** Extra markup at the start of <body>. */
  body?: string
}

/** One request for a live page, as the server saw it: how a herd of pages spreads its refetches. */
export interface LiveRequest {
  at: number
  page: string
  list: string
}

/**
 * Head markup that keeps turbo-cable's tab on a socket of its own even where the page says whose it is (other
 * clients ignore it): the "own socket" side of the tabs scenario; pages that stand for separate users say it too,
 * though without SAME_PERSON_HEAD they would keep their own anyway.
 */
export const OWN_SOCKET_HEAD = `<meta name="turbo-cable-share-connection" content="false">`

/**
 * Head markup saying whose a turbo-cable page is (other clients ignore it): the pages of one browser context that
 * render it share one connection, as one person's tabs do. Pages without it keep a socket of their own.
 */
export const SAME_PERSON_HEAD = `<meta name="turbo-cable-identity" content="bench-user">`

/** Catch-up meta for the live pages: turbo-cable refetches and morphs after a reconnect (others ignore it). */
const LIVE_HEAD = `<meta name="turbo-cable-catch-up" content="morph">`

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")
}

export function sourceHtml(signed: string): string {
  return `<turbo-cable-stream-source channel="Turbo::StreamsChannel" signed-stream-name="${escapeHtml(signed)}"></turbo-cable-stream-source>`
}

/** The markup the test server broadcasts for POST /items. */
export function itemHtml(item: { id: number; text: string }): string {
  return `<li id="item_${item.id}">${escapeHtml(item.text)}</li>`
}

export class BenchWeb {
  private readonly specs = new Map<string, { page: PageId; spec: PageSpec }>()
  private readonly signatures = new Map<string, string>()
  private nextToken = 1
  private readonly liveOptions = new Map<string, LiveOptions>()
  /** Every live page request (wall clock, ms); the harness clears it. */
  readonly liveRequests: LiveRequest[] = []

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly cable: NodeServer,
    private readonly templates: Record<PageId, string>,
  ) {}

  static async start(cable: NodeServer): Promise<BenchWeb> {
    const templates = {} as Record<PageId, string>
    for (const [page, file] of Object.entries(PAGE_FILES) as Array<[PageId, string]>) {
      templates[page] = await readFile(resolve(BENCH_ROOT, "clients", file), "utf8")
    }
    let web: BenchWeb | undefined
    const server = createServer((req, res) => {
      web!.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" })
        res.end(String(error))
      })
    })
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
    const address = server.address()
    const port = typeof address == "object" && address ? address.port : 0
    web = new BenchWeb(server, `http://127.0.0.1:${port}`, cable, templates)
    return web
  }

  /** A URL rendering `page` with `spec` (kept in memory; the URL can be loaded again). */
  pageUrl(page: PageId, spec: PageSpec = {}): string {
    const token = String(this.nextToken++)
    this.specs.set(token, { page, spec })
    return `${this.origin}/page/${token}`
  }

  /**
   * A server-rendered page of `list` like the test server's /test/live/<list>: one source for the list and
   * its current items, rendered afresh at every request (so a refetch after a reconnect sees new items).
   */
  liveUrl(page: PageId, list: string, options?: LiveOptions): string {
    if (options) this.liveOptions.set(list, options)
    return `${this.origin}/live/${encodeURIComponent(page)}/${encodeURIComponent(list)}`
  }

  close(): Promise<void> {
    return new Promise((done) => {
      this.server.close(() => done())
      this.server.closeAllConnections()
    })
  }

  private render(page: PageId, spec: PageSpec): string {
    const values: Record<string, string> = {
      CABLE_URL: escapeHtml(this.cable.cableUrl),
      HEAD: spec.head ?? "",
      SOURCES: (spec.sources ?? []).map(sourceHtml).join("\n"),
      ITEMS: (spec.items ?? []).map(itemHtml).join(""),
      BODY: spec.body ?? "",
    }
    return this.templates[page].replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? "")
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? "/", this.origin).pathname
    const pageMatch = /^\/page\/(\d+)$/.exec(pathname)
    if (pageMatch) {
      const entry = this.specs.get(pageMatch[1])
      if (!entry) return notFound(res)
      return send(res, CONTENT_TYPES[".html"], this.render(entry.page, entry.spec))
    }
    const liveMatch = /^\/live\/([^/]+)\/([^/]+)$/.exec(pathname)
    if (liveMatch) {
      const page = decodeURIComponent(liveMatch[1]) as PageId
      const list = decodeURIComponent(liveMatch[2])
      if (!(page in this.templates)) return notFound(res)
      let signed = this.signatures.get(list)
      if (!signed) this.signatures.set(list, (signed = await this.cable.sign(list)))
      this.liveRequests.push({ at: Date.now(), page, list })
      const items = await this.cable.items(list)
      const extra = this.liveOptions.get(list) ?? {}
      return send(res, CONTENT_TYPES[".html"], this.render(page, { sources: [signed], items, head: LIVE_HEAD + (extra.head ?? ""), body: extra.body }))
    }
    const file = staticFile(STATIC_ROOTS, pathname)
    return file ? serveFile(res, file) : notFound(res)
  }
}
