// Which line a tab gets, decided when something first asks for one: the connection its browser shares
// (shared_line.ts), or, where it cannot share or the worker cannot be joined, a socket of its own.
import type { Clock } from "../cable/clock"
import type { Line } from "../cable/line"
import type { LineSettings } from "../cable/socket_line"
import type { CableOptions } from "../config"
import { debug, logError } from "../log"
import { loadSocketLine } from "./socket_code"

export type TabLineOptions = LineSettings & Pick<CableOptions, "shareConnection" | "workerUrl" | "debug" | "unsubscribeDelay">

// Read while this script runs: a classic script (the script-tag build) is `document.currentScript` only now,
// and an ES module is `import.meta.url`. The worker file sits beside either.
const here = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src || import.meta.url

export async function loadTabLine(options: TabLineOptions, clock: Clock, webSocketClass: () => typeof WebSocket): Promise<Line> {
  if (!options.shareConnection) debug("a socket of this tab's own: sharing is turned off")
  else if (typeof SharedWorker == "undefined") debug("a socket of this tab's own: this browser has no SharedWorker")
  else {
    try {
      const { joinSharedConnection } = await import("./shared_line")
      return await joinSharedConnection(options, clock, webSocketClass, here)
    } catch (error) {
      debug("a socket of this tab's own:", error instanceof Error ? error.message : error)
    }
  }
  try {
    const SocketLine = await loadSocketLine(here, options.workerUrl)
    return new SocketLine(options, clock, webSocketClass)
  } catch (error) {
    logError("the socket's code could not be loaded", error)
    throw error
  }
}
