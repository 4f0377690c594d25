// Pages whose shared worker fails in each way a deployment can make it fail, for the tests that a page stays
// live whatever happens to sharing (test/engines/worker_faults.spec.ts). The page loads the script-tag build
// from /test/faults/<fault>/turbo-cable.min.js, which is its own worker: the page's request (Sec-Fetch-Dest:
// script) gets the real file, the worker's (Sec-Fetch-Dest: sharedworker) gets the fault. Every engine tested
// sends that header.
import type { IncomingMessage } from "node:http"
import { escapeHtml } from "../../demo/app/html"

export const WORKER_FAULTS = ["404", "403", "script-error", "no-answer", "csp", "other-origin", "no-shared-worker"] as const
/** "gone-after-first": the first worker starts; any later one (after the browser ended the first) gets a 404. */
export type WorkerFault = (typeof WORKER_FAULTS)[number] | "gone-after-first"

export function isWorkerFault(name: string): name is WorkerFault {
  return name == "gone-after-first" || (WORKER_FAULTS as readonly string[]).includes(name)
}

let workersStarted = 0

/** What the worker's request gets instead of the script, or null for the script itself. */
export function faultyWorker(fault: WorkerFault, req: IncomingMessage): { status: number; body: string } | null {
  if (req.headers["sec-fetch-dest"] != "sharedworker") return null
  switch (fault) {
    case "gone-after-first":
      return workersStarted++ == 0 ? null : { status: 404, body: "not found\n" }
    case "404":
      return { status: 404, body: "not found\n" }
    case "403":
      return { status: 403, body: "forbidden\n" }
    case "script-error":
      return { status: 200, body: 'throw new Error("a broken build")\n' }
    case "no-answer":
      // A worker that runs and never answers: a script error inside its message handler looks like this.
      return { status: 200, body: "self.onconnect = () => {}\n" }
    default:
      return null
  }
}

/**
 * A page showing `list` (its source server-rendered, the identity tag on), recording when its source was first
 * connected (performance.now(), from the navigation's start) and every console warning.
 * `otherOrigin`: the app's origin under another name (localhost for 127.0.0.1), for the script to come from.
 */
export function faultPage(fault: WorkerFault, signedList: string, otherOrigin: string): { html: string; headers: Record<string, string> } {
  const script = fault == "other-origin" ? `${otherOrigin}/dist/turbo-cable.min.js` : `/test/faults/${fault}/turbo-cable.min.js`
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>worker fault: ${fault}</title>` +
    `<meta name="action-cable-url" content="/cable"><meta name="turbo-cable-identity" content="faults">` +
    `<script>window.__warnings = []; const warn = console.warn; console.warn = (...args) => { __warnings.push(args.join(" ")); warn(...args) };` +
    `new MutationObserver(() => { window.__connectedAt ??= document.querySelector("turbo-cable-stream-source[connected]") ? performance.now() : undefined })` +
    `.observe(document, { subtree: true, attributes: true, attributeFilter: ["connected"] });` +
    (fault == "no-shared-worker" ? "delete window.SharedWorker;" : "") +
    `</script><script src="${escapeHtml(script)}"></script></head>` +
    `<body><turbo-cable-stream-source channel="Turbo::StreamsChannel" signed-stream-name="${escapeHtml(signedList)}"></turbo-cable-stream-source>` +
    `<ul id="items"></ul></body></html>\n`
  return { html, headers: fault == "csp" ? { "Content-Security-Policy": "worker-src 'none'" } : {} }
}
