// The demo's routes: pages on GET (always the current state, so a reload or a catch-up refetch shows
// everything), form posts answered in-band with Turbo Streams (or a redirect without Turbo).

import { readFile } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { join } from "node:path"
import type { Chat } from "./chat"
import { HttpError, readForm, redirect, send, sendHtml, sendStream, wantsTurboStream } from "./http"
import { DEFAULT_ROOM, findRoom, type Room } from "./rooms"
import type { Sessions } from "./sessions"
import { turboStream } from "./streams"
import { checkMessage, checkName, checkTopic } from "./validation"
import { composerView, errorPage, ids, messageView, roomPage, roomPath, signInPage, type Mode } from "./views"
import type { ViteAssets } from "./vite"

export interface RouterDeps {
  root: string
  chat: Chat
  sessions: Sessions
  vite: ViteAssets
  log: (line: string) => void
}

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/assets/chat.css": { file: "demo/client/chat.css", type: "text/css; charset=utf-8" },
  "/assets/chat.js": { file: "demo/client/chat.js", type: "text/javascript; charset=utf-8" },
  "/dist/turbo-cable.min.js": { file: "dist/turbo-cable.min.js", type: "text/javascript; charset=utf-8" },
  "/dist/turbo-cable.min.js.map": { file: "dist/turbo-cable.min.js.map", type: "application/json; charset=utf-8" },
}

const ROOM_PAGE = /^\/(esm\/)?rooms\/([^/]+)$/
const ROOM_ACTION = /^\/rooms\/([^/]+)\/(messages|topic)$/
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/

function roomOr404(id: string): Room {
  const room = findRoom(id)
  if (!room) throw new HttpError(404, "No such room", `There is no room called "${id}".`)
  return room
}

/** Only a room page of this app may be a redirect target. */
function safeReturnTo(value: string | undefined | null): string {
  const match = value ? ROOM_PAGE.exec(value) : null
  return match && findRoom(match[2]) ? value! : roomPath("script", DEFAULT_ROOM.id)
}

