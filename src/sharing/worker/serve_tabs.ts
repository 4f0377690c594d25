// The shared worker's side: every tab of an origin that names the same cable URL and identity connects here
// (sharing.ts names the worker so), and the first tab's settings open the one socket (socket_line.ts, as a
// tab would run it) that all of them share through SharedConnection. Nothing runs until serveTabs() is called:
// the script-tag build holds this code too and calls it only when it runs as a worker (script.ts).
import { systemClock } from "../../clock"
import { SocketLine } from "../../socket/socket_line"
import { debugEnabled, setDebug, setDebugSink } from "../../log"
import type { SharedSettings, TabMessage } from "../messages"
import { SharedConnection, Tab } from "./shared_connection"

interface SharedWorkerScope {
  onconnect: ((event: MessageEvent) => void) | null
  name: string
}

/** Serves the tabs that connect to this shared worker. */
export function serveTabs(scope = globalThis as unknown as SharedWorkerScope): void {
  let connection: SharedConnection | null = null
  let tabsSoFar = 0
  scope.onconnect = (event) => {
    const port = event.ports[0]
    let tab: Tab | null = null
    port.onmessage = ({ data }: MessageEvent<TabMessage>) => {
      try {
        if (data?.type != "join") return tab && connection?.heard(tab, data)
        // A tab joins again after it was let go (evicted, back from the back/forward cache): it holds nothing now.
        if (tab) connection?.leave(tab)
        const { settings } = data
        if (settings.debug) setDebug(true)
        connection ??= start(settings, scope.name)
        tab = new Tab(`tab ${++tabsSoFar}`, (message) => port.postMessage(message), systemClock.now(), settings.debug)
        connection.join(tab)
      } catch (error) {
        console.error("[turbo-cable worker]", error)
      }
    }
    port.start()
  }
}

function start(settings: SharedSettings, name: string): SharedConnection {
  const line = new SocketLine(settings, systemClock, () => WebSocket)
  const shared = new SharedConnection(line, systemClock, settings)
  setDebugSink((args) => {
    console.debug("[turbo-cable worker]", ...args)
    shared.log(args)
  })
  if (debugEnabled()) console.debug("[turbo-cable worker]", `${name}: the socket to ${settings.url} is held here`)
  return shared
}
