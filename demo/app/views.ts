// Every page and partial of the demo. Partials are what the pages render on GET and what the server
// broadcasts, so a page rendered now and a page kept live by the socket show the same markup.

import { createHash } from "node:crypto"
import { PROTOCOL } from "../server/protocol"
import { cssString, html, type SafeHtml } from "./html"
import { ROOMS, type Room } from "./rooms"
import type { Message } from "./store"
import { MAX_NAME_CHARS, MAX_TOPIC_CHARS } from "./validation"

/** How the page loads turbo-cable: the classic script tag, or the ESM build through Vite. */
export type Mode = "script" | "esm"

export const ids = {
  messages: (room: string) => `messages_${room}`,
  composer: (room: string) => `composer_${room}`,
  typing: (room: string) => `typing_${room}`,
  presence: (room: string) => `presence_${room}`,
  unread: (room: string) => `unread_${room}`,
  message: (id: number) => `message_${id}`,
  // Names may hold spaces and dots; hex keeps the id plain.
  person: (room: string, user: string) => `presence_${room}_${Buffer.from(user, "utf8").toString("hex")}`,
}

const BUILD_LABELS: Record<Mode, string> = { script: "script tag", esm: "ESM + Vite" }

export function roomPath(mode: Mode, room: string): string {
  return mode === "esm" ? `/esm/rooms/${room}` : `/rooms/${room}`
}

function clock(iso: string): string {
  const at = new Date(iso)
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`
}

// ---- partials ---------------------------------------------------------------------------------

export function messageView(message: Message): SafeHtml {
  return html`<article id="${ids.message(message.id)}" class="message" data-author="${message.author}">
  <header><strong class="author">${message.author}</strong> <time datetime="${message.at}">${clock(message.at)}</time></header>
  <p class="body">${message.body}</p>
</article>`
}

export interface ComposerState {
  body?: string
  error?: string
}

export function composerView(room: Room, state: ComposerState = {}): SafeHtml {
  const id = ids.composer(room.id)
  return html`<form id="${id}" class="composer" action="/rooms/${room.id}/messages" method="post" data-composer>
  <label class="visually-hidden" for="${id}_body">Message</label>
  <textarea id="${id}_body" name="body" rows="2" autofocus autocomplete="off"
    placeholder="Message #${room.name}. Enter sends, Shift+Enter adds a line."
    ${state.error ? html`aria-invalid="true" aria-describedby="${id}_error"` : ""}>${state.body ?? ""}</textarea>
  <button type="submit">Send</button>
  ${state.error ? html`<p id="${id}_error" class="error" role="alert">${state.error}</p>` : ""}
</form>`
}

export function presenceView(room: string, users: readonly string[]): SafeHtml {
  return html`<ul id="${ids.presence(room)}" class="people">${users.map(
    (user) => html`<li id="${ids.person(room, user)}"><span class="dot" aria-hidden="true"></span>${user}</li>`,
  )}</ul>`
}

/** The inside of the typing line (it is updated, not replaced). */
export function typingItems(users: readonly string[]): SafeHtml {
  return html`${users.map((user) => html`<li data-user="${user}">${user} is typing…</li>`)}`
}

export function unreadBadge(room: string, count: number): SafeHtml {
  return html`<span id="${ids.unread(room)}" class="unread" data-count="${count}"${count === 0 ? html` hidden` : ""}>${
    count > 0 ? html`${count}<span class="visually-hidden"> unread</span>` : ""
  }</span>`
}

function streamSource(id: string, signedName: string): SafeHtml {
  return html`<turbo-cable-stream-source id="${id}" channel="${PROTOCOL.channel}" signed-stream-name="${signedName}"></turbo-cable-stream-source>`
}

// ---- layout -----------------------------------------------------------------------------------

interface LayoutOptions {
  title: string
  head?: SafeHtml
  body: SafeHtml
}

function layout({ title, head, body }: LayoutOptions): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/assets/chat.css">
${head}
</head>
<body>
${body}
</body>
</html>
`
}

function scripts(mode: Mode): SafeHtml {
  // data-turbo-track: switching between the two builds is a full page load, never a Turbo visit.
  return mode === "esm"
    ? html`<script type="module" src="/demo/client/esm.ts" data-turbo-track="reload"></script>`
    : html`<script src="/dist/turbo-cable.min.js" data-turbo-track="reload"></script>
<script src="/assets/chat.js" defer data-turbo-track="reload"></script>`
}

// ---- pages ------------------------------------------------------------------------------------

export interface RoomPageData {
  mode: Mode
  user: string
  room: Room
  topic: string
  messages: readonly Message[]
  unread: ReadonlyMap<string, number>
  present: readonly string[]
  typing: readonly string[]
  /** Signed names of the page's three streams. */
  signed: { room: string; presence: string; unread: string }
  /** When the page's data was read (Unix seconds): an AnyCable client asks the history for what came after. */
  readAt: number
}

