// What the browser asks the test server's app for, /cable aside (the cable server answers upgrades): the live
// pages of the lists (live_lists.ts), pages whose shared worker fails (worker_faults.ts), the pages of the specs
// on Turbo's requests (form_pages.ts), and static files: dist/, node_modules/, the test pages, the deployments.
import type { IncomingMessage, ServerResponse } from "node:http"
import { sign } from "../../demo/server/signed_stream"
import { addLocalNote, landedPage, methodsPage, redirectAfterRecordChange } from "./form_pages"
import { failRequest } from "./http"
import { LOG_CAP, type LiveLists } from "./live_lists"
import { CONTENT_TYPES, HEADERS, notFound, send, serveFile, staticFile, type StaticRoots } from "./static_files"
import { faultPage, faultyWorker, isWorkerFault } from "./worker_faults"

export interface AppParts {
  lists: LiveLists
  secret: string
  /** The script-tag build the fault pages load. */
  scriptFile: string
  roots: StaticRoots
  /** The app's origin under another name (localhost for 127.0.0.1), for the fault page whose script comes from there. */
  otherOrigin: () => string
}

export class AppRoutes {
  /** The app's answers of 400 and above (a page's 404 for a file it asked for, say), for GET /http-errors. */
  readonly httpErrors: Array<{ url: string; status: number }> = []

  constructor(private readonly parts: AppParts) {}

  /** The app server's request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    res.on("finish", () => res.statusCode >= 400 && this.httpErrors.length < LOG_CAP && this.httpErrors.push({ url: req.url ?? "", status: res.statusCode }))
    this.handle(req, res).catch((err: unknown) => failRequest(res, err))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, searchParams } = new URL(req.url ?? "/", "http://localhost")
    if (req.method === "POST" && pathname === "/test/notes") return addLocalNote(req, res)
    if (pathname === "/test/records/1" && req.method !== "GET" && req.method !== "HEAD") return redirectAfterRecordChange(req, res)
    if (req.method === "GET" && pathname === "/test/methods") return methodsPage(res)
    if (req.method === "GET" && pathname === "/test/landed") return landedPage(res, searchParams)
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, "text/plain; charset=utf-8", "method not allowed\n", 405)
    const headOnly = req.method === "HEAD"

    // /test/faults/<fault>/page?list=NAME and its script, whose worker fails in that way (worker_faults.ts).
    const fault = /^\/test\/faults\/([^/]+)\/(page|turbo-cable\.min\.js)$/.exec(pathname)
    if (fault && isWorkerFault(fault[1])) {
      if (fault[2] == "page") {
        const page = faultPage(fault[1], sign(this.parts.secret, searchParams.get("list") ?? "faults"), this.parts.otherOrigin())
        res.writeHead(200, { ...HEADERS, ...page.headers, "Content-Type": CONTENT_TYPES[".html"] })
        return void res.end(headOnly ? undefined : page.html)
      }
      const failed = faultyWorker(fault[1], req)
      if (failed) return send(res, CONTENT_TYPES[".js"], failed.body, failed.status)
      return serveFile(res, this.parts.scriptFile, headOnly)
    }

    // /test/cached/<list> is the same page with headers that let the browser keep it in its HTTP cache (and in
    // the back/forward cache, which skips no-store pages): a back navigation may show a copy of any age.
    const livePrefix = pathname.startsWith("/test/cached/") ? "/test/cached/" : "/test/live/"
    if (pathname.startsWith(livePrefix)) {
      let listName: string
      try {
        listName = decodeURIComponent(pathname.slice(livePrefix.length))
      } catch {
        return send(res, "text/plain; charset=utf-8", "bad list name\n", 400)
      }
      if (listName === "") return notFound(res)
      return this.parts.lists.serve(req, res, listName, {
        cacheable: livePrefix == "/test/cached/",
        morphRefresh: searchParams.get("refresh") == "morph",
        identity: searchParams.get("identity"),
        headOnly,
      })
    }

    const file = staticFile(this.parts.roots, pathname)
    if (!file) return notFound(res)
    return serveFile(res, file, headOnly)
  }
}

