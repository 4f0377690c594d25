// Neither package ships types; these declare only what turbo-cable calls.
declare module "@hotwired/turbo" {
  export function renderStreamMessage(message: string): void
  export function connectStreamSource(source: EventTarget): void
  export function disconnectStreamSource(source: EventTarget): void
  export const session: { refresh(url: string, requestId?: string | null): void }
  export const StreamActions: Record<string, (this: Element) => void>
  export function start(): void
}

declare module "idiomorph" {
  export const Idiomorph: {
    morph(oldNode: Element, newContent: Element | string, options?: Record<string, unknown>): unknown
  }
}
