// <turbo-cable-stream-source>: the markup turbo-rails' turbo_stream_from renders. Thin: the cable does the work.
import type { FeedSource } from "../subscriptions/feed"
import { SourceEvent, dispatchSourceEvent } from "./events"
import { ELEMENT_NAME, isIdentifierAttribute, subscriptionIdentifier, subscriptionParams } from "./params"

/** What the element needs from the page's cable. */
export interface SourceRegistry {
  attachSource(identifier: string, source: FeedSource): void
  detachSource(identifier: string, source: FeedSource): void
}

function inTurboPreview(): boolean {
  return document.documentElement.hasAttribute("data-turbo-preview")
}

// The script-tag build also runs as the shared worker, where there is no HTMLElement: the class must still
// load there (it is never defined as an element in a worker).
const ElementBase: typeof HTMLElement = globalThis.HTMLElement ?? (class {} as typeof HTMLElement)

export class StreamSourceElement extends ElementBase implements FeedSource {
  /** The page's cable, set when the element is defined. */
  static registry: SourceRegistry | null = null
  /** The identifier this element is subscribed under, or null while it is not. */
  identifier: string | null = null
  private attributeObserver: MutationObserver | null = null

  connectedCallback(): void {
    // A cached preview is replaced by the real page in a moment; its sources would only churn the wire.
    if (inTurboPreview() || !StreamSourceElement.registry) return
    this.attributeObserver ??= new MutationObserver((records) => {
      if (records.some((record) => isIdentifierAttribute(record.attributeName!))) this.resubscribe()
    })
    this.attributeObserver.observe(this, { attributes: true })
    this.subscribe()
  }

  disconnectedCallback(): void {
    this.attributeObserver?.disconnect()
    this.unsubscribe()
  }

  /** The subscription params, as turbo-rails computes them. */
  get channel(): Record<string, string | null> {
    return subscriptionParams(this)
  }

  subscriptionConfirmed(): void {
    this.removeAttribute("rejected")
    if (this.hasAttribute("connected")) return
    this.setAttribute("connected", "")
    this.announce(SourceEvent.connected)
  }

  subscriptionLost(): void {
    if (!this.hasAttribute("connected")) return
    this.removeAttribute("connected")
    this.announce(SourceEvent.disconnected)
  }

  subscriptionRejected(): void {
    this.removeAttribute("connected")
    if (this.hasAttribute("rejected")) return
    this.setAttribute("rejected", "")
    this.announce(SourceEvent.rejected)
  }

  private subscribe(): void {
    this.identifier = subscriptionIdentifier(this)
    StreamSourceElement.registry!.attachSource(this.identifier, this)
  }

  private unsubscribe(): void {
    if (this.identifier === null) return
    StreamSourceElement.registry!.detachSource(this.identifier, this)
    const identifier = this.identifier
    this.identifier = null
    this.removeAttribute("rejected")
    if (this.hasAttribute("connected")) {
      this.removeAttribute("connected")
      dispatchSourceEvent(this, SourceEvent.disconnected, identifier)
    }
  }

  private resubscribe(): void {
    if (this.identifier === null || this.identifier == subscriptionIdentifier(this)) return
    this.unsubscribe()
    this.subscribe()
  }

  private announce(name: string): void {
    dispatchSourceEvent(this, name, this.identifier ?? "")
  }
}

export { ELEMENT_NAME }

/** Attributes that mirror the subscription, not the server's HTML. */
const STATE_ATTRIBUTES = ["connected", "rejected"]

/**
 * Turbo's morphs (page refreshes, a redirect back to the same page) make attributes match the server's HTML,
 * which never has `connected`: the subscription would live on while the attribute said otherwise.
 */
function keepStateThroughMorphs(event: Event): void {
  const { attributeName } = (event as CustomEvent<{ attributeName: string }>).detail ?? {}
  if (event.target instanceof StreamSourceElement && STATE_ATTRIBUTES.includes(attributeName)) event.preventDefault()
}

/** Defines the element unless another copy (or turbo-rails) already did; returns whether this copy defined it. */
export function defineStreamSourceElement(registry: SourceRegistry): boolean {
  if (customElements.get(ELEMENT_NAME)) return false
  StreamSourceElement.registry = registry
  customElements.define(ELEMENT_NAME, StreamSourceElement)
  document.addEventListener("turbo:before-morph-attribute", keepStateThroughMorphs)
  return true
}
