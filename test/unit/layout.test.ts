// The layout is the architecture (README's Layout): each folder of src/ sits on a layer, imports run only down or
// across a layer, never back up, no module imports itself round a cycle (type-only and lazy imports count too: a
// cycle of types is a cycle of concepts), and no file grows past what a reader takes in at once.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, normalize, relative, resolve } from "node:path"
import { describe, expect, it } from "vitest"

const SRC = resolve(import.meta.dirname, "../../src")

/** Each part of src/ (a folder, or a file at the top) and its layer: a part may import from its layer or below. */
const LAYERS: Record<string, number> = {
  // Foundations everything may read.
  clock: 0, events: 0, log: 0, dom: 0, config: 0, types: 0,
  // The wire and the seam between the registry and what carries its commands.
  protocol: 1, line: 1,
  status: 2, extended: 2, subscriptions: 2,
  socket: 3,
  // Many tabs, one connection: the messages between the runtimes, then each runtime's side.
  sharing: 4, "sharing/tab": 5, "sharing/worker": 5,
  // Which line a tab gets.
  line_choice: 6,
  streams: 7, consumer: 7,
  catch_up: 8,
  page_cable: 9,
  api: 10,
  rails: 11,
  // The entries.
  index: 12, script: 12, worker: 12, actioncable: 12,
}

const MAX_LINES = 300

function sources(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : []
  })
}

/** The src/ files `file` imports (static, dynamic and type-only). */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8")
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map(([, specifier]) => {
    const target = normalize(join(dirname(file), specifier))
    return target.endsWith(".ts") ? target : `${target}.ts`
  })
}

const part = (file: string) => relative(SRC, file).replace(/\/[^/]+$|\.ts$/, "")

describe("src/ layout", () => {
  const files = sources()

  it("puts every part on a layer", () => {
    expect(files.map(part).filter((name) => !(name in LAYERS))).toEqual([])
  })

  it("never imports from a higher layer", () => {
    const upward = files.flatMap((file) =>
      imports(file)
        .filter((target) => LAYERS[part(target)] > LAYERS[part(file)])
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`),
    )
    expect(upward).toEqual([])
  })

  it("has no import cycle", () => {
    const graph = new Map(files.map((file) => [file, imports(file)]))
    const cycles: string[] = []
    const state = new Map<string, "visiting" | "done">()
    const visit = (file: string, path: string[]) => {
      if (state.get(file) == "done") return
      if (state.get(file) == "visiting") return void cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(" -> "))
      state.set(file, "visiting")
      for (const target of graph.get(file) ?? []) visit(target, [...path, file])
      state.set(file, "done")
    }
    for (const file of files) visit(file, [])
    expect(cycles).toEqual([])
  })

  it(`keeps every file at ${MAX_LINES} lines or fewer`, () => {
    const long = files.map((file) => [relative(SRC, file), readFileSync(file, "utf8").split("\n").length - 1] as const).filter(([, lines]) => lines > MAX_LINES)
    expect(long).toEqual([])
  })
})
