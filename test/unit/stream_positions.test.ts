// A subscription's place in its streams: each broadcast applied once, never an older offset after a newer
// one, and what arrives while history is asked for held and then applied in offset order.
import { describe, expect, it } from "vitest"
import { SubscriptionPositions, inOffsetOrder } from "../../src/extended/stream_positions"

const at = (offset: number, epoch = "e1", stream = "s") => ({ message: `${stream}:${epoch}:${offset}`, position: { stream, epoch, offset } })

describe("SubscriptionPositions", () => {
  it("applies each offset once and never an older one after a newer one", () => {
    const feed = new SubscriptionPositions<string>()
    expect(feed.receive(at(1))).toEqual(["s:e1:1"])
    expect(feed.receive(at(2))).toEqual(["s:e1:2"])
    expect(feed.receive(at(2))).toEqual([])
    expect(feed.receive(at(1))).toEqual([])
    expect(feed.receive(at(4))).toEqual(["s:e1:4"])
    expect(feed.receive(at(3))).toEqual([])
  })

  it("takes a new epoch as a new life of the history: its offsets start again", () => {
    const feed = new SubscriptionPositions<string>()
    feed.receive(at(7))
    expect(feed.receive(at(1, "e2"))).toEqual(["s:e2:1"])
    expect(feed.request()).toEqual({ streams: { s: { epoch: "e2", offset: 1 } } })
  })

  it("passes messages without a position (transient) every time", () => {
    const feed = new SubscriptionPositions<string>()
    expect(feed.receive({ message: "t" })).toEqual(["t"])
    expect(feed.receive({ message: "t" })).toEqual(["t"])
  })

  it("asks since its render time until it knows a position, then after the last one applied", () => {
    const feed = new SubscriptionPositions<string>(1_700_000_000)
    expect(feed.request()).toEqual({ since: 1_700_000_000, streams: {} })
    feed.receive(at(3))
    feed.receive(at(5, "e1", "other"))
    expect(feed.request()).toEqual({ since: 1_700_000_000, streams: { s: { epoch: "e1", offset: 3 }, other: { epoch: "e1", offset: 5 } } })
  })

  it("asks nothing with neither a position nor a time", () => {
    expect(new SubscriptionPositions<string>().request()).toBeNull()
  })

  it("holds what arrives until the history is answered, then applies it in offset order, each once", () => {
    const feed = new SubscriptionPositions<string>()
    feed.receive(at(1))
    feed.awaitHistory()
    // A live broadcast (4) overtakes the replay (2, 3), which repeats one already applied (1) and itself (3).
    for (const offset of [4, 1, 2, 3, 3]) expect(feed.receive(at(offset))).toEqual([])
    expect(feed.historyAnswered()).toEqual(["s:e1:2", "s:e1:3", "s:e1:4"])
    expect(feed.holding).toBe(false)
    expect(feed.receive(at(4))).toEqual([])
  })

  it("lets held messages go when the line drops, so the next request asks for them again", () => {
    const feed = new SubscriptionPositions<string>()
    feed.receive(at(1))
    feed.awaitHistory()
    feed.receive(at(2))
    feed.letGo()
    expect(feed.request()).toEqual({ streams: { s: { epoch: "e1", offset: 1 } } })
    expect(feed.receive(at(2))).toEqual(["s:e1:2"])
  })
})

describe("inOffsetOrder", () => {
  it("sorts each stream by offset, keeps streams in first-seen order and unplaced messages last", () => {
    const sorted = inOffsetOrder([at(2, "e", "b"), { message: "t" }, at(9, "e", "a"), at(1, "e", "b"), at(8, "e", "a")])
    expect(sorted.map((placed) => placed.message)).toEqual(["b:e:1", "b:e:2", "a:e:8", "a:e:9", "t"])
  })
})
