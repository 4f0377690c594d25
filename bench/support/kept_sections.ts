// bench/RESULTS.md holds bench/run.ts's report (Chromium, every scenario) and sections other benches write
// between markers: bench/engines.ts (reconnect in every engine) and the catch-up under load. Each writer
// keeps the others' parts.

/** The sections written apart from bench/run.ts, by marker name. */
export const KEPT_SECTIONS = ["catch-up-load", "engines", "soak"] as const
export type SectionName = (typeof KEPT_SECTIONS)[number]

const start = (name: string) => `<!-- ${name}:start -->`
const end = (name: string) => `<!-- ${name}:end -->`
const pattern = (name: string) => new RegExp(`${start(name)}[\\s\\S]*${end(name)}`)

/** `markdown` with every kept section of `previous` put back at its end, in KEPT_SECTIONS order. */
export function keepSections(markdown: string, previous: string): string {
  let kept = markdown
  for (const name of KEPT_SECTIONS) {
    const section = pattern(name).exec(previous)?.[0]
    if (section) kept = `${kept.replace(pattern(name), "").trimEnd()}\n\n${section}\n`
  }
  return kept
}

/** `results` with section `name` replaced by (or, if none, followed by) `section`. */
export function withSection(results: string, name: SectionName, section: string): string {
  const block = `${start(name)}\n${section.trim()}\n${end(name)}`
  return pattern(name).test(results) ? results.replace(pattern(name), block) : `${results.trimEnd()}\n\n${block}\n`
}
