// HTML built with a tagged template that escapes every interpolated value unless it is already
// markup made here, so a view cannot forget to escape what a user typed.

const SAFE = Symbol("safe html")

/** Markup that has been escaped (or written by us) and may be inserted as is. */
export interface SafeHtml {
  readonly [SAFE]: true
  readonly text: string
}

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[]

function safe(text: string): SafeHtml {
  return { [SAFE]: true, text }
}

function isSafe(value: unknown): value is SafeHtml {
  return typeof value === "object" && value !== null && SAFE in value
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return ""
  if (isSafe(value)) return value.text
  if (Array.isArray(value)) return value.map(render).join("")
  return escapeHtml(String(value))
}

/** `html\`<p>${text}</p>\``: strings are escaped, nested `html` fragments and arrays of them are not. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let text = strings[0]
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1]
  return safe(text)
}

/** Trusted markup from outside a template (a file we ship), never user input. */
export function trusted(text: string): SafeHtml {
  return safe(text)
}

/**
 * A CSS string literal for a value we put into a per-page `<style>`: everything but letters,
 * digits, space, dot, underscore and hyphen becomes a CSS escape, so it cannot end the string or
 * the style element.
 */
export function cssString(value: string): SafeHtml {
  let out = '"'
  for (const char of value) {
    out += /[\p{L}\p{N} ._-]/u.test(char) ? char : `\\${char.codePointAt(0)!.toString(16)} `
  }
  return safe(out + '"')
}
