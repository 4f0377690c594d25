// The script-tag build's socket code (vite.config.ts puts this module in place of socket_code.ts): a classic
// script cannot load a chunk, so the socket's code ships once, in the worker file beside the script, which a
// page can also run as a <script> (worker.ts). A tab that shares its browser's connection never loads it.
import type { SocketLine } from "../cable/socket_line"
import { debugEnabled } from "../log"
import { workerScriptUrl } from "./sharing"
import type { SocketCode } from "./worker"

export function loadSocketLine(here: string, workerUrl?: string): Promise<typeof SocketLine> {
  const page = globalThis as { TurboCableSocket?: SocketCode }
  return new Promise((resolve, reject) => {
    const loaded = () => {
      page.TurboCableSocket!.setDebug(debugEnabled())
      resolve(page.TurboCableSocket!.SocketLine)
    }
    if (page.TurboCableSocket) return loaded()
    const script = document.createElement("script")
    script.src = workerScriptUrl(here, workerUrl)
    script.onload = () => (page.TurboCableSocket ? loaded() : reject(new Error(`${script.src} did not load turbo-cable's socket`)))
    script.onerror = () => reject(new Error(`${script.src} could not be loaded: it must sit beside turbo-cable.min.js (or set <meta name="turbo-cable-worker">)`))
    document.head.append(script)
  })
}
