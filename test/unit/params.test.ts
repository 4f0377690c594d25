import { describe, expect, it } from "vitest"
import { isIdentifierAttribute, snakeCase, subscriptionIdentifier } from "../../src/streams/params"

function element(attributes: Record<string, string>, dataset: Record<string, string> = {}): HTMLElement {
  return { getAttribute: (name: string) => attributes[name] ?? null, dataset } as unknown as HTMLElement
}

describe("subscription params", () => {
  it("snake-cases dataset keys as turbo-rails does", () => {
    expect(snakeCase("roomId")).toBe("room_id")
    expect(snakeCase("userIDValue")).toBe("user_idvalue")
    expect(snakeCase("plain")).toBe("plain")
  })

  it("builds the identifier in turbo-rails' key order", () => {
    const source = element({ channel: "Turbo::StreamsChannel", "signed-stream-name": "abc--123" }, { roomId: "7", kind: "x" })
    expect(subscriptionIdentifier(source)).toBe(
      '{"channel":"Turbo::StreamsChannel","signed_stream_name":"abc--123","room_id":"7","kind":"x"}',
    )
  })

  it("keeps missing attributes as null, like turbo-rails", () => {
    expect(subscriptionIdentifier(element({}))).toBe('{"channel":null,"signed_stream_name":null}')
  })

  it("knows which attributes make up the identifier", () => {
    expect(["channel", "signed-stream-name", "data-room-id"].every(isIdentifierAttribute)).toBe(true)
    expect(["connected", "rejected", "id", "class"].some(isIdentifierAttribute)).toBe(false)
  })
})
