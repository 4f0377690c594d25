// The subscription identifier for a source element, byte for byte what turbo-rails sends.

/** The element turbo-rails' `turbo_stream_from` renders. */
export const ELEMENT_NAME = "turbo-cable-stream-source"

/** `data-room-id` is dataset key `roomId` and becomes `room_id`, as turbo-rails' snakeize does. */
export function snakeCase(key: string): string {
  return key[0].toLowerCase() + key.slice(1).replace(/([A-Z]+)/g, (_, upper: string) => "_" + upper.toLowerCase())
}

/** `{channel, signed_stream_name, ...data-*}` in that key order: the server keys subscriptions by this exact string. */
export function subscriptionParams(element: HTMLElement): Record<string, string | null> {
  const params: Record<string, string | null> = {
    channel: element.getAttribute("channel"),
    signed_stream_name: element.getAttribute("signed-stream-name"),
  }
  for (const [key, value] of Object.entries(element.dataset)) {
    if (key) params[snakeCase(key)] = value ?? null
  }
  return params
}

export function subscriptionIdentifier(element: HTMLElement): string {
  return JSON.stringify(subscriptionParams(element))
}

/** Attributes that make up the identifier; a change to one moves the source to a new subscription. */
export function isIdentifierAttribute(name: string): boolean {
  return name == "channel" || name == "signed-stream-name" || name.startsWith("data-")
}
