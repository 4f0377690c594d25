// The lists the catch-up specs edit and the live pages that show them (/test/live/<list>, and /test/cached/<list>:
// the same page, which the browser may keep), the items added through the control API and broadcast to the
// list's stream, the catch-up refetches a test has the server refuse as one shedding load does, and the logs of
// the pages served.
import type { IncomingMessage, ServerResponse } from "node:http"
import { escapeHtml } from "../../demo/app/html"
import type { CableServer } from "../../demo/server/cable_server"
import { PROTOCOL } from "../../demo/server/protocol"
import { sign } from "../../demo/server/signed_stream"
import { CONTENT_TYPES, HEADERS } from "./static_files"

/** Entries each of the test server's logs keeps at most. */
export const LOG_CAP = 100_000

export interface Item {
  id: number
  text: string
}

/** Catch-up refetches of a list's page answered with an error instead, as a server shedding load does. */
export interface Shed {
  status: number
  remaining: number
  retryAfter?: string
}

/** How a live page is asked for. */
export interface PageRequest {
  /** /test/cached/: headers that let the browser keep the page in its HTTP cache and its back/forward cache. */
  cacheable: boolean
  /** The page asks Turbo to morph on page refreshes (`<meta name="turbo-refresh-method">`). */
  morphRefresh: boolean
  /** The page says whose it is (`<meta name="turbo-cable-identity">`), so that its tabs share a connection. */
  identity: string | null
  headOnly: boolean
}

export class LiveLists {
  private readonly lists = new Map<string, { nextId: number; items: Item[] }>()
  private readonly shedding = new Map<string, Shed>()
  /** When each catch-up refetch reached the server (wall clock, ms): how a herd of pages spreads. */
  readonly refetchLog: Array<{ at: number; list: string }> = []
  /** Every live page served, first loads and catch-up refetches alike: what exact delivery should save. */
  readonly pageLog: Array<{ at: number; list: string; catchUp: boolean }> = []

  constructor(
    private readonly cable: CableServer,
    private readonly secret: string,
  ) {}

  /** Adds `count` items ("{{i}}" in the text numbered), broadcast unless told not to; returns the last. */
  add(listName: string, text: string, count: number, broadcast: boolean): Item {
    let list = this.lists.get(listName)
    if (!list) this.lists.set(listName, (list = { nextId: 1, items: [] }))
    let item!: Item
    for (let i = 1; i <= count; i++) {
      item = { id: list.nextId++, text: text.replaceAll("{{i}}", String(i)) }
      list.items.push(item)
      if (broadcast) {
        this.cable.broadcast(listName, `<turbo-stream action="append" target="items"><template>${itemHtml(item)}</template></turbo-stream>`)
      }
    }
    return item
  }

  items(listName: string): Item[] {
    return this.lists.get(listName)?.items ?? []
  }

  /** The list's next `remaining` catch-up refetches answer `status`. */
  shed(listName: string, shed: Shed): void {
    this.shedding.set(listName, shed)
  }

  /** Every list and the page log gone. */
  clear(): void {
    this.lists.clear()
    this.pageLog.length = 0
  }

  /** The list's page, or the shed answer to a catch-up refetch; logged either way. */
  serve(req: IncomingMessage, res: ServerResponse, listName: string, page: PageRequest): void {
    const catchUp = Boolean(req.headers["x-turbo-cable-catch-up"])
    if (catchUp && this.refetchLog.length < LOG_CAP) this.refetchLog.push({ at: Date.now(), list: listName })
    if (this.pageLog.length < LOG_CAP) this.pageLog.push({ at: Date.now(), list: listName, catchUp })
    const shed = catchUp ? this.shedAnswer(listName) : null
    if (shed) {
      res.writeHead(shed.status, {
        ...HEADERS,
        ...(shed.retryAfter === undefined ? {} : { "Retry-After": shed.retryAfter }),
        "Content-Type": "text/plain; charset=utf-8",
      })
      return void res.end(`shedding load (${shed.status})\n`)
    }
    const body = this.page(listName, page)
    res.writeHead(200, {
      ...HEADERS,
      ...(page.cacheable ? { "Cache-Control": "private, max-age=600" } : {}),
      "Content-Type": CONTENT_TYPES[".html"],
      "Content-Length": Buffer.byteLength(body),
    })
    res.end(page.headOnly ? undefined : body)
  }

  private shedAnswer(listName: string): Shed | null {
    const shed = this.shedding.get(listName)
    if (!shed) return null
    if (--shed.remaining <= 0) this.shedding.delete(listName)
    return shed
  }

  private page(listName: string, { morphRefresh, identity }: PageRequest): string {
    const items = this.items(listName)
    return (
      `<!doctype html><html><head><title>${escapeHtml(listName)}</title>` +
      `<meta name="action-cable-url" content="${PROTOCOL.defaultPath}">` +
      // When the page was made, for AnyCable clients' first history request (`since`).
      `<meta name="cable-history-timestamp" content="${Math.floor(Date.now() / 1000)}">` +
      (morphRefresh ? `<meta name="turbo-refresh-method" content="morph">` : "") +
      (identity ? `<meta name="turbo-cable-identity" content="${escapeHtml(identity)}">` : "") +
      `<script src="/dist/turbo-cable.min.js"></script></head>\n` +
      `<body><turbo-cable-stream-source channel="${PROTOCOL.channel}" ` +
      `signed-stream-name="${escapeHtml(sign(this.secret, listName))}"></turbo-cable-stream-source>\n` +
      `<input id="draft" name="draft"><textarea id="notes" name="notes"></textarea>` +
      // A form whose response only this page sees, like a validation error: no broadcast, nothing stored.
      `<form id="note-form" action="/test/notes" method="post"><input id="note" name="note"><button>Add note</button></form>` +
      `<ul id="local-notes"></ul>` +
      // What a user opens on a page: the server's HTML has them closed.
      `<details id="more"><summary>More</summary><p>Details</p></details><dialog id="dialog"><p>A dialog</p></dialog>` +
      `<p id="count">${items.length} items</p><ul id="items">${items.map(itemHtml).join("")}</ul></body></html>\n`
    )
  }
}

function itemHtml(item: Item): string {
  return `<li id="item_${item.id}">${escapeHtml(item.text)}</li>`
}
