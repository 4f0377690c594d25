// What the user has on screen that a refetched page must not take away: typed input, focus and selection,
// scroll positions.

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

/**
 * Elements the user (or the app) scrolled, noted from `scroll` events as they happen, so that a catch-up
 * reads a handful of elements instead of every element of the page (a 5,000-message page: ~20 ms of
 * layout reads in the catch-up's one long task). Scroll events do not bubble: one capturing listener on
 * the document sees them all. Elements scrolled before `trackScrolls` (turbo-cable starts with the page)
 * are missed; a WeakSet would not let us iterate, so entries leave when the element leaves the document.
 */
const scrolled = new Set<Element>()
let tracking = false

export function trackScrolls(root: Document = document): void {
  if (tracking) return
  tracking = true
  root.addEventListener(
    "scroll",
    (event) => {
      if (event.target instanceof Element) scrolled.add(event.target)
    },
    { capture: true, passive: true },
  )
}

function scrolledElements(root: Document): Iterable<Element> {
  if (!tracking) return root.querySelectorAll("body *")
  for (const element of scrolled) if (!element.isConnected) scrolled.delete(element)
  return scrolled
}

export interface UserState {
  restore(): void
}

/** Notes focus, selection and scroll positions now; `restore()` puts them back after a morph. */
export function captureUserState(root: Document = document): UserState {
  const focused = root.activeElement
  const field = focused instanceof HTMLInputElement || focused instanceof HTMLTextAreaElement ? focused : null
  let selection: [number | null, number | null, "forward" | "backward" | "none" | null] | null = null
  try {
    if (field) selection = [field.selectionStart, field.selectionEnd, field.selectionDirection]
  } catch {
    // Some input types have no selection.
  }
  const windowScroll = { x: window.scrollX, y: window.scrollY }
  const scrolls: Scroll[] = []
  for (const element of scrolledElements(root)) {
    if (element.scrollTop || element.scrollLeft) scrolls.push({ element, top: element.scrollTop, left: element.scrollLeft })
  }

  return {
    restore() {
      for (const { element, top, left } of scrolls) {
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
