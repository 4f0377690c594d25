// Puts a real <turbo-cable-stream-source> into a page, as turbo_stream_from renders it, and writes the
// Turbo Stream a broadcast carries.
import type { Page } from "@playwright/test"

/**
 * Appends a source for `signedName` (inside #sources when the page has one, else body), with extra
 * attributes (an `id`, `data-*`); returns its id.
 */
export function appendSource(page: Page, signedName: string, attributes: Record<string, string> = {}): Promise<string> {
  return page.evaluate(
    ({ signedName, attributes }) => {
      const element = document.createElement("turbo-cable-stream-source")
      element.setAttribute("channel", "Turbo::StreamsChannel")
      element.setAttribute("signed-stream-name", signedName)
      for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value)
      element.id ||= `source_${document.querySelectorAll("turbo-cable-stream-source").length}_${Math.random().toString(36).slice(2)}`
      ;(document.getElementById("sources") ?? document.body).append(element)
      return element.id
    },
    { signedName, attributes },
  )
}

/** A Turbo Stream appending `<li id=id>text</li>` to `target`, as a broadcast carries it. */
export function appendStream(target: string, id: string, text: string): string {
  return `<turbo-stream action="append" target="${target}"><template><li id="${id}">${text}</li></template></turbo-stream>`
}

/** A Turbo Stream appending `<li>text</li>` with no id: Turbo removes nothing before it, so a second copy shows. */
export function appendItem(text: string, target = "items"): string {
  return `<turbo-stream action="append" target="${target}"><template><li>${text}</li></template></turbo-stream>`
}
