// Which part of a received message is Turbo Stream markup, in a form that can be joined to the next message.
import { debug } from "../log"

const STREAM_OPEN = "<turbo-stream"
const STREAM_CLOSE = "</turbo-stream>"

// Content after which the tokenizer is not back in its text state at the closing tag: raw text elements,
// comments, CDATA, doctype-like `<!`. Messages containing any of these take the parsing path.
const TOKENIZER_TRAPS = /<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext)[\s/>]|<!/i

/**
 * True when the tokenizer ends `html` outside any tag or quoted attribute value, so that the next message's
 * markup is read as markup: a message with an unclosed quote must not swallow the one joined after it.
 * Mirrors the tokenizer where it matters: a quote opens a value only right after `=`.
 */
export function endsInText(html: string): boolean {
  let inTag = false
  let quote = 0
  let last = 0
  for (let i = 0; i < html.length; i++) {
    const c = html.charCodeAt(i)
    if (quote) {
      if (c == quote) quote = 0
    } else if (inTag) {
      if (c == 62 /* > */) inTag = false
      else if ((c == 34 || c == 39) /* " ' */ && last == 61 /* = */) quote = c
    } else if (c == 60 /* < */) {
      inTag = true
    }
    if (c > 32) last = c
  }
  return !inTag && !quote
}

/**
 * The Turbo Stream HTML to apply, or null when the message is not one. Plain text, JSON and stray markup
 * around streams never reach the page (turbo-rails renders them: hotwired/turbo#966). What comes back is
 * self-contained: it can be joined to other messages' markup and parsed as one.
 */
export function streamHtml(message: unknown): string | null {
  if (typeof message != "string") return null
  const html = message.trim()
  const open = html.indexOf(STREAM_OPEN)
  if (open < 0) return null
  // The common case, one plain stream element and nothing around it, is decided without parsing.
  if (
    open == 0 &&
    html.endsWith(STREAM_CLOSE) &&
    html.indexOf(STREAM_CLOSE) == html.length - STREAM_CLOSE.length &&
    !TOKENIZER_TRAPS.test(html) &&
    endsInText(html)
  ) {
    return html
  }
  // Otherwise parse it, keep the stream elements, and serialize them: serialized elements always re-parse whole.
  const template = document.createElement("template")
  template.innerHTML = html
  const streams: string[] = []
  let stray = 0
  for (const node of template.content.childNodes) {
    if (node instanceof Element && node.localName == "turbo-stream") streams.push(node.outerHTML)
    else if (node.nodeType != Node.TEXT_NODE || node.textContent!.trim()) stray++
  }
  if (stray) debug(`${stray} node(s) around the stream elements dropped`)
  return streams.length ? streams.join("") : null
}
