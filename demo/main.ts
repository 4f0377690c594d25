// `npm start`: the demo chat on http://127.0.0.1:3000 (or the next free port), data in demo/data/.
//
// Env: PORT (a port, or 0 for any; when set it is used as given), DEMO_DATA_DIR, DEMO_SECRET
// (instead of the secret file in the data directory), DEMO_LOG=1 (log cable events).
// Prints one line to stdout once it listens: `turbo-cable demo: <url>`.

import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { startDemo } from "./app/app"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const DEFAULT_PORT = 3000

function portFromEnv(value: string | undefined): number | null {
  if (value === undefined || value === "") return null
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${JSON.stringify(value)}`)
  return port
}

async function main(): Promise<void> {
  const port = portFromEnv(process.env.PORT)
  const demo = await startDemo({
    root: ROOT,
    dataDir: resolve(process.env.DEMO_DATA_DIR || resolve(ROOT, "demo/data")),
    port: port ?? DEFAULT_PORT,
    fallbackToFreePort: port === null,
    secret: process.env.DEMO_SECRET,
    verbose: process.env.DEMO_LOG === "1",
  })
  process.stdout.write(`turbo-cable demo: ${demo.url}\n`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`[demo] ${signal}: stopping\n`)
    setTimeout(() => process.exit(1), 5000).unref() // never hang on exit
    demo.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`[demo] failed to stop cleanly: ${String(err)}\n`)
        process.exit(1)
      },
    )
  }
  process.on("SIGINT", () => stop("SIGINT"))
  process.on("SIGTERM", () => stop("SIGTERM"))
}

main().catch((err: unknown) => {
  process.stderr.write(`[demo] failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
