// The ways apps deploy turbo-cable, built for real once per build of dist/ into one folder the test server serves
// at /apps/ (test/server/test_server.ts): the script-tag file copied alone under another name; the same under a
// Propshaft-style digested name; an app that does `import "turbo-cable"`, built from the packed tarball by Vite,
// by webpack 5 and by esbuild (jsbundling-rails' default, with digests); importmap-rails on Propshaft (every file
// digested). Each deployment's page is a template with the identity tag, rendered per list by pageFor().
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join, resolve } from "node:path"

const REPO_ROOT = resolve(import.meta.dirname, "../..")
const DIST = resolve(REPO_ROOT, "dist")
/** Where the test server serves /apps/ from (the same default there). */
export const DEPLOYMENTS_DIR = process.env.DEPLOYMENTS_DIR ?? join(tmpdir(), "turbo-cable-deployments")

export const DEPLOYMENTS = ["one-file", "digested", "vite", "webpack", "esbuild", "importmap"] as const
export type Deployment = (typeof DEPLOYMENTS)[number]

/** What a page shows and records: the identity tag on, the source's first `connected` time, console errors. */
const HEAD = `<meta charset="utf-8"><meta name="action-cable-url" content="/cable"><meta name="turbo-cable-identity" content="deployments">
<script>window.__errors = []; const error = console.error; console.error = (...args) => { __errors.push(args.join(" ")); error(...args) };
addEventListener("error", (event) => __errors.push(String(event.message)));
new MutationObserver(() => { window.__connectedAt ??= document.querySelector("turbo-cable-stream-source[connected]") ? performance.now() : undefined })
.observe(document, { subtree: true, attributes: true, attributeFilter: ["connected"] })</script>`
const BODY = `<turbo-cable-stream-source channel="Turbo::StreamsChannel" signed-stream-name="__SIGNED_STREAM__"></turbo-cable-stream-source><ul id="items"></ul>`
const page = (head: string) => `<!doctype html><html><head>${HEAD}\n${head}</head><body>${BODY}</body></html>\n`

/** An app's entry, as an app with a bundler writes it. */
const APP_ENTRY = `import "turbo-cable"\n`

const digest = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 8)

/** `name.js` copied into `dir` as `name-DIGEST.js`, as Propshaft writes public/assets in production; its URL under `prefix`. */
function digested(file: string, dir: string, prefix: string): string {
  const name = `${basename(file, ".js")}-${digest(file)}.js`
  copyFileSync(file, join(dir, name))
  return `${prefix}${name}`
}

/** Builds every deployment into DEPLOYMENTS_DIR, unless it was built from this very dist/ already. */
export async function ensureDeployments(): Promise<void> {
  const stamp = `${statSync(join(DIST, "turbo-cable.js")).mtimeMs} ${statSync(join(DIST, "turbo-cable.min.js")).mtimeMs}`
  const stampFile = join(DEPLOYMENTS_DIR, "built-from")
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") == stamp) return
  rmSync(DEPLOYMENTS_DIR, { recursive: true, force: true })
  mkdirSync(DEPLOYMENTS_DIR, { recursive: true })
  const out = (name: Deployment) => {
    mkdirSync(join(DEPLOYMENTS_DIR, name), { recursive: true })
    return join(DEPLOYMENTS_DIR, name)
  }

  // One script tag, the file copied alone into the app's folder under a name of the app's choosing.
  copyFileSync(join(DIST, "turbo-cable.min.js"), join(out("one-file"), "live.js"))
  writeFileSync(join(out("one-file"), "page.html"), page(`<script src="/apps/one-file/live.js"></script>`))

  // The same file as Propshaft serves it in production: only under its digested name.
  mkdirSync(join(out("digested"), "assets"))
  const script = digested(join(DIST, "turbo-cable.min.js"), join(out("digested"), "assets"), "/apps/digested/assets/")
  writeFileSync(join(out("digested"), "page.html"), page(`<script src="${script}"></script>`))

  // importmap-rails on Propshaft: every pinned file digested; the worker's digested URL in the one meta tag README gives.
  mkdirSync(join(out("importmap"), "assets"))
  const assets = (file: string) => digested(file, join(out("importmap"), "assets"), "/apps/importmap/assets/")
  const importMap = {
    imports: {
      "@hotwired/turbo": assets(resolve(REPO_ROOT, "node_modules/@hotwired/turbo/dist/turbo.es2017-esm.js")),
      "turbo-cable": assets(join(DIST, "importmap/turbo-cable.js")),
    },
  }
  const worker = assets(join(DIST, "importmap/turbo-cable-worker.js"))
  writeFileSync(
    join(out("importmap"), "page.html"),
    page(`<meta name="turbo-cable-worker" content="${worker}">
<script type="importmap">${JSON.stringify(importMap)}</script><script type="module">import "turbo-cable"</script>`),
  )

  const app = packedApp()
  await buildWithVite(app, out("vite"))
  await buildWithWebpack(app, out("webpack"))
  await buildWithEsbuild(app, out("esbuild"))
  writeFileSync(stampFile, stamp)
}

