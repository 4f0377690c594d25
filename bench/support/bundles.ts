// esbuild for everything the benchmarks bundle: the anchors' pages (bench/out/, gitignored) and the size
// figures, so every client is bundled and minified by the same tool with the same settings.
import { build, type BuildResult, type Metafile } from "esbuild"
import { mkdir } from "node:fs/promises"
import { resolve } from "node:path"
import { gzipSync } from "node:zlib"
import { PAGE_BUNDLES } from "../clients"

export const REPO_ROOT = resolve(import.meta.dirname, "../..")
export const BENCH_ROOT = resolve(REPO_ROOT, "bench")
export const OUT_DIR = resolve(BENCH_ROOT, "out")
export const ENTRIES_DIR = resolve(BENCH_ROOT, "clients/entries")

/** Builds bench/out/<name>.js for each page bundle: minified IIFEs, as an app would ship them. */
export async function buildPageBundles(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true })
  for (const name of PAGE_BUNDLES) {
    await build({
      entryPoints: [resolve(ENTRIES_DIR, `${name}.js`)],
      outfile: resolve(OUT_DIR, `${name}.js`),
      absWorkingDir: REPO_ROOT,
      bundle: true,
      minify: true,
      format: "iife",
      target: "es2020",
      logLevel: "error",
    })
  }
}

export interface MinifiedSize {
  minified: number
  gzipped: number
  /** Minified bytes per input file (package or source folder), largest first. */
  inputs: Array<{ input: string; bytes: number }>
}

/**
 * esbuild bundle + minify of `entry` (one output file, dynamic imports inlined), then gzip -9.
 * `external` packages are left out, as an app that already has them would.
 */
export async function minifiedSize(entry: string, format: "esm" | "iife", external: string[] = []): Promise<MinifiedSize> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    minify: true,
    format,
    target: "es2020",
    external,
    outfile: resolve(OUT_DIR, "size.js"),
    write: false,
    metafile: true,
    logLevel: "error",
  })
  const output = result.outputFiles.find((file) => file.path.endsWith(".js"))!
  return {
    minified: output.contents.byteLength,
    gzipped: gzipSync(output.contents, { level: 9 }).byteLength,
    inputs: inputBreakdown(result.metafile),
  }
}

/** esbuild's bundle of `entry` with its dynamic imports split into chunks, and which outputs load up front. */
export async function splitBuild(entry: string, external: string[] = []): Promise<{ result: BuildResult<{ metafile: true; write: false }>; eager: Set<string> }> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    minify: true,
    format: "esm",
    splitting: true,
    target: "es2020",
    external,
    outdir: resolve(OUT_DIR, "split"),
    write: false,
    metafile: true,
    logLevel: "error",
  })
  // Up front: the entry and every chunk it imports statically (esbuild may move shared code into a chunk of its
  // own); the rest loads on a dynamic import.
  const eager = new Set<string>()
  const visit = (path: string) => {
    if (eager.has(path)) return
    eager.add(path)
    for (const { path: imported, kind, external } of result.metafile.outputs[path].imports) if (kind == "import-statement" && !external) visit(imported)
  }
  visit(Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint)![0])
  return { result, eager }
}

/**
 * min+gzip of what `entry` loads before any lazy import runs (each file gzipped on its own, as a browser
 * fetches it), and of each lazily loaded chunk.
 */
export async function splitSizes(entry: string, external: string[] = []): Promise<{ eager: number; lazy: number[] }> {
  const { result, eager } = await splitBuild(entry, external)
  const gzipped = (path: string) => gzipSync(result.outputFiles.find((file) => file.path == resolve(REPO_ROOT, path))!.contents, { level: 9 }).byteLength
  const outputs = Object.keys(result.metafile.outputs).filter((path) => path.endsWith(".js"))
  return {
    eager: [...eager].reduce((sum, path) => sum + gzipped(path), 0),
    lazy: outputs.filter((path) => !eager.has(path)).map(gzipped),
  }
}

/** Groups a metafile's inputs by npm package (node_modules/<pkg>) or by folder, largest first. */
function inputBreakdown(metafile: Metafile): Array<{ input: string; bytes: number }> {
  const totals = new Map<string, number>()
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
      const key = packageMatch ? packageMatch[1] : path.replace(/\/[^/]*$/, "/")
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput)
    }
  }
  return [...totals].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes)
}
