// parseFrame over arbitrary input (fast-check): whatever arrives on the socket, the parser returns a frame of
// the ServerFrame union or an error, and never throws out of the WebSocket callback.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DisconnectReason, MAX_FRAME_LENGTH, MessageType, parseFrame, type ServerFrame } from "../../src/protocol"

/** The keys each frame type may carry (one of the sets), no more and no fewer. */
const FRAME_KEYS: Record<ServerFrame["type"], string[][]> = {
  welcome: [["type"], ["sid", "type"], ["restoredIds", "sid", "type"]],
  ping: [["type"]],
  disconnect: [["reason", "reconnect", "type"]],
  confirm: [["identifier", "type"]],
  reject: [["identifier", "type"]],
  message: [["identifier", "message", "type"], ["identifier", "message", "position", "type"]],
  history: [["confirmed", "identifier", "type"]],
  presence: [["identifier", "message", "type"]],
}

/** Asserts `result` is `{error: string}` or exactly one shape of the ServerFrame union. */
function expectFrameOrError(result: unknown): void {
  expect(result).toBeTypeOf("object")
  const record = result as Record<string, unknown>
  if ("error" in record) {
    expect(Object.keys(record)).toEqual(["error"])
    expect(record.error).toBeTypeOf("string")
    return
  }
  expect(Object.keys(FRAME_KEYS)).toContain(record.type)
  expect(FRAME_KEYS[record.type as ServerFrame["type"]]).toContainEqual(Object.keys(record).sort())
  if ("identifier" in record) expect(record.identifier).toBeTypeOf("string")
  if (record.type == "disconnect") {
    expect(record.reason).toBeTypeOf("string")
    expect(record.reconnect).toBeTypeOf("boolean")
  }
}

/** A JSON value as it arrives off the wire: JSON writes -0 as 0, so a frame can never carry -0. */
const wireJson = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown)

const anyText = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json(), fc.string({ unit: "binary" }).map((text) => `{${text}}`))

/** An object with any subset of the fields the parser reads, each of any JSON value or a plausible one. */
const frameFields = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...Object.values(MessageType)), fc.string(), fc.jsonValue()),
    identifier: fc.oneof(fc.json(), fc.string(), fc.jsonValue()),
    message: wireJson,
    reason: fc.oneof(fc.constantFrom(...Object.values(DisconnectReason)), fc.jsonValue()),
    reconnect: fc.oneof(fc.boolean(), fc.jsonValue()),
  },
  { requiredKeys: [] },
)

const frameObject = fc
  .tuple(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), frameFields)
  .map(([extra, fields]) => ({ ...extra, ...fields }) as Record<string, unknown>)

const identifier = fc.oneof(fc.string(), fc.json())

/** A frame as an Action Cable server writes it, and the ServerFrame it stands for. */
type WireFrame = [wire: object, frame: ServerFrame]
const written = (wire: object, frame: ServerFrame): WireFrame => [wire, frame]

const wireFrame: fc.Arbitrary<WireFrame> = fc.oneof(
  fc.constant(written({ type: "welcome" }, { type: "welcome" })),
  fc.integer({ min: 0 }).map((time) => written({ type: "ping", message: time }, { type: "ping" })),
  fc
    .tuple(fc.oneof(fc.constantFrom(...Object.values(DisconnectReason)), fc.string()), fc.boolean())
    .map(([reason, reconnect]) => written({ type: "disconnect", reason, reconnect }, { type: "disconnect", reason, reconnect })),
  identifier.map((id) => written({ identifier: id, type: "confirm_subscription" }, { type: "confirm", identifier: id })),
  identifier.map((id) => written({ identifier: id, type: "reject_subscription" }, { type: "reject", identifier: id })),
  fc
    .tuple(identifier, wireJson)
    .map(([id, message]) => written({ identifier: id, message }, { type: "message", identifier: id, message })),
)

describe("parseFrame on arbitrary input", () => {
  it("returns a frame or an error for any string, never throwing", () => {
    fc.assert(fc.property(anyText, (data) => {
      expectFrameOrError(parseFrame(data))
    }))
  })

  it("returns a frame or an error for any JSON value", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expectFrameOrError(parseFrame(JSON.stringify(value)))
    }))
  })

  it("returns an error for anything that is not a string", () => {
    const binary = fc.constantFrom<unknown>(new ArrayBuffer(8), new Uint8Array([123, 125]), new Blob(["{}"]))
    const notString = fc.oneof(binary, fc.anything().filter((value) => typeof value != "string"))
    fc.assert(fc.property(notString, (data) => {
      expect(parseFrame(data)).toEqual({ error: expect.any(String) })
    }))
  })

  it("reads an object with any type, identifier, message, reason and reconnect as a frame or an error, keeping what it read", () => {
    fc.assert(
      fc.property(frameObject, (fields) => {
        const result = parseFrame(JSON.stringify(fields))
        expectFrameOrError(result)
        if ("error" in result) return
        if ("identifier" in result) expect(result.identifier).toBe(fields.identifier)
        if (result.type == "message") expect(result.message).toEqual(fields.message)
        if (result.type == "disconnect") {
          expect(result.reason).toBe(typeof fields.reason == "string" ? fields.reason : "")
          expect(result.reconnect).toBe(fields.reconnect !== false)
        }
      }),
    )
  })

  it("parses every frame a server writes to the frame it stands for", () => {
    fc.assert(fc.property(wireFrame, ([wire, frame]) => {
      expect(parseFrame(JSON.stringify(wire))).toEqual(frame)
    }))
  })
})

describe("parseFrame near MAX_FRAME_LENGTH", () => {
  const nearLimit = fc.integer({ min: MAX_FRAME_LENGTH - 8, max: MAX_FRAME_LENGTH + 8 })

  it("reads a message frame up to the limit and reports one past it", () => {
    const head = '{"identifier":"x","message":"'
    fc.assert(
      fc.property(nearLimit, (length) => {
        const message = "m".repeat(length - head.length - 2)
        const data = `${head}${message}"}`
        expect(data.length).toBe(length)
        const result = parseFrame(data)
        if (length <= MAX_FRAME_LENGTH) expect(result).toEqual({ type: "message", identifier: "x", message })
        else expect(result).toEqual({ error: expect.stringContaining("oversize") })
      }),
      { numRuns: 20 },
    )
  })

  it("returns a frame or an error for any text near the limit", () => {
    const text = fc
      .tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), nearLimit)
      .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))
    fc.assert(fc.property(text, (data) => {
      expectFrameOrError(parseFrame(data))
    }), { numRuns: 20 })
  })
})

describe("parseFrame on deeply nested frames", () => {
  // Regression: fast-check found `{"type":[[[…]]]}` nested 4,100 deep (seed 734474764) throws RangeError
  // (call stack exceeded) out of parseFrame: JSON.parse reads it, JSON.stringify(type) in the error message
  // recurses. 100,000 deep is past any stack and a 200 kB frame, far under MAX_FRAME_LENGTH.
  it("reports a frame whose type nests deeper than the call stack instead of throwing", () => {
    const depth = 100_000
    expect(parseFrame(`{"type":${"[".repeat(depth)}${"]".repeat(depth)}}`)).toEqual({ error: expect.any(String) })
  })

  it("reads a message whose body nests deeper than the call stack", () => {
    const depth = 100_000
    const result = parseFrame(`{"identifier":"x","message":${"[".repeat(depth)}${"]".repeat(depth)}}`)
    expect(result).toMatchObject({ type: "message", identifier: "x" })
  })
})
