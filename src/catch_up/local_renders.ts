// Streams the page renders on its own while a catch-up is fetching (a form's response, the app's own
// Turbo.renderStreamMessage) are newer than the page being fetched: the morph would undo them, so they
// wait until it is done, as the cable's messages do. A validation error shown in reply to a form post
// during a catch-up stays on screen.
import { debug } from "../log"

/** The longest a local render waits: a hung refetch must not hide a form's response for long (ms). */
const MAX_WAIT = 5_000

interface BeforeStreamRender extends CustomEvent<{ render: (stream: Element) => void | Promise<void> }> {}

export class LocalRenders {
  private gate: { opened: Promise<void>; open(): void } | null = null

  /** Listens last (on window, bubbling), so it wraps whatever render the app's own listeners chose. */
  listen(target: EventTarget = window): void {
    target.addEventListener("turbo:before-stream-render", (event) => this.deferIfHeld(event as BeforeStreamRender))
  }

  hold(): void {
    if (this.gate) return
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    this.gate = { opened, open }
  }

  release(): void {
    this.gate?.open()
    this.gate = null
  }

  private deferIfHeld(event: BeforeStreamRender): void {
    const gate = this.gate
    if (!gate || event.defaultPrevented || typeof event.detail?.render != "function") return
    const render = event.detail.render
    debug("a stream rendered during a catch-up waits for the morph")
    event.detail.render = async (stream) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, MAX_WAIT)))
      await Promise.race([gate.opened, late])
      clearTimeout(timer)
      await render(stream)
    }
  }
}
