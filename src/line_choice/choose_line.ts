// Which line a tab gets: the connection its browser shares (shared_line.ts) where the page may share and the
// worker can be joined, else a socket of the tab's own. Nothing optional may leave a page without a
// connection: whatever stops the shared line, before or after it was joined, the tab goes on on its own socket
// and says why (a debug line when the page chose it, else a warning with the fix, once).
import type { Clock } from "../clock"
import type { Line } from "../line"
import { debug } from "../log"
import { sharedWorkerFor, type OwnSocket, type SharedWorkerSpec } from "../sharing/tab/policy"
import { thisScript } from "../sharing/tab/worker_script"
import type { TabLineOptions } from "../config"


export async function chooseLine(options: TabLineOptions, clock: Clock, webSocketClass: () => typeof WebSocket, replace: (next: Line) => void): Promise<Line> {
  let told = false
  const ownSocket = async ({ why, expected }: OwnSocket): Promise<Line> => {
    const said = `a connection of this tab's own: ${why}`
    if (expected || told) debug(said)
    else console.warn(`[turbo-cable] ${said}. This tab is live, but shares no connection with the browser's other tabs.`)
    told ||= !expected
    // A chunk beside the module builds (a page that shares never loads it); inside the script-tag build.
    const { SocketLine } = await import("../socket/socket_line")
    return new SocketLine(options, clock, webSocketClass)
  }
  /** The worker to join, or why not. `decided`: the tab shares already and joins again: only the key is read anew. */
  const sharing = (decided: boolean): SharedWorkerSpec | OwnSocket => {
    if (typeof SharedWorker == "undefined") return { why: "this browser has no SharedWorker", expected: true }
    return sharedWorkerFor(options, webSocketClass(), thisScript(), decided)
  }

  const first = sharing(false)
  if ("why" in first) return ownSocket(first)
  const { SharedLine } = await import("../sharing/tab/shared_line")
  const joined = await SharedLine.join(sharing, options, clock, (why) => ownSocket(why).then(replace))
  return "why" in joined ? ownSocket(joined) : joined
}
