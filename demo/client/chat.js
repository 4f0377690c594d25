// The little the chat does in the browser: show the connection state, send typing indicators, submit on
// Enter. Everything else is server-rendered HTML and Turbo Streams. Runs as a classic script (after
// turbo-cable.min.js) or as a module imported by esm.ts; either way it finds the cable through
// window.TurboCable (script tag) or window.turboCableEsm (ESM entry).

const STATUS_LABELS = {
  idle: "starting…",
  connecting: "connecting…",
  connected: "connected",
  disconnected: "offline, retrying…",
  reconnecting: "reconnecting…",
  "caught-up": "caught up",
  behind: "behind: catches up when shown",
  stopped: "refused: sign in again",
}
// Re-sent this often while typing; the server forgets a typist after 4 s of silence.
const TYPING_EVERY_MS = 1500

let lastReason = ""
let lastCaughtUp = null

function cable() {
  const api = window.TurboCable || window.turboCableEsm
  return api ? api.getCable() : null
}

function paintStatus() {
  const status = document.getElementById("connection-status")
  if (!status) return
  const state = document.documentElement.getAttribute("data-turbo-cable-state") || "idle"
  status.dataset.state = state
  // Open a second tab: the badge says they share one connection (turbo-cable's shared worker).
  const tabs = Number(document.documentElement.getAttribute("data-turbo-cable-tabs") || 1)
  const label = STATUS_LABELS[state] || state
  status.textContent = tabs > 1 && state !== "stopped" ? `${label} · ${tabs} tabs, 1 connection` : label
  const details = [lastReason && `last drop: ${lastReason}`, lastCaughtUp && `caught up at ${lastCaughtUp.toLocaleTimeString()}`]
  status.title = details.filter(Boolean).join("; ")
}

document.addEventListener("turbo-cable:state", (event) => {
  if (event.detail && event.detail.reason) lastReason = event.detail.reason
  paintStatus()
})
document.addEventListener("turbo-cable:tabs", paintStatus)
document.addEventListener("turbo-cable:caught-up", () => {
  lastCaughtUp = new Date()
  paintStatus()
})
// The status element is server-rendered: paint it again whenever Turbo or a catch-up renders the body.
for (const name of ["turbo:load", "turbo:render", "turbo:morph", "DOMContentLoaded"]) {
  document.addEventListener(name, paintStatus)
}
paintStatus()

// ---- typing: `perform` on the presence subscription, so it rides the one socket -----------------

let lastTypingSent = 0

function perform(data) {
  const source = document.getElementById("presence_source")
  const instance = cable()
  if (source && source.identifier && instance) instance.perform(source.identifier, data)
}

function composerField(target) {
  return target instanceof HTMLTextAreaElement && target.closest("form[data-composer]") ? target : null
}

document.addEventListener("input", (event) => {
  const field = composerField(event.target)
  if (!field) return
  const now = Date.now()
  if (field.value.trim() === "") {
    lastTypingSent = 0
    perform({ action: "stopped_typing" })
  } else if (now - lastTypingSent > TYPING_EVERY_MS) {
    lastTypingSent = now
    perform({ action: "typing" })
  }
})

document.addEventListener("keydown", (event) => {
  const field = composerField(event.target)
  if (!field || event.key !== "Enter" || event.shiftKey || event.isComposing) return
  event.preventDefault()
  field.form.requestSubmit()
})

document.addEventListener("turbo:submit-start", (event) => {
  if (event.target instanceof HTMLFormElement && event.target.matches("form[data-composer]")) lastTypingSent = 0
})
