// Which line a tab gets, decided when something first asks for one: the connection its browser shares
// (shared_line.ts), or, where it cannot share or the worker cannot be joined, a socket of its own.
import type { Clock } from "../cable/clock"
import type { Line } from "../cable/line"
import type { LineSettings } from "../cable/socket_line"
import type { CableOptions } from "../config"
import { debug } from "../log"
import { sharedWorkerFor } from "./sharing"

export type TabLineOptions = LineSettings & Pick<CableOptions, "shareConnection" | "workerUrl" | "debug" | "unsubscribeDelay">

export async function loadTabLine(options: TabLineOptions, clock: Clock, webSocketClass: () => typeof WebSocket): Promise<Line> {
  const worker = sharedWorkerFor(options, webSocketClass())
  if (typeof worker != "string") {
    try {
      const { SharedLine } = await import("./shared_line")
      return await SharedLine.join(
        () => sharedWorkerFor(options, webSocketClass()),
        ({ cableUrl: url }) => {
          const { backoff, staleAfter, pollInterval, connectTimeout, stableAfter, extendedProtocol, debug, unsubscribeDelay } = options
          return { url, backoff, staleAfter, pollInterval, connectTimeout, stableAfter, extendedProtocol, debug, unsubscribeDelay }
        },
        clock,
      )
    } catch (error) {
      debug("a socket of this tab's own: the shared connection could not be joined:", error)
    }
  } else debug(`a socket of this tab's own: ${worker}`)
  const { SocketLine } = await import("../cable/socket_line")
  return new SocketLine(options, clock, webSocketClass)
}
