// Messages held during a refetch are applied after the morph. An append or prepend among them may carry an item
// the refetched page already shows: Turbo would take it out and put it back at the list's end (or start), ahead
// of items the server rendered after it, so that the list reads out of order until their own messages arrive.
// Such an item, unchanged and in the same list, is left where the server put it.

const MOVING_ACTIONS = new Set(["append", "prepend"])

/** `html` (held <turbo-stream> messages) without the appended or prepended items `document` already shows, unchanged, in their target. */
export function withoutShownItems(html: string, document: Document): string {
  if (!/action=["']?(append|prepend)/.test(html)) return html
  const holder = document.createElement("template")
  holder.innerHTML = html
  let changed = false
  for (const stream of [...holder.content.querySelectorAll("turbo-stream")]) {
    if (!MOVING_ACTIONS.has(stream.getAttribute("action") ?? "")) continue
    const template = stream.querySelector(":scope > template") as HTMLTemplateElement | null
    if (!template) continue
    const targets = targetsOf(stream, document)
    for (const item of [...template.content.children]) {
      const shown = item.id ? document.getElementById(item.id) : null
      if (shown && targets.includes(shown.parentElement) && shown.isEqualNode(item)) {
        item.remove()
        changed = true
      }
    }
    if (template.content.children.length == 0 && changed) stream.remove()
  }
  return changed ? holder.innerHTML : html
}

function targetsOf(stream: Element, document: Document): Array<Element | null> {
  const target = stream.getAttribute("target")
  if (target) return [document.getElementById(target)]
  const selector = stream.getAttribute("targets")
  if (!selector) return []
  try {
    return [...document.querySelectorAll(selector)]
  } catch {
    return []
  }
}
