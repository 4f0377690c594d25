// The one log: debug lines when enabled, errors always, one prefix. Nothing here throws.

const PREFIX = "[turbo-cable]"
let enabled = false
/** Where debug lines go: the console, or (in the shared worker) also the tabs that log. */
let sink = (args: unknown[]): void => console.debug(PREFIX, ...args)

/** The debug log's switch (`configure({ debug })`, `logger.enabled` in turbo-cable/actioncable). */
export function setDebug(on: boolean): void {
  enabled = on
}

export function debugEnabled(): boolean {
  return enabled
}

export function debug(...args: unknown[]): void {
  if (enabled) sink(args)
}

/** Sends debug lines somewhere besides the console (the shared worker posts them to its tabs). */
export function setDebugSink(next: (args: unknown[]) => void): void {
  sink = next
}

/** Something failed that the user should see even with the debug log off. */
export function logError(what: string, error: unknown): void {
  console.error(PREFIX, what, error)
}

/** Runs an app's or a listener's callback: what it throws is logged, never thrown into a socket callback. */
export function guard(what: string, work: () => void): void {
  try {
    work()
  } catch (error) {
    logError(what, error)
  }
}
