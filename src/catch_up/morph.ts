// Brings the page's body to the server's current version, in place, keeping what the user has.
import { ELEMENT_NAME } from "../streams/params"
import { isDirty } from "./preserve"

type MorphCallbacks = { beforeNodeMorphed(current: Node, next?: Node): boolean }

/**
 * An open `<details>` or `<dialog>` is the user's doing: the server's HTML never has their `open`, and the
 * morph would close them. (The element's `open` is an attribute, so the morph sees a difference.)
 */
export function keepsUserAttribute(element: Element, attributeName: string): boolean {
  return attributeName == "open" && (element instanceof HTMLDetailsElement || element instanceof HTMLDialogElement) && element.hasAttribute("open")
}

function keepOpenDuringMorph(event: Event): void {
  const { attributeName } = (event as CustomEvent<{ attributeName: string }>).detail ?? {}
  if (event.target instanceof Element && keepsUserAttribute(event.target, attributeName)) event.preventDefault()
}

/** Turbo 8.0.13 and later export idiomorph, wrapped with Turbo's morph events and permanent elements. */
export interface TurboMorph {
  morphElements?(current: Element, next: Element, options: { callbacks: MorphCallbacks }): void
}

/** Nodes the morph leaves exactly as they are. */
export function keepAsIs(node: Node): boolean {
  if (!(node instanceof Element)) return false
  // Stream sources stay the same elements, so their subscriptions see no churn.
  if (node.localName == ELEMENT_NAME) return true
  if (node.hasAttribute("data-turbo-permanent")) return true
  return isDirty(node)
}

// Turbo asks the same question before removing a node: a source added by script (absent from the refetched
// HTML) and a field the user typed into stay too. A node equal to its refetched version (same attributes and
// children: most of a big page) is left alone without walking it: on a 5,000-message page this takes the
// per-node work (attribute sync, Turbo's before-morph events) from every node to the few that changed.
const callbacks: MorphCallbacks = {
  beforeNodeMorphed: (current, next) => !keepAsIs(current) && !(next && current.isEqualNode(next)),
}

export async function morphBody(next: Document, turbo: TurboMorph): Promise<void> {
  if (next.title) document.title = next.title
  if (turbo.morphElements) {
    // Turbo's own morph: apps' turbo:before-morph-element listeners protect their elements here too. It asks
    // before each attribute change with turbo:before-morph-attribute, heard here for this morph only.
    document.addEventListener("turbo:before-morph-attribute", keepOpenDuringMorph)
    try {
      turbo.morphElements(document.body, next.body, { callbacks })
    } finally {
      document.removeEventListener("turbo:before-morph-attribute", keepOpenDuringMorph)
    }
  } else {
    const { Idiomorph } = await import("idiomorph")
    Idiomorph.morph(document.body, next.body, {
      callbacks: {
        ...callbacks,
        beforeNodeAdded: (node: Node) => !(node instanceof Element && node.id && node.hasAttribute("data-turbo-permanent") && document.getElementById(node.id)),
        beforeNodeRemoved: (node: Node) => callbacks.beforeNodeMorphed(node),
        beforeAttributeUpdated: (attributeName: string, element: Element) => !keepsUserAttribute(element, attributeName),
      },
    })
  }
}
