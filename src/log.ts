// The debug log: off unless `configure({ debug: true })`; never throws.

let enabled = false

export function setDebug(on: boolean): void {
  enabled = on
}

export function debug(...args: unknown[]): void {
  if (enabled) console.debug("[turbo-cable]", ...args)
}
