// Turbo's append/prepend/before/after first remove existing elements whose ids the template repeats. Turbo 8
// finds them by reading the id of every child of the target, for every message: a burst of appends into a
// growing list is quadratic, and that scan was 60% of the main-thread time of 2,000 appends (bench/RESULTS.md).
// This finds the same elements through the document's id index, one lookup per id in the template.
import { debug } from "../log"

interface TurboStreamElement extends HTMLElement {
  targetElements: Element[]
  templateContent?: DocumentFragment
}

const PATCHED = Symbol.for("turbo-cable.duplicate-lookup")

function templateIds(stream: TurboStreamElement): string[] {
  const ids: string[] = []
  for (const child of stream.templateContent?.children ?? []) if (child.id) ids.push(child.id)
  return ids
}

/** Elements with one of `ids` whose parent is one of `parents`, as Turbo's scan would find them. */
function childrenWithIds(ids: string[], parents: Array<Element | null>): Element[] {
  const found: Element[] = []
  for (const id of ids) {
    const element = document.getElementById(id)
    if (element && parents.includes(element.parentElement)) {
      found.push(element)
    } else if (element) {
      // The id's first holder lives elsewhere (a page with duplicate ids): look among the parents' children.
      for (const parent of parents) {
        for (const child of parent?.children ?? []) if (child.id == id) found.push(child)
      }
    }
  }
  return found
}

/** Replaces the duplicate scans of Turbo's <turbo-stream> class with id lookups; same elements, same order of removal. */
export function speedUpDuplicateRemoval(streamElement: CustomElementConstructor | undefined): boolean {
  const prototype = streamElement?.prototype as Record<PropertyKey, unknown> | undefined
  if (!prototype || prototype[PATCHED]) return false
  const children = Object.getOwnPropertyDescriptor(prototype, "duplicateChildren")
  const siblings = Object.getOwnPropertyDescriptor(prototype, "duplicateSiblings")
  if (!children?.get || !siblings?.get) {
    debug("this Turbo has no duplicateChildren/duplicateSiblings getters; left as it is")
    return false
  }
  Object.defineProperties(prototype, {
    [PATCHED]: { value: true },
    duplicateChildren: {
      configurable: true,
      get(this: TurboStreamElement) {
        const ids = templateIds(this)
        return ids.length ? childrenWithIds(ids, this.targetElements) : []
      },
    },
    duplicateSiblings: {
      configurable: true,
      get(this: TurboStreamElement) {
        const ids = templateIds(this)
        return ids.length ? childrenWithIds(ids, this.targetElements.map((target) => target.parentElement)) : []
      },
    },
  })
  return true
}

/** Speeds up Turbo's <turbo-stream> now or once it is defined, unless `fastDuplicateRemoval` is off; returns true. */
export function tuneTurbo({ fastDuplicateRemoval }: { fastDuplicateRemoval: boolean }): true {
  if (!fastDuplicateRemoval || typeof customElements == "undefined") return true
  const streamElement = customElements.get("turbo-stream")
  if (streamElement) speedUpDuplicateRemoval(streamElement)
  else customElements.whenDefined("turbo-stream").then(speedUpDuplicateRemoval)
  return true
}
