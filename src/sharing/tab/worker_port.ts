// A tab's port to its shared worker: the worker started (worker_script.ts), every way it can fail to start told
// with what fixes it (an `error` event, a Content-Security-Policy that forbids it, the browser refusing it), and the
// messages both ways.
import type { Clock } from "../../clock"
import type { TabLineOptions } from "../../config"
import { debug } from "../../log"
import type { SharedSettings, TabMessage, WorkerMessage } from "../messages"
import { WORKER_META, type OwnSocket, type SharedWorkerSpec } from "./policy"
import { startSharedWorker } from "./worker_script"

/** How long a failure waits for the page's violation report, which says why better. */
const REPORT_WAIT = 50

/** What the worker is told of the tab's settings: the cable URL resolved, no functions. */
export function sharedSettings(options: TabLineOptions, { cableUrl: url }: SharedWorkerSpec): SharedSettings {
  const { backoff, staleAfter, pollInterval, connectTimeout, stableAfter, extendedProtocol, debug, unsubscribeDelay, confirmTimeout, maxSubscribeRetries } = options
  return { url, backoff, staleAfter, pollInterval, connectTimeout, stableAfter, extendedProtocol, debug, unsubscribeDelay, confirmTimeout, maxSubscribeRetries }
}

/** Why a worker could not be started or joined, with what fixes it. */
export function workerFailed(spec: SharedWorkerSpec, what: string): OwnSocket {
  const where = spec.url ?? "turbo-cable-worker.js (beside turbo-cable's module)"
  return {
    why: `the shared worker ${where} ${what}. Serve it from the page's origin as JavaScript, allow it in worker-src, or name it with <meta name="${WORKER_META}">`,
    expected: false,
  }
}

export class WorkerPort {
  /** The watch for a Content-Security-Policy that forbids the worker, while its join is under way. */
  private readonly policyWatch = new AbortController()
  /** Every listener on the worker: a port closed leaves nothing behind that keeps the worker's objects alive. */
  private readonly listening = new AbortController()
  private readonly port: MessagePort | null = null

  /**
   * Starts (or joins) the worker `spec` names, its messages going straight to `heard`; `failed` is told, once or
   * more, why it cannot be.
   */
  constructor(private readonly spec: SharedWorkerSpec, clock: Clock, heard: (event: MessageEvent<WorkerMessage>) => void, failedHere: (why: OwnSocket) => void) {
    // A report that comes after the port closed (a rejoin started another) is not the new worker's.
    const failed = (why: OwnSocket) => this.listening.signal.aborted || failedHere(why)
    // A worker the page's policy forbids fails with an `error` event, or (WebKit) a constructor that throws, that
    // do not say so: the violation report does, when it comes first.
    const forbidden = (event: SecurityPolicyViolationEvent) => {
      const directive = event.effectiveDirective || event.violatedDirective
      if (/^(worker|child|script|default)-src/.test(directive) && /^https?:/.test(event.blockedURI)) {
        failed(workerFailed(spec, `is forbidden by the page's Content-Security-Policy (${directive})`))
      }
    }
    document.addEventListener("securitypolicyviolation", forbidden, { signal: this.policyWatch.signal })
    let worker: SharedWorker
    try {
      worker = startSharedWorker(spec.url, spec.name)
    } catch (error) {
      const refused = workerFailed(spec, `was refused by the browser (${error instanceof Error ? error.message : error})`)
      clock.after(REPORT_WAIT, () => failed(refused))
      return
    }
    const loadFailed = () => clock.after(REPORT_WAIT, () => failed(workerFailed(spec, "failed to load (a 404, a 403, a script error)")))
    worker.addEventListener("error", loadFailed, { signal: this.listening.signal })
    const port = (this.port = worker.port)
    port.onmessage = heard
    port.start()
  }

  /** True when this port is to the worker `spec` names, and still open. */
  reaches(spec: SharedWorkerSpec): boolean {
    return !!this.port && !this.listening.signal.aborted && spec.url == this.spec.url && spec.name == this.spec.name
  }

  post(message: TabMessage): boolean {
    try {
      this.port?.postMessage(message)
      return !!this.port
    } catch (error) {
      debug("could not post to the shared worker:", error)
      return false
    }
  }

  /** The join is over, either way: a later policy violation is not this worker's. */
  joinedOrFailed(): void {
    this.policyWatch.abort()
  }

  close(): void {
    this.policyWatch.abort()
    this.listening.abort()
    if (!this.port) return
    this.port.onmessage = null
    this.port.close()
  }
}
