// The bundler story: the /esm/ pages load demo/client/esm.ts, which imports "turbo-cable" (resolved
// through this package's `exports` to dist/turbo-cable.js) and "@hotwired/turbo", served by Vite in
// middleware mode. Vite starts on the first request that needs it, so the script-tag pages never
// wait for it.

import type { IncomingMessage, ServerResponse } from "node:http"
import { join } from "node:path"
import type { ViteDevServer } from "vite"

/** URL prefixes Vite answers: the entry, its modules and pre-bundled dependencies. */
const VITE_PREFIXES = ["/demo/client/", "/dist/", "/node_modules/", "/@vite/", "/@fs/", "/@id/"]

export class ViteAssets {
  private server: Promise<ViteDevServer> | null = null

  constructor(
    private readonly root: string,
    private readonly cacheDir: string,
  ) {}

  handles(pathname: string): boolean {
    return VITE_PREFIXES.some((prefix) => pathname.startsWith(prefix))
  }

  async handle(req: IncomingMessage, res: ServerResponse, notFound: () => void): Promise<void> {
    const vite = await (this.server ??= this.start())
    vite.middlewares(req, res, notFound)
  }

  async close(): Promise<void> {
    if (!this.server) return
    const vite = await this.server.catch(() => null)
    await vite?.close()
  }

  private async start(): Promise<ViteDevServer> {
    const { createServer } = await import("vite")
    return createServer({
      configFile: false,
      root: this.root,
      appType: "custom",
      logLevel: "warn",
      cacheDir: this.cacheDir,
      // No HMR socket: the page's only WebSocket is the cable.
      server: {
        middlewareMode: true,
        hmr: false,
        ws: false,
        // Whatever host name the demo is reached by (a LAN name, a reverse proxy): Vite refuses names it does not
        // know with 403, which would leave this page without its modules. What Vite serves here is the demo's
        // public client code and the packages it loads (fs.allow below), nothing a DNS rebinding could steal.
        allowedHosts: true,
        // What the pages need, nothing else (not the data directory, not the sources of the server).
        fs: {
          strict: true,
          allow: [join(this.root, "demo/client"), join(this.root, "dist"), join(this.root, "node_modules"), this.cacheDir],
        },
      },
      // Pre-bundle Turbo up front so a first visit never triggers a reload for a newly found dependency.
      // turbo-cable itself is not pre-bundled: the page runs dist/turbo-cable.js as built.
      optimizeDeps: {
        entries: ["demo/client/esm.ts"],
        include: ["@hotwired/turbo"],
        exclude: ["turbo-cable"],
      },
    })
  }
}
