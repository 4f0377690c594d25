// The page's DOM, read and written in one place each: events turbo-cable dispatches and <meta> tags it reads.

/**
 * Dispatches `name` on `target` (default: the document), bubbling. A target that has left the page cannot
 * bubble to the document, so the document gets a copy of its own. Returns false if a listener canceled it.
 */
export function dispatch(name: string, { target, detail, cancelable = false }: { target?: EventTarget; detail?: object; cancelable?: boolean } = {}): boolean {
  const doc = globalThis.document
  const event = () => new CustomEvent(name, { bubbles: true, cancelable, detail })
  if (!target) return doc?.dispatchEvent(event()) ?? true
  const delivered = target.dispatchEvent(event())
  if (doc && target instanceof Node && !target.isConnected) doc.dispatchEvent(event())
  return delivered
}

/** The content of `<meta name="NAME">` in the document's head, or undefined when absent or empty. */
export function readMeta(name: string, doc: Document | undefined = globalThis.document): string | undefined {
  return doc?.head?.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || undefined
}
