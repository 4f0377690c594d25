import { describe, expect, it } from "vitest"
import { MAX_FRAME_LENGTH, parseFrame, subscribeCommand, unsubscribeCommand, messageCommand } from "../../src/protocol"

describe("parseFrame", () => {
  it("reads welcome, ping and disconnect", () => {
    expect(parseFrame('{"type":"welcome"}')).toEqual({ type: "welcome" })
    expect(parseFrame('{"type":"ping","message":1712345678}')).toEqual({ type: "ping" })
    expect(parseFrame('{"type":"disconnect","reason":"unauthorized","reconnect":false}')).toEqual({
      type: "disconnect",
      reason: "unauthorized",
      reconnect: false,
    })
  })

  it("treats a disconnect without a reconnect flag as reconnectable", () => {
    expect(parseFrame('{"type":"disconnect","reason":"server_restart"}')).toMatchObject({ reconnect: true })
  })

  it("reads confirmations, rejections and messages with their identifier", () => {
    const id = '{"channel":"Turbo::StreamsChannel","signed_stream_name":"x"}'
    expect(parseFrame(JSON.stringify({ identifier: id, type: "confirm_subscription" }))).toEqual({ type: "confirm", identifier: id })
    expect(parseFrame(JSON.stringify({ identifier: id, type: "reject_subscription" }))).toEqual({ type: "reject", identifier: id })
    expect(parseFrame(JSON.stringify({ identifier: id, message: "<turbo-stream>" }))).toEqual({
      type: "message",
      identifier: id,
      message: "<turbo-stream>",
    })
  })

  it("reports bad input instead of throwing", () => {
    for (const bad of ["not json", "[]", "null", "42", '"str"', '{"type":"mystery"}', '{"identifier":"x"}', '{"identifier":7,"message":"m"}']) {
      expect(parseFrame(bad)).toHaveProperty("error")
    }
    expect(parseFrame(new ArrayBuffer(4))).toHaveProperty("error")
    expect(parseFrame("x".repeat(MAX_FRAME_LENGTH + 1))).toHaveProperty("error")
  })
})

describe("commands", () => {
  it("carry the identifier as a string and data as a JSON string", () => {
    expect(JSON.parse(subscribeCommand('{"a":1}'))).toEqual({ command: "subscribe", identifier: '{"a":1}' })
    expect(JSON.parse(unsubscribeCommand('{"a":1}'))).toEqual({ command: "unsubscribe", identifier: '{"a":1}' })
    expect(JSON.parse(messageCommand("id", { action: "speak", body: "hi" }))).toEqual({
      command: "message",
      identifier: "id",
      data: '{"action":"speak","body":"hi"}',
    })
  })
})
