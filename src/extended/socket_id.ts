// "Broadcast to others": with an AnyCable session, Turbo's requests name this connection, so the server can
// leave it out of what the request broadcasts (AnyCable's `broadcast_*_to ... exclude`, as
// @anycable/turbo-stream's requestSocketIDHeader does).

/** Adds `header(): sessionId()` to each Turbo request while both are set. */
export function nameConnectionInRequests(document: Document, header: () => string | false, sessionId: () => string | null): void {
  document.addEventListener("turbo:before-fetch-request", (event) => {
    const name = header()
    const id = sessionId()
    const headers = (event as CustomEvent<{ fetchOptions?: { headers?: Record<string, string> } }>).detail?.fetchOptions?.headers
    if (name && id && headers && !headers[name]) headers[name] = id
  })
}
