// A hidden tab does not refetch its page: after a deploy every open tab would ask for itself at once, and a
// tab nobody looks at needs a current page only when it is shown. It is marked `behind` and, once shown,
// catches up once for all it put off (a catch-up and Turbo's refresh broadcasts make one request). Nothing is
// held meanwhile: live messages apply in a hidden tab as in a visible one.
import type { CatchUpState, PageStatus } from "../status"
import { debug, guard, logError } from "../log"
import { pageStrategy, waitsUntilShown } from "./policy"
import type { CatchUpReason, CatchUpStrategy, HiddenCatchUpMode } from "../config"

interface BeforeStreamRender extends CustomEvent<{ render: (stream: Element) => unknown }> {}

export interface HiddenCatchUpParts {
  /** Its visibility and `<meta>` are read at each decision; its `visibilitychange` (and its window's `pageshow`) shows the tab. */
  document: Document
  /** The configured `hiddenCatchUp`, read at each decision. */
  mode(): HiddenCatchUpMode
  /** The configured catch-up strategy, read at each decision. */
  strategy(): CatchUpStrategy
  status: Pick<PageStatus, "catchUp" | "catchUpChanged">
  /** Turbo ignores a refresh broadcast that one of this document's recent requests caused. */
  ownRequest(requestId: string): boolean
  /** The catch-up as a visible tab runs it. */
  catchUp(reason: CatchUpReason): void
}

export class HiddenCatchUp {
  /** Why the page needs catching up (the first need put off); null when no catch-up waits. */
  private reason: CatchUpReason | null = null
  /** The last refresh broadcast put off, as Turbo would have rendered it. */
  private refresh: (() => unknown) | null = null
  /** The catch-up state before the tab was marked behind, shown again when only a refresh waited. */
  private before: CatchUpState = "none"

  constructor(private readonly parts: HiddenCatchUpParts) {
    const { document } = parts
    document.addEventListener("turbo:before-stream-render", this.deferRefresh)
    document.addEventListener("visibilitychange", this.shown)
    document.defaultView?.addEventListener("pageshow", this.shown)
  }

  /** True when the tab is hidden and the catch-up waits until it is shown. */
  defers(reason: CatchUpReason): boolean {
    const { status, strategy } = this.parts
    // A catch-up under way finishes, and a need that comes meanwhile joins it as in a visible tab: the
    // `caught-up` it ends with must be true. A page that never catches up has nothing to wait for.
    if (status.catchUp == "catching-up" || pageStrategy(strategy()) == "none" || !this.waits()) return false
    debug(`hidden tab: the catch-up (${reason}) waits until shown`)
    this.reason ??= reason
    this.markBehind()
    return true
  }

  private waits(): boolean {
    return waitsUntilShown(this.parts.mode(), this.parts.document)
  }

  private markBehind(): void {
    const { status } = this.parts
    if (status.catchUp == "behind") return
    this.before = status.catchUp
    status.catchUpChanged("behind")
  }

  /** Turbo's `refresh` action refetches the page (`session.refresh`) unless this document's own request caused it. */
  private readonly deferRefresh = (event: Event): void =>
    guard("hidden tab refresh", () => {
      const stream = event.target as Element
      const { detail } = event as BeforeStreamRender
      if (stream.getAttribute?.("action") != "refresh" || event.defaultPrevented || !this.waits()) return
      const requestId = stream.getAttribute("request-id")
      // One Turbo ignores is left to it: it costs nothing, and the tab is not behind.
      if (requestId && this.parts.ownRequest(requestId)) return
      debug("hidden tab: a refresh waits until shown")
      const render = detail.render
      this.refresh = () => render(stream)
      detail.render = () => {}
      this.markBehind()
    })

  private readonly shown = (): void =>
    guard("tab shown", () => {
      const { reason, refresh } = this
      if (this.parts.document.visibilityState == "hidden" || !(reason || refresh)) return
      this.reason = this.refresh = null
      const { status, strategy, catchUp } = this.parts
      if (reason) {
        debug(`tab shown: catching up (${reason})`)
        // `behind` stays until the catch-up says `catching-up`.
        catchUp(reason)
      } else if (status.catchUp == "behind") status.catchUpChanged(this.before)
      // A refetch of the page brings what a refresh would: one request for both. An app's strategy may not refetch.
      const how = pageStrategy(strategy())
      const refetches = reason && (how == "morph" || how == "refresh")
      if (refresh && !refetches) {
        debug("tab shown: Turbo refreshes")
        // Turbo's own render, so its checks (a recent request, a visit under way, the URL) are made now.
        Promise.resolve()
          .then(refresh)
          .catch((error) => logError("refresh", error))
      }
    })
}
