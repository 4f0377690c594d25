// The shared worker's entry (dist/turbo-cable-worker.js): every tab of an origin that names the same cable
// URL and identity connects here (sharing.ts names the worker so), and the first tab's settings open the one
// socket (socket_line.ts, as a tab would run it) that all of them share through SharedConnection.
// Loaded by a page instead (a classic <script>), it hands the page the socket's code: the script-tag build
// has none of its own and loads it from here when the tab cannot share (socket_beside.ts).
import { systemClock } from "../cable/clock"
import { SocketLine } from "../cable/socket_line"
import { debugEnabled, setDebug, setDebugSink } from "../log"
import type { TabMessage } from "./messages"
import { SharedConnection, Tab } from "./shared_connection"

interface SharedWorkerScope {
  onconnect: ((event: MessageEvent) => void) | null
  name: string
}

const scope = globalThis as unknown as SharedWorkerScope
let connection: SharedConnection | null = null
let tabsSoFar = 0

/** What a page that loads this file gets (the script-tag build's socket, see socket_beside.ts). */
export interface SocketCode {
  SocketLine: typeof SocketLine
  setDebug: typeof setDebug
}

if (typeof document == "object") (globalThis as { TurboCableSocket?: SocketCode }).TurboCableSocket = { SocketLine, setDebug }
else scope.onconnect = (event) => {
  const port = event.ports[0]
  let tab: Tab | null = null
  port.onmessage = ({ data }: MessageEvent<TabMessage>) => {
    try {
      if (data?.type != "join") return tab && connection?.heard(tab, data)
      // A tab joins again after it was let go (evicted, back from the back/forward cache): it holds nothing now.
      if (tab) connection?.leave(tab)
      const { settings } = data
      if (settings.debug) setDebug(true)
      connection ??= start(settings)
      tab = new Tab(`tab ${++tabsSoFar}`, (message) => port.postMessage(message), systemClock.now(), settings.debug)
      connection.join(tab)
    } catch (error) {
      console.error("[turbo-cable worker]", error)
    }
  }
  port.start()
}

function start(settings: Extract<TabMessage, { type: "join" }>["settings"]): SharedConnection {
  const line = new SocketLine(settings, systemClock, () => WebSocket)
  const shared = new SharedConnection(line, systemClock, () => settings.unsubscribeDelay)
  setDebugSink((args) => {
    console.debug("[turbo-cable worker]", ...args)
    shared.log(args)
  })
  if (debugEnabled()) console.debug("[turbo-cable worker]", `${scope.name}: the socket to ${settings.url} is held here`)
  return shared
}
