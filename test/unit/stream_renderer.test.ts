import { describe, expect, it } from "vitest"
import { StreamRenderer } from "../../src/streams/stream_renderer"
import { FakeClock } from "../support/fake_clock"

const append = (n: number) => `<turbo-stream action="append" target="items"><template><li id="i${n}">${n}</li></template></turbo-stream>`
const ids = (html: string[]) => html.flatMap((chunk) => [...chunk.matchAll(/id="i(\d+)"/g)].map((m) => Number(m[1])))

function renderer(maxHeld: number) {
  const rendered: string[] = []
  let overflows = 0
  const clock = new FakeClock()
  const r = new StreamRenderer(() => ({ renderStreamMessage: (html) => void rendered.push(html) }), clock, () => overflows++, maxHeld)
  return { r, rendered, overflows: () => overflows, clock }
}

describe("StreamRenderer's paused queue", () => {
  it("applies paused messages in order on resume", () => {
    const { r, rendered } = renderer(10)
    r.pause()
    for (let i = 1; i <= 5; i++) r.render(append(i))
    expect(rendered).toEqual([])
    r.resume()
    expect(ids(rendered)).toEqual([1, 2, 3, 4, 5])
  })

  it("past its bound drops what it held and asks for one more catch-up, never applying out of turn", () => {
    const { r, rendered, overflows } = renderer(3)
    r.pause()
    for (let i = 1; i <= 5; i++) r.render(append(i))
    expect(overflows()).toBe(1)
    expect(rendered).toEqual([])
    r.resume()
    // 1-3 were dropped (the next catch-up's refetch carries them); 4 and 5 came after the drop.
    expect(ids(rendered)).toEqual([4, 5])
  })

  it("passes what it held through the catch-up's filter, once, in one call; a filter that throws leaves them as they came", () => {
    const { r, rendered } = renderer(10)
    r.pause()
    for (let i = 1; i <= 3; i++) r.render(append(i))
    r.resume((held) => held.replace(append(2), ""))
    expect(ids(rendered)).toEqual([1, 3])
    r.pause()
    r.render(append(4))
    r.resume(() => {
      throw new Error("no document")
    })
    expect(ids(rendered)).toEqual([1, 3, 4])
  })

  it("has no bound when not paused", async () => {
    const { r, rendered, overflows, clock } = renderer(3)
    for (let i = 1; i <= 5; i++) r.render(append(i))
    clock.advance(0)
    expect(ids(rendered)).toEqual([1, 2, 3, 4, 5])
    expect(overflows()).toBe(0)
  })
})
