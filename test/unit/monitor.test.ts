import { describe, expect, it } from "vitest"
import { ConnectionMonitor, isStale, sleptBetween } from "../../src/socket/monitor"
import { FakeClock } from "../support/fake_clock"

describe("liveness policy", () => {
  it("calls a line stale after the threshold without a frame", () => {
    expect(isStale(10_000, 4_001, 6_000)).toBe(false)
    expect(isStale(10_000, 4_000, 6_000)).toBe(true)
  })

  it("sees a sleep in a long unseen gap, but not in a throttled tab that still gets pings", () => {
    expect(sleptBetween(100_000, 10_000, 9_000, 6_000)).toBe(true)
    expect(sleptBetween(100_000, 10_000, 99_000, 6_000)).toBe(false)
    expect(sleptBetween(10_500, 10_000, 9_000, 6_000)).toBe(false)
  })
})

describe("ConnectionMonitor", () => {
  function setup() {
    const deaths: string[] = []
    const time = new FakeClock()
    const monitor = new ConnectionMonitor(
      (why) => deaths.push(why),
      { staleAfter: 6_000, pollInterval: 500 },
      time,
    )
    monitor.start()
    monitor.watch(true)
    return { deaths, time, monitor }
  }

  it("declares the line dead within one poll of the threshold", () => {
    const { deaths, time } = setup()
    for (let i = 0; i < 11; i++) time.advance(500)
    expect(deaths).toEqual([])
    time.advance(500)
    expect(deaths).toEqual(["stale"])
  })

  it("keeps a line alive while frames arrive", () => {
    const { deaths, time, monitor } = setup()
    for (let i = 0; i < 100; i++) {
      time.advance(500)
      if (i % 6 == 0) monitor.recordFrame()
    }
    expect(deaths).toEqual([])
  })

  it("reports a sleep at the first poll after waking", () => {
    const { deaths, time } = setup()
    time.advance(500)
    time.jump(60_000)
    time.advance(0)
    expect(deaths).toEqual(["slept"])
  })

  it("says nothing while not watching (no socket open)", () => {
    const { deaths, time, monitor } = setup()
    monitor.watch(false)
    time.advance(60_000)
    expect(deaths).toEqual([])
  })
})
