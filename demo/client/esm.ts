// The ESM entry of the /esm/ pages, served by Vite: Turbo and turbo-cable as modules, the way an app
// with a bundler loads them. "turbo-cable" resolves through the package's `exports` to dist/turbo-cable.js.
import "@hotwired/turbo"
import { connectionState, getCable } from "turbo-cable"
import "./chat.js"

declare global {
  interface Window {
    /** What chat.js uses when there is no window.TurboCable (that is the script-tag build's global). */
    turboCableEsm?: { getCable: typeof getCable; connectionState: typeof connectionState }
  }
}

window.turboCableEsm = { getCable, connectionState }