/** An app folder whose node_modules holds turbo-cable from its packed tarball, and its peer and dependencies. */
function packedApp(): string {
  const app = join(DEPLOYMENTS_DIR, ".app")
  const installed = join(app, "node_modules", "turbo-cable")
  mkdirSync(installed, { recursive: true })
  // --ignore-scripts: pack the dist/ this run built (prepack would build it again).
  const tarball = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", app], { cwd: REPO_ROOT, encoding: "utf8" }).trim().split("\n").pop()!
  execFileSync("tar", ["-xzf", join(app, tarball), "-C", installed, "--strip-components=1"])
  for (const dependency of ["@hotwired/turbo", "idiomorph"]) {
    mkdirSync(join(app, "node_modules", dependency, ".."), { recursive: true })
    symlinkSync(resolve(REPO_ROOT, "node_modules", dependency), join(app, "node_modules", dependency))
  }
  writeFileSync(join(app, "main.js"), APP_ENTRY)
  writeFileSync(join(app, "index.html"), page(`<script type="module" src="./main.js"></script>`))
  return app
}

async function buildWithVite(app: string, out: string): Promise<void> {
  const { build } = await import("vite")
  await build({ root: app, configFile: false, logLevel: "warn", base: "/apps/vite/", build: { outDir: out, emptyOutDir: true } })
  writeFileSync(join(out, "page.html"), readFileSync(join(out, "index.html"), "utf8"))
}

async function buildWithWebpack(app: string, out: string): Promise<void> {
  const { default: webpack } = await import("webpack")
  const compiler = webpack({
    mode: "production",
    context: app,
    entry: "./main.js",
    output: { path: out, filename: "[name]-[contenthash].js", publicPath: "/apps/webpack/" },
    resolve: { modules: [join(app, "node_modules"), resolve(REPO_ROOT, "node_modules")] },
    devtool: false,
  })
  const stats = await new Promise<any>((done, failed) => compiler.run((error, stats) => (error ? failed(error) : done(stats))))
  await new Promise((done) => compiler.close(done))
  if (stats.hasErrors()) throw new Error(stats.toString("errors-only"))
  const entry = readdirSync(out).find((file) => file.startsWith("main-"))!
  writeFileSync(join(out, "page.html"), page(`<script src="/apps/webpack/${entry}"></script>`))
}

/**
 * jsbundling-rails' esbuild (`--bundle --format=esm`), its output digested by Propshaft: esbuild emits no worker, so
 * README's recipe copies turbo-cable-worker.js beside the app's assets and names it in one meta tag.
 */
async function buildWithEsbuild(app: string, out: string): Promise<void> {
  const { build } = await import("esbuild")
  const builds = join(app, "builds")
  await build({ entryPoints: [join(app, "main.js")], bundle: true, format: "esm", outfile: join(builds, "application.js"), nodePaths: [resolve(REPO_ROOT, "node_modules")], logLevel: "warning" })
  cpSync(join(app, "node_modules/turbo-cable/dist/turbo-cable-worker.js"), join(builds, "turbo-cable-worker.js"))
  mkdirSync(join(out, "assets"), { recursive: true })
  const application = digested(join(builds, "application.js"), join(out, "assets"), "/apps/esbuild/assets/")
  const worker = digested(join(builds, "turbo-cable-worker.js"), join(out, "assets"), "/apps/esbuild/assets/")
  writeFileSync(join(out, "page.html"), page(`<meta name="turbo-cable-worker" content="${worker}"><script type="module" src="${application}"></script>`))
}

/** The deployment's page for `signedStream` (a list of the test server), written beside the template; its URL path. */
export function pageFor(deployment: Deployment, signedStream: string, name: string): string {
  const template = readFileSync(join(DEPLOYMENTS_DIR, deployment, "page.html"), "utf8")
  writeFileSync(join(DEPLOYMENTS_DIR, deployment, `${name}.html`), template.replace("__SIGNED_STREAM__", signedStream))
  return `/apps/${deployment}/${name}.html`
}
