// The pages of the specs on Turbo's own requests: a note form answered with a Turbo Stream for its page alone,
// links and buttons that submit with other methods than GET and POST as Rails renders them, and what Rails
// answers them with (a redirect) and where that lands.
import type { IncomingMessage, ServerResponse } from "node:http"
import { escapeHtml } from "../../demo/app/html"
import { readBodyText } from "./http"
import { CONTENT_TYPES, HEADERS, send } from "./static_files"

/** The note form's response: a Turbo Stream for this page alone. */
export async function addLocalNote(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const note = new URLSearchParams(await readBodyText(req)).get("note") ?? ""
  const stream = `<turbo-stream action="append" target="local-notes"><template><li>${escapeHtml(note)}</li></template></turbo-stream>`
  send(res, "text/vnd.turbo-stream.html; charset=utf-8", stream)
}

/** A page of links and buttons that submit with other methods than GET and POST, as Rails renders them. */
export function methodsPage(res: ServerResponse): void {
  send(
    res,
    CONTENT_TYPES[".html"],
    `<!doctype html><html><head><title>methods</title><script src="/dist/turbo-cable.min.js"></script></head><body>` +
      `<a id="delete-link" href="/test/records/1" data-turbo-method="delete">Delete</a>` +
      // What Rails' `f.button formmethod: :patch` renders, and the bare attribute.
      `<form id="rails-form" action="/test/records/1" method="post"><button id="rails-patch" name="_method" value="patch" formmethod="post">Update</button></form>` +
      `<form id="bare-form" action="/test/records/1" method="post"><button id="bare-patch" formmethod="patch">Update</button></form>` +
      `<form id="hidden-form" action="/test/records/1" method="post"><input type="hidden" name="_method" value="put"><button id="hidden-put">Put</button></form>` +
      `</body></html>\n`,
  )
}

/** A Rails controller action after `redirect_to`: the method on the wire and the one Rails would route by. */
export async function redirectAfterRecordChange(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const override = req.method === "POST" ? new URLSearchParams(await readBodyText(req)).get("_method") : null
  const query = new URLSearchParams({ wire: req.method ?? "", as: (override ?? req.method ?? "").toUpperCase() })
  res.writeHead(302, { ...HEADERS, Location: `/test/landed?${query}`, "Content-Length": 0 })
  res.end()
}

/** Where the redirect lands, saying both methods. */
export function landedPage(res: ServerResponse, searchParams: URLSearchParams): void {
  const wire = escapeHtml(searchParams.get("wire") ?? "")
  const as = escapeHtml(searchParams.get("as") ?? "")
  send(
    res,
    CONTENT_TYPES[".html"],
    `<!doctype html><html><head><title>landed</title><script src="/dist/turbo-cable.min.js"></script></head><body><h1 id="landed" data-wire="${wire}" data-as="${as}">Landed</h1></body></html>\n`,
  )
}
