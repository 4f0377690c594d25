// Hands received messages to Turbo, and only messages that are Turbo Streams.
import { debug } from "../log"

/** The part of Turbo that applies stream messages. */
export interface StreamSink {
  renderStreamMessage(html: string): void
}

const STREAM_OPEN = "<turbo-stream"
const STREAM_CLOSE = "</turbo-stream>"

/**
 * The Turbo Stream HTML to apply, or null when the message is not one. Plain text, JSON and stray markup
 * around streams never reach the page (turbo-rails renders them: hotwired/turbo#966).
 */
export function streamHtml(message: unknown): string | null {
  if (typeof message != "string") return null
  const html = message.trim()
  const open = html.indexOf(STREAM_OPEN)
  if (open < 0) return null
  // The common case, one stream element and nothing around it, is decided without parsing.
  if (open == 0 && html.endsWith(STREAM_CLOSE) && html.indexOf(STREAM_CLOSE) == html.length - STREAM_CLOSE.length) {
    return html
  }
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

export class StreamRenderer {
  /** Messages held while the page catches up, applied in order afterwards. */
  private held: string[] | null = null

  constructor(private readonly sink: () => StreamSink) {}

  render(message: unknown): void {
    const html = streamHtml(message)
    if (html === null) return debug("message ignored, not a Turbo Stream:", message)
    if (this.held) this.held.push(html)
    else this.apply(html)
  }

  hold(): void {
    this.held ??= []
  }

  release(): void {
    const held = this.held ?? []
    this.held = null
    for (const html of held) this.apply(html)
  }

  private apply(html: string): void {
    try {
      this.sink().renderStreamMessage(html)
    } catch (error) {
      console.error("turbo-cable: a stream message failed to render", error)
    }
  }
}
