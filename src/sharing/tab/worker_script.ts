// Where this build's shared worker comes from. The script-tag build is its own worker: one file, copied
// under any name or digest, is all a page needs (script.ts tells this module its URL while it runs). The
// module builds name turbo-cable-worker.js beside them in the one form bundlers recognise, so that Vite,
// webpack and Parcel emit it and rename it with the app's assets: keep that expression as it is
// (vite.config.ts keeps it from being rewritten when the library itself is built).

let selfScript: string | null = null

/** The script-tag build says where it was loaded from (`document.currentScript`, read while it runs). */
export function workerIsThisScript(url: string | null): void {
  selfScript = url
}

/** This build's own script, when it is its own worker. */
export function thisScript(): string | null {
  return selfScript
}

/** The module builds' worker beside them is usable: a classic script (the script-tag build) has no module URL. */
export function hasWorkerBeside(): boolean {
  return typeof import.meta.url == "string"
}

/** Starts or joins the shared worker `name`: at `url`, or the module builds' file beside this module. */
export function startSharedWorker(url: string | null, name: string): SharedWorker {
  if (url) return new SharedWorker(url, { name })
  return new SharedWorker(new URL("./turbo-cable-worker.js", import.meta.url), { name })
}