export function createRouter({ root, chat, sessions, vite, log }: RouterDeps) {
  function requireUser(req: IncomingMessage, res: ServerResponse, returnTo: string): string | null {
    const user = sessions.userFrom(req)
    if (!user) redirect(res, `/session/new?return_to=${encodeURIComponent(safeReturnTo(returnTo))}`)
    return user
  }

  /** Cross-site form posts are refused (the cookie is SameSite=Lax as well). */
  function checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      throw new HttpError(403, "Cross-site post refused", "This form was posted from another site.")
    }
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const { file, type } = STATIC_FILES[pathname]
    const body = await readFile(join(root, file)).catch(() => null)
    if (!body) throw new HttpError(404, "Not built", `${file} is missing; run \`npm run build\` (npm start does).`)
    send(req, res, 200, body, type)
  }

  function showRoom(req: IncomingMessage, res: ServerResponse, mode: Mode, roomId: string): void {
    const room = roomOr404(roomId)
    const user = requireUser(req, res, roomPath(mode, room.id))
    if (!user) return
    sendHtml(req, res, 200, roomPage(chat.roomPage(mode, user, room)))
  }

  async function postMessage(req: IncomingMessage, res: ServerResponse, room: Room): Promise<void> {
    const user = requireUser(req, res, roomPath("script", room.id))
    if (!user) return
    const form = await readForm(req)
    const input = form.require("body")
    const checked = checkMessage(input)
    const stream = wantsTurboStream(req)
    if (!checked.ok) {
      if (!stream) throw new HttpError(422, "Message not sent", checked.error)
      const composer = composerView(room, { body: input, error: checked.error })
      return sendStream(req, res, 422, [turboStream("replace", ids.composer(room.id), composer)])
    }
    const message = chat.post(user, room, checked.value)
    if (!stream) return redirect(res, roomPath("script", room.id))
    // The same append the room stream carries: whichever arrives second finds the id and changes nothing.
    sendStream(req, res, 200, [
      turboStream("append", ids.messages(room.id), messageView(message)),
      turboStream("replace", ids.composer(room.id), composerView(room)),
    ])
  }

  async function postTopic(req: IncomingMessage, res: ServerResponse, room: Room): Promise<void> {
    const user = requireUser(req, res, roomPath("script", room.id))
    if (!user) return
    const form = await readForm(req)
    const checked = checkTopic(form.require("topic"))
    if (!checked.ok) throw new HttpError(422, "Topic not changed", checked.error)
    const requestId = req.headers["x-turbo-request-id"]
    chat.setTopic(user, room, checked.value, typeof requestId === "string" && REQUEST_ID.test(requestId) ? requestId : undefined)
    redirect(res, safeReturnTo(form.get("return_to")))
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req)
    const returnTo = safeReturnTo(form.get("return_to"))
    const input = form.require("name")
    const checked = checkName(input)
    if (!checked.ok) return sendHtml(req, res, 422, signInPage({ returnTo, name: input, error: checked.error }))
    chat.signIn(checked.value)
    redirect(res, returnTo, { "Set-Cookie": sessions.signIn(checked.value) })
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { pathname } = url
    const method = req.method === "HEAD" ? "GET" : req.method
    const only = (allowed: string) => {
      if (method !== allowed) throw new HttpError(405, "Method not allowed", `${pathname} takes ${allowed} only.`)
    }

    if (pathname in STATIC_FILES) {
      only("GET")
      return serveStatic(req, res, pathname)
    }
    if (vite.handles(pathname)) {
      only("GET")
      return vite.handle(req, res, () => {
        if (!res.headersSent) fail(req, res, new HttpError(404, "Not found", `Nothing at ${pathname}.`))
      })
    }

    const page = ROOM_PAGE.exec(pathname)
    if (page) {
      only("GET")
      return showRoom(req, res, page[1] ? "esm" : "script", decodeURIComponent(page[2]))
    }

    const action = ROOM_ACTION.exec(pathname)
    if (action) {
      only("POST")
      checkOrigin(req)
      const room = roomOr404(decodeURIComponent(action[1]))
      return action[2] === "messages" ? postMessage(req, res, room) : postTopic(req, res, room)
    }

    switch (pathname) {
      case "/":
        only("GET")
        return redirect(res, roomPath("script", DEFAULT_ROOM.id))
      case "/esm":
      case "/esm/":
        only("GET")
        return redirect(res, roomPath("esm", DEFAULT_ROOM.id))
      case "/session/new":
        only("GET")
        return sendHtml(req, res, 200, signInPage({ returnTo: safeReturnTo(url.searchParams.get("return_to")) }))
      case "/session":
        only("POST")
        checkOrigin(req)
        return signIn(req, res)
      case "/session/delete":
        only("POST")
        checkOrigin(req)
        return redirect(res, "/session/new", { "Set-Cookie": sessions.signOut() })
      case "/favicon.ico":
        return send(req, res, 204, "", "image/x-icon")
    }
    throw new HttpError(404, "Not found", `Nothing at ${pathname}.`)
  }

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const known = err instanceof HttpError
    if (!known) log(`request failed: ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`)
    if (res.headersSent) return void res.destroy()
    const error = known ? err : new HttpError(500, "Something went wrong", "The server failed; nothing was saved.")
    // A body we did not read (too large, wrong type) is dropped, and so is the connection.
    const headers: Record<string, string> = req.complete ? {} : { Connection: "close" }
    req.resume()
    const page = errorPage({ status: error.status, title: error.title, detail: error.detail, posted: req.method === "POST" })
    sendHtml(req, res, error.status, page, headers)
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL
    try {
      url = new URL(req.url ?? "/", "http://localhost")
      // A malformed %-escape in a room id is a 400, not a crash.
      decodeURIComponent(url.pathname)
    } catch {
      return fail(req, res, new HttpError(400, "Bad request", "The URL is malformed."))
    }
    try {
      await route(req, res, url)
    } catch (err) {
      fail(req, res, err)
    }
  }
}
