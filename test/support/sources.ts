// Puts a real <turbo-cable-stream-source> into a page, as turbo_stream_from renders it.
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
