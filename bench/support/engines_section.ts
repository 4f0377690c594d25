// bench/RESULTS.md holds two reports: bench/run.ts's (Chromium, every scenario) and bench/engines.ts's
// (reconnect in every engine) between these markers. Each writer keeps the other's part.

export const ENGINES_START = "<!-- engines:start -->"
export const ENGINES_END = "<!-- engines:end -->"
const SECTION = new RegExp(`${ENGINES_START}[\\s\\S]*${ENGINES_END}`)

/** `markdown` with the engines section of `previous` (if any) put back at its end. */
export function keepEnginesSection(markdown: string, previous: string): string {
  const section = SECTION.exec(previous)?.[0]
  return section ? `${markdown.replace(SECTION, "").trimEnd()}\n\n${section}\n` : markdown
}

/** `results` with its engines section replaced by (or, if none, followed by) `section`. */
export function withEnginesSection(results: string, section: string): string {
  const block = `${ENGINES_START}\n${section.trim()}\n${ENGINES_END}`
  return SECTION.test(results) ? results.replace(SECTION, block) : `${results.trimEnd()}\n\n${block}\n`
}
