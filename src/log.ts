// The one log: debug lines when enabled, errors always, one prefix. Nothing here throws.

const PREFIX = "[turbo-cable]"
let enabled = false

/** The debug log's switch (`configure({ debug })`, `logger.enabled` in turbo-cable/actioncable). */
export function setDebug(on: boolean): void {
  enabled = on
}

export function debugEnabled(): boolean {
  return enabled
}

export function debug(...args: unknown[]): void {
  if (enabled) console.debug(PREFIX, ...args)
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
