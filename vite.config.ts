// The builds, one `vite build --mode NAME` each (`npm run build` runs them all):
//   esm                   dist/turbo-cable.js     for bundlers: Turbo and idiomorph external
//   actioncable           dist/actioncable.js     `turbo-cable/actioncable`, the same for bundlers
//   importmap             dist/importmap/turbo-cable.js   for import maps: only Turbo (and the lazy idiomorph) bare
//   importmap-actioncable dist/importmap/actioncable.js
//   script                dist/turbo-cable.min.js classic script, everything inside
//   worker                dist/turbo-cable-worker.js the shared worker (classic), found beside each build
// The actioncable entries import the page's cable from "turbo-cable" (a bare import of the main entry), so
// a page that loads both has one cable, one socket, whichever way each was resolved.
import { dirname, resolve } from "node:path"
import { defineConfig, type Plugin, type UserConfig } from "vite"

const src = (file: string) => resolve(import.meta.dirname, "src", file)
const MAIN_ENTRY = src("index.ts")
const RUNTIME_DEPENDENCIES = ["@hotwired/turbo", "idiomorph"]

const isMainEntry = (file: string) => file.replace(/\.ts$/, "") == MAIN_ENTRY.replace(/\.ts$/, "")

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
    plugins: entry == MAIN_ENTRY ? [] : [mainEntryAsImport],
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

/** A classic script (no module): the script-tag build, and the shared worker's file. */
function classicScript(entry: string, dir: string, name: string, file: string): UserConfig["build"] {
  return {
    outDir: dir,
    emptyOutDir: false,
    target: "es2020",
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
        // A classic script has no import.meta: shared/tab_line.ts finds the worker beside document.currentScript.
        define: { "import.meta.url": "undefined" },
        // Turbo is inside this build and brings idiomorph with it (see src/catch_up/idiomorph_from_turbo.ts).
        resolve: {
          alias: [
            { find: "idiomorph", replacement: src("catch_up/idiomorph_from_turbo.ts") },
            // The socket's code is in the worker file beside this script, loaded only by a tab that cannot share.
            { find: /^\.\/socket_code$/, replacement: src("shared/socket_beside.ts") },
          ],
        },
        build: classicScript(src("script.ts"), dist, "TurboCableBundle", "turbo-cable.min.js"),
      }
    case "worker":
      return { build: classicScript(src("shared/worker.ts"), dist, "TurboCableWorker", "turbo-cable-worker.js") }
    default:
      return esm(MAIN_ENTRY, dist, "turbo-cable.js", RUNTIME_DEPENDENCIES, false)
  }
})
