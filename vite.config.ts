// The builds, one `vite build --mode NAME` each (`npm run build` runs them all):
//   esm                   dist/turbo-cable.js     for bundlers: Turbo and idiomorph external
//   actioncable           dist/actioncable.js     `turbo-cable/actioncable`, the same for bundlers
//   importmap             dist/importmap/turbo-cable.js   for import maps: only Turbo (and the lazy idiomorph) bare
//   importmap-actioncable dist/importmap/actioncable.js
//   script                dist/turbo-cable.min.js classic script, everything inside; also its own shared worker
//   worker                dist/turbo-cable-worker.js the module builds' shared worker (classic), beside them
// The actioncable entries import the page's cable from "turbo-cable" (a bare import of the main entry), so
// a page that loads both has one cable, one socket, whichever way each was resolved.
import { dirname, resolve } from "node:path"
import { defineConfig, type Plugin, type UserConfig } from "vite"

const src = (file: string) => resolve(import.meta.dirname, "src", file)
const MAIN_ENTRY = src("index.ts")
const RUNTIME_DEPENDENCIES = ["@hotwired/turbo", "idiomorph"]

const isMainEntry = (file: string) => file.replace(/\.ts$/, "") == MAIN_ENTRY.replace(/\.ts$/, "")

/**
 * `new SharedWorker(new URL("./turbo-cable-worker.js", import.meta.url), ...)` must reach the builds as written:
 * it is the form the app's bundler (Vite, webpack, Parcel) recognises to emit the worker file and rename it with
 * the app's assets. Vite would rewrite it while building this library: it is hidden from Vite here and put
 * back in the output.
 */
const WORKER_BESIDE = 'new URL("./turbo-cable-worker.js", import.meta.url)'
// As long as the expression, so that the source maps stay true (the transform moves nothing).
const WORKER_BESIDE_HIDDEN = "__TURBO_CABLE_WORKER_BESIDE__".padEnd(WORKER_BESIDE.length, "_")
/** `output`: what the expression becomes in the build (the classic script has no import.meta, and no file beside). */
const workerBeside = (output = WORKER_BESIDE): Plugin => ({
  name: "turbo-cable:worker-beside",
  enforce: "pre",
  transform(code) {
    if (code.includes(WORKER_BESIDE)) return { code: code.replaceAll(WORKER_BESIDE, WORKER_BESIDE_HIDDEN), map: null }
  },
  renderChunk(code) {
    if (code.includes(WORKER_BESIDE_HIDDEN)) return { code: code.replaceAll(WORKER_BESIDE_HIDDEN, output), map: null }
  },
  // The source maps carry the sources as written.
  generateBundle(_, bundle) {
    for (const file of Object.values(bundle)) {
      if (file.type == "asset" && file.fileName.endsWith(".map") && typeof file.source == "string") {
        file.source = file.source.replaceAll(WORKER_BESIDE_HIDDEN, JSON.stringify(WORKER_BESIDE).slice(1, -1))
      }
    }
  },
})

/**
 * A classic script loads nothing later: every part is inside it. Its lazy imports of its own modules
 * (`import("./catch_up")`, the socket, the shared line) become static, so that the bundler runs those modules in
 * order instead of wrapping each one in a lazy initializer (0.8 kB min+gzip). Turbo stays a dynamic import: it
 * must run only in a page that has no Turbo yet, and never in the shared worker.
 */
const ownLazyImportsStatic: Plugin = {
  name: "turbo-cable:own-lazy-imports-static",
  transform(code, id) {
    if (!id.startsWith(resolve(import.meta.dirname, "src"))) return
    const imports: string[] = []
    const changed = code.replace(/\bimport\(("\.{1,2}\/[^"]+")\)/g, (_, specifier: string) => {
      imports.push(`import * as __lazy${imports.length} from ${specifier};`)
      return `Promise.resolve(__lazy${imports.length - 1})`
    })
    if (imports.length) return { code: imports.join("") + changed, map: null }
  },
}

/** From the actioncable entry, the main entry is another module ("turbo-cable"): the page's, never a second copy. */
const mainEntryAsImport: Plugin = {
  name: "turbo-cable:main-entry-as-import",
  enforce: "pre",
  resolveId(id, importer) {
    if (importer && id.startsWith(".") && isMainEntry(resolve(dirname(importer), id))) return { id: "turbo-cable", external: true }
  },
}

/**
 * An ES module build of `entry` into `dir`/`file`, with `bare` left as imports. `oneFile`: the lazily loaded
 * parts stay inside (an import map pins files one by one; a chunk beside it would need a pin of its own).
 */
function esm(entry: string, dir: string, file: string, bare: string[], minify: boolean, oneFile = false): UserConfig {
  return {
    plugins: entry == MAIN_ENTRY ? [workerBeside()] : [workerBeside(), mainEntryAsImport],
    build: {
      outDir: dir,
      emptyOutDir: false,
      target: "es2020",
      minify,
      sourcemap: true,
      lib: { entry, formats: ["es"], fileName: () => file },
      // The lazily loaded chunks (the socket, the catch-up) import what they share with the entry from the entry
      // itself, instead of the entry importing a handful of tiny shared chunks before it can run.
      rollupOptions: { external: bare, preserveEntrySignatures: "allow-extension", output: { inlineDynamicImports: oneFile } },
    },
  }
}

/**
 * A classic script (no module): the script-tag build, and the shared worker's file. Turbo's own code uses class
 * private fields, which an ES2020 target rewrites into helper calls at every use (1.5 kB min+gzip of the script-tag
 * build). Turbo's published code needs them natively already; the targets below have them (Safari 16 is also the
 * first with SharedWorker), and static blocks (Safari 16.4) are still rewritten.
 */
function classicScript(entry: string, dir: string, name: string, file: string): UserConfig["build"] {
  return {
    outDir: dir,
    emptyOutDir: false,
    target: ["safari16", "chrome100", "firefox100"],
    minify: true,
    sourcemap: true,
    lib: { entry, formats: ["iife"], name, fileName: () => file },
  }
}

export default defineConfig(({ mode }) => {
  const dist = resolve(import.meta.dirname, "dist")
  switch (mode) {
    case "actioncable":
      return esm(src("actioncable.ts"), dist, "actioncable.js", RUNTIME_DEPENDENCIES, false)
    case "importmap":
      return esm(MAIN_ENTRY, resolve(dist, "importmap"), "turbo-cable.js", ["@hotwired/turbo", "idiomorph"], true, true)
    case "importmap-actioncable":
      return esm(src("actioncable.ts"), resolve(dist, "importmap"), "actioncable.js", [], true, true)
    case "script":
      return {
        // A classic script has no import.meta: it is its own worker (script.ts reads document.currentScript).
        define: { "import.meta.url": "undefined" },
        plugins: [workerBeside("null"), ownLazyImportsStatic],
        // Turbo is inside this build and brings idiomorph with it (see src/catch_up/idiomorph_from_turbo.ts).
        resolve: { alias: [{ find: "idiomorph", replacement: src("catch_up/idiomorph_from_turbo.ts") }] },
        build: classicScript(src("script.ts"), dist, "TurboCableBundle", "turbo-cable.min.js"),
      }
    case "worker":
      return { build: classicScript(src("worker.ts"), dist, "TurboCableWorker", "turbo-cable-worker.js") }
    default:
      return esm(MAIN_ENTRY, dist, "turbo-cable.js", RUNTIME_DEPENDENCIES, false)
  }
})