export function roomPage(data: RoomPageData): SafeHtml {
  const { mode, user, room } = data
  const other: Mode = mode === "esm" ? "script" : "esm"
  // Tabs of one browser share one connection only when they are for the same user (an opaque digest).
  const head = html`<meta name="action-cable-url" content="${PROTOCOL.defaultPath}">
<meta name="turbo-cable-identity" content="${identityOf(user)}">
<meta name="cable-history-timestamp" content="${String(data.readAt)}">
<meta name="turbo-refresh-method" content="morph">
<meta name="turbo-refresh-scroll" content="preserve">
<style>
  .message[data-author=${cssString(user)}] { background: var(--mine); }
  .typing li[data-user=${cssString(user)}] { display: none; }
</style>
${scripts(mode)}`

  const body = html`<header class="topbar">
  <h1><a href="${roomPath(mode, room.id)}">turbo-cable chat</a></h1>
  <span id="connection-status" class="status" role="status" data-state="idle">connecting…</span>
  <span class="build">${BUILD_LABELS[mode]} · <a href="${roomPath(other, room.id)}" data-turbo="false">try ${BUILD_LABELS[other]}</a></span>
  <form class="me" action="/session/delete" method="post" data-turbo="false">
    <span>Signed in as <strong id="me">${user}</strong></span> <button type="submit">Sign out</button>
  </form>
</header>
<div class="layout">
  <nav class="rooms" aria-label="Rooms">
    <h2>Rooms</h2>
    ${streamSource("unread_source", data.signed.unread)}
    <ul id="room_list">${ROOMS.map(
      (each) => html`
      <li><a href="${roomPath(mode, each.id)}"${each.id === room.id ? html` aria-current="page"` : ""}>#${each.name}</a>
        ${unreadBadge(each.id, data.unread.get(each.id) ?? 0)}</li>`,
    )}
    </ul>
  </nav>
  <main class="room" data-room="${room.id}">
    <header class="room-header">
      <h2>#${room.name}</h2>
      <p id="topic" class="topic">${data.topic}</p>
      <details class="topic-edit">
        <summary>Change the topic</summary>
        <form action="/rooms/${room.id}/topic" method="post">
          <input type="hidden" name="return_to" value="${roomPath(mode, room.id)}">
          <label>Topic <input name="topic" value="${data.topic}" maxlength="${MAX_TOPIC_CHARS}"></label>
          <button type="submit">Save (everyone's page refreshes)</button>
        </form>
      </details>
    </header>
    ${streamSource("room_source", data.signed.room)}
    ${streamSource("presence_source", data.signed.presence)}
    <div class="scroller">
      <section id="${ids.messages(room.id)}" class="messages" aria-label="Messages">
        <p class="empty">No messages yet. Say something!</p>
        ${data.messages.map(messageView)}
      </section>
    </div>
    <ul id="${ids.typing(room.id)}" class="typing" aria-live="polite">${typingItems(data.typing)}</ul>
    ${composerView(room)}
  </main>
  <aside class="presence" aria-label="Who is here">
    <h2>Here now</h2>
    ${presenceView(room.id, data.present)}
  </aside>
</div>`

  return layout({ title: `#${room.name} · turbo-cable chat`, head, body })
}

export interface SignInData {
  returnTo: string
  name?: string
  error?: string
}

export function signInPage(data: SignInData): SafeHtml {
  return layout({
    title: "Sign in · turbo-cable chat",
    body: html`<main class="sign-in">
  <h1>turbo-cable chat</h1>
  <p>A live chat over one Action Cable WebSocket: server-rendered pages, Turbo Streams, no client framework.
    Pick a name; open a second browser (or a private window) with another one.</p>
  <form action="/session" method="post" data-turbo="false">
    <input type="hidden" name="return_to" value="${data.returnTo}">
    <label for="name">Your name</label>
    <input id="name" name="name" value="${data.name ?? ""}" maxlength="${MAX_NAME_CHARS}" autofocus autocomplete="nickname"
      ${data.error ? html`aria-invalid="true" aria-describedby="name_error"` : ""}>
    <button type="submit">Join</button>
    ${data.error ? html`<p id="name_error" class="error" role="alert">${data.error}</p>` : ""}
  </form>
</main>`,
  })
}

export interface ErrorPageData {
  status: number
  title: string
  detail: string
  /** The request was a form post: say that nothing was saved. */
  posted?: boolean
}

export function errorPage({ status, title, detail, posted }: ErrorPageData): SafeHtml {
  return layout({
    title: `${title} · turbo-cable chat`,
    body: html`<main class="error-page">
  <p class="status-code">${status}</p>
  <h1>${title}</h1>
  <p id="error-detail">${detail}</p>
  <p>${posted ? "Nothing was saved. " : ""}<a href="/">Back to the chat</a></p>
</main>`,
  })
}

/** An opaque digest of the signed-in user, for <meta name="turbo-cable-identity">. */
function identityOf(user: string): string {
  return createHash("sha256").update(`turbo-cable demo user ${user}`).digest("hex").slice(0, 20)
}
