// Init scripts that watch a page from its first instant, before any client script runs. They only
// record (performance.now() timestamps); the scenarios read the records afterwards.

export interface ProbeEvent {
  at: number
  kind:
    | "socket-new" // a WebSocket was constructed
    | "socket-open"
    | "socket-close-called" // the client closed a socket itself
    | "socket-closed"
    | "source-connected" // a source got the `connected` attribute
    | "source-disconnected" // ... or lost it
    | "state" // <html data-turbo-cable-state> changed; detail is the new value
    | "added" // an element with an id was inserted; detail is the id
    | "freeze"
    | "resume"
  detail?: string
}

declare global {
  interface Window {
    __probe?: ProbeEvent[]
    __allConnectedAt?: number
  }
}

/**
 * Records socket lifecycles, `connected` and state attributes, inserted elements and page freezes. Its
 * WebSocket is not the browser's class, so a turbo-cable page under it keeps a socket of its own rather than
 * sharing its context's connection (src/sharing/tab/policy.ts): the socket it records is the page's.
 */
export function recordLifecycle(): void {
  const events: ProbeEvent[] = (window.__probe = [])
  const record = (kind: ProbeEvent["kind"], detail?: string) => events.push({ at: performance.now(), kind, detail })

  const NativeWebSocket = window.WebSocket
  class ProbedWebSocket extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      record("socket-new")
      this.addEventListener("open", () => record("socket-open"))
      this.addEventListener("close", () => record("socket-closed"))
    }
    override close(code?: number, reason?: string): void {
      record("socket-close-called")
      super.close(code, reason)
    }
  }
  window.WebSocket = ProbedWebSocket

  new MutationObserver((records) => {
    for (const mutation of records) {
      const target = mutation.target as Element
      if (mutation.type == "attributes" && mutation.attributeName == "connected") {
        const now = target.hasAttribute("connected")
        if (now != (mutation.oldValue !== null)) record(now ? "source-connected" : "source-disconnected")
      } else if (mutation.type == "attributes") {
        const state = target.getAttribute(mutation.attributeName!) ?? ""
        if (state != mutation.oldValue) record("state", state)
      } else {
        for (const node of mutation.addedNodes) {
          if (node instanceof Element && node.id) record("added", node.id)
          if (node instanceof Element) for (const child of node.querySelectorAll("[id]")) record("added", child.id)
        }
      }
    }
  }).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeOldValue: true,
    attributeFilter: ["connected", "data-turbo-cable-state"],
  })
  document.addEventListener("freeze", () => record("freeze"))
  document.addEventListener("resume", () => record("resume"))
}

/** Sets window.__allConnectedAt (performance.now()) when `count` sources are `connected` at once. */
export function recordAllConnected(count: number): void {
  const connected = new Set<Element>()
  new MutationObserver((records) => {
    for (const mutation of records) {
      const source = mutation.target as Element
      if (source.hasAttribute("connected")) connected.add(source)
      else connected.delete(source)
    }
    if (window.__allConnectedAt === undefined && connected.size >= count) window.__allConnectedAt = performance.now()
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["connected"] })
}
