// Two builds: `vite build` makes the ESM library (Turbo external), `vite build --mode script` the classic
// script with everything inside.
import { resolve } from "node:path"
import { defineConfig } from "vite"

export default defineConfig(({ mode }) => {
  if (mode == "script") {
    return {
      // Turbo is inside this build and brings idiomorph with it (see src/catch_up/idiomorph_from_turbo.ts).
      resolve: { alias: { idiomorph: resolve(import.meta.dirname, "src/catch_up/idiomorph_from_turbo.ts") } },
      build: {
        emptyOutDir: false,
        target: "es2020",
        minify: true,
        sourcemap: true,
        lib: {
          entry: resolve(import.meta.dirname, "src/script.ts"),
          formats: ["iife"],
          name: "TurboCableBundle",
          fileName: () => "turbo-cable.min.js",
        },
      },
    }
  }
  return {
    build: {
      emptyOutDir: true,
      target: "es2020",
      minify: false,
      sourcemap: true,
      lib: {
        entry: resolve(import.meta.dirname, "src/index.ts"),
        formats: ["es"],
        fileName: () => "turbo-cable.js",
      },
      rollupOptions: { external: ["@hotwired/turbo"] },
    },
  }
})
