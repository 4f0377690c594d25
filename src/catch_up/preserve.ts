// What the user has on screen that a refetched page must not take away: typed input, focus and selection,
// scroll positions.
import type { ScrollTracker } from "./scrolls"

/** A field whose value the user changed: the server's copy knows nothing of it. */
export function isDirty(element: Node): boolean {
  if (element instanceof HTMLInputElement) {
    if (element.type == "checkbox" || element.type == "radio") return element.checked != element.defaultChecked
    return element.value != element.defaultValue
  }
  if (element instanceof HTMLTextAreaElement) return element.value != element.defaultValue
  if (element instanceof HTMLSelectElement) return [...element.options].some((option) => option.selected != option.defaultSelected)
  return false
}

interface Scroll {
  element: Element
  top: number
  left: number
}

export interface UserState {
  restore(): void
}

/** Notes focus, selection and scroll positions now; `restore()` puts them back after a morph. */
export function captureUserState(scrolls: ScrollTracker, root: Document = document): UserState {
  const focused = root.activeElement
  const field = focused instanceof HTMLInputElement || focused instanceof HTMLTextAreaElement ? focused : null
  let selection: [number | null, number | null, "forward" | "backward" | "none" | null] | null = null
  try {
    if (field) selection = [field.selectionStart, field.selectionEnd, field.selectionDirection]
  } catch {
    // Some input types have no selection.
  }
  const windowScroll = { x: window.scrollX, y: window.scrollY }
  const scrolled: Scroll[] = []
  for (const element of scrolls.elements()) {
    if (element.scrollTop || element.scrollLeft) scrolled.push({ element, top: element.scrollTop, left: element.scrollLeft })
  }

  return {
    restore() {
      for (const { element, top, left } of scrolled) {
        if (element.isConnected) (element.scrollTop = top), (element.scrollLeft = left)
      }
      window.scrollTo(windowScroll.x, windowScroll.y)
      if (focused instanceof HTMLElement && focused.isConnected && root.activeElement != focused) {
        focused.focus({ preventScroll: true })
      }
      if (field && selection && field.isConnected) {
        try {
          field.setSelectionRange(selection[0], selection[1], selection[2] ?? undefined)
        } catch {
          // As above.
        }
      }
    },
  }
}
