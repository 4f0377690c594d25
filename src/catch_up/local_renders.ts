// Streams the page renders on its own while a catch-up is fetching (a form's response, the app's own
// Turbo.renderStreamMessage) are newer than the page being fetched: the morph would undo them, so they
// wait until it is done, as the cable's messages do. A validation error shown in reply to a form post
// during a catch-up stays on screen.
import { withTimeout, type Clock } from "../clock"
import { debug } from "../log"

/** The longest a local render waits: a hung refetch must not hide a form's response for long (ms). */
const MAX_WAIT = 5_000

interface BeforeStreamRender extends CustomEvent<{ render: (stream: Element) => void | Promise<void> }> {}

export class LocalRenders {
  private gate: { opened: Promise<void>; open(): void } | null = null
  private readonly deferIfHeld = (event: Event) => this.defer(event as BeforeStreamRender)

  /** Listens on window, bubbling, and only while held: it runs after the app's own listeners and wraps
   *  whatever render they chose, and costs nothing per message otherwise. */
  constructor(
    private readonly target: EventTarget,
    private readonly clock: Clock,
  ) {}

  hold(): void {
    if (this.gate) return
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    this.gate = { opened, open }
    this.target.addEventListener("turbo:before-stream-render", this.deferIfHeld)
  }

  release(): void {
    if (!this.gate) return
    this.target.removeEventListener("turbo:before-stream-render", this.deferIfHeld)
    this.gate.open()
    this.gate = null
  }

  private defer(event: BeforeStreamRender): void {
    const gate = this.gate
    if (!gate || event.defaultPrevented || typeof event.detail?.render != "function") return
    const render = event.detail.render
    debug("a stream rendered during a catch-up waits for the morph")
    event.detail.render = async (stream) => {
      await withTimeout(this.clock, gate.opened, MAX_WAIT, undefined)
      await render(stream)
    }
  }
}
