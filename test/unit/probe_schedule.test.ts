// The probe schedule: the pure gaps, then the reconnect loop living through outages on the fake clock
// against a server that answers from a given moment on. No socket, no real timer.
import { describe, expect, it } from "vitest"
import { PROBE_POLICY, longestProbeGap, probeGap } from "../../src/socket/probe_schedule"
import { ReconnectLoop } from "../../src/socket/reconnect_loop"
import { defaults } from "../../src/config"
import { FakeClock } from "../support/fake_clock"

const SECOND = 1_000
const MINUTE = 60 * SECOND

describe("probeGap", () => {
  it("asks quickly for the first 3 s of an outage: gaps of 250-750 ms", () => {
    for (const downFor of [0, 1_000, 2_999]) {
      expect(probeGap(downFor, PROBE_POLICY, () => 0)).toBe(250)
      expect(probeGap(downFor, PROBE_POLICY, () => 0.999999)).toBeCloseTo(750, 2)
    }
  })

  it("then asks every 2250-2750 ms, 2.5 s on average, however long the outage", () => {
    for (const downFor of [3_000, 40_000, 3_600_000]) {
      expect(probeGap(downFor, PROBE_POLICY, () => 0)).toBe(2_250)
      expect(probeGap(downFor, PROBE_POLICY, () => 0.999999)).toBeCloseTo(2_750, 2)
    }
    const gaps = Array.from({ length: 20_000 }, () => probeGap(60_000))
    expect(gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length).toBeCloseTo(2_500, -1)
    expect(longestProbeGap()).toBe(2_750)
  })
})

/**
 * A reconnect loop (the defaults' backoff) against a server that answers from `upAt` on: a socket opened
 * before then fails 5 ms later, one opened after is welcomed. Counts what the loop does.
 */
function client(clock: FakeClock, server: { upAt: number }) {
  const seen = { probes: [] as number[], connects: [] as number[] }
  const loop: ReconnectLoop = new ReconnectLoop(
    {
      connect: () => {
        seen.connects.push(clock.now())
        if (clock.now() < server.upAt) return void clock.after(5, () => loop.closed("closed"))
        loop.socketOpened()
        loop.welcomed()
      },
      abandon: () => {},
      url: () => "ws://cable.test/cable",
      serverAnswers: async () => {
        seen.probes.push(clock.now())
        return clock.now() >= server.upAt
      },
      refreshCredentials: async () => {},
      leavingFor: () => 0,
      changed: () => {},
    },
    { backoff: defaults.backoff, connectTimeout: defaults.connectTimeout, stableAfter: defaults.stableAfter },
    clock,
  )
  loop.begin()
  return { loop, seen }
}

/** The server drops the line now and listens again `outage` ms later; the client's figures. */
async function outage(outage: number) {
  const clock = new FakeClock()
  const server = { upAt: 0 }
  server.upAt = -Infinity
  const { loop, seen } = client(clock, server)
  const droppedAt = clock.now()
  server.upAt = droppedAt + outage
  loop.closed("closed")
  await clock.advanceAsync(outage + 5 * SECOND)
  const whileDown = seen.probes.filter((at) => at < server.upAt)
  return { loop, seen, droppedAt, upAt: server.upAt, whileDown, rejoinedAfter: seen.connects.at(-1)! - server.upAt }
}

describe("the reconnect loop through an outage", () => {
  it("opens no socket while the server is down, only asks over HTTP", async () => {
    const { seen, whileDown, upAt } = await outage(40 * SECOND)
    expect(seen.connects.filter((at) => at < upAt)).toHaveLength(1) // the first connection, before the outage
    expect(seen.connects).toHaveLength(2)
    expect(whileDown.length).toBeGreaterThan(10)
  })

  it("asks a server that is down quickly for 3 s, then at most once per 2.25 s, 24 a minute on average", async () => {
    const { whileDown, droppedAt } = await outage(5 * MINUTE)
    // The backoff's first step (at most 450 ms), then 3 s of gaps of at least 250 ms.
    const quick = whileDown.filter((at) => at - whileDown[0]! < PROBE_POLICY.quickFor)
    expect(whileDown[0]! - droppedAt).toBeLessThanOrEqual(450)
    expect(quick.length).toBeLessThanOrEqual(1 + PROBE_POLICY.quickFor / 250)
    const steady = whileDown.slice(quick.length)
    const gaps = steady.slice(1).map((at, i) => at - steady[i]!)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2_250)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2_750)
    for (let minute = 1; minute < 5; minute++) {
      const inMinute = whileDown.filter((at) => at >= droppedAt + minute * MINUTE && at < droppedAt + (minute + 1) * MINUTE)
      expect(inMinute.length).toBeLessThanOrEqual(Math.ceil(MINUTE / 2_250))
    }
    // ~7 quick ones, then 2.5 s apart on average: ~126 in 5 minutes.
    expect(whileDown.length).toBeGreaterThan(110)
    expect(whileDown.length).toBeLessThan(140)
  })

  for (const [name, length] of [
    ["10 s", 10 * SECOND],
    ["40 s", 40 * SECOND],
    ["5 minutes", 5 * MINUTE],
  ] as const) {
    it(`connects within 2.75 s of the server listening again after ${name} down, whenever it comes back`, async () => {
      for (let i = 0; i < 20; i++) {
        const { rejoinedAfter } = await outage(length + Math.random() * 3 * SECOND)
        expect(rejoinedAfter).toBeGreaterThanOrEqual(0)
        expect(rejoinedAfter).toBeLessThanOrEqual(longestProbeGap())
      }
    })
  }

  it("connects within 750 ms of a restarted server that listens again within 3 s", async () => {
    for (let i = 0; i < 50; i++) {
      const { rejoinedAfter } = await outage(500 + Math.random() * 2.5 * SECOND)
      expect(rejoinedAfter).toBeLessThanOrEqual(750)
    }
  })

  it("rejoins without a catch-up spread once probes found the server down, with it when the first probe finds it up", async () => {
    const down = await outage(5 * SECOND)
    expect(down.loop.rejoiningAfterWake).toBe(true)
    const blip = await outage(0)
    expect(blip.whileDown).toHaveLength(0)
    expect(blip.loop.rejoiningAfterWake).toBe(false)
  })

  it("spreads a fleet dropped at once by a crash over a window when the server is back", async () => {
    const clock = new FakeClock()
    const server = { upAt: -Infinity }
    const fleet = Array.from({ length: 300 }, () => client(clock, server))
    server.upAt = clock.now() + 40 * SECOND
    for (const { loop } of fleet) loop.closed("closed")
    await clock.advanceAsync(45 * SECOND)
    const rejoins = fleet.map(({ seen }) => seen.connects[1]! - server.upAt)
    expect(Math.max(...rejoins)).toBeLessThanOrEqual(longestProbeGap())
    // Wider than the backoff and catch-up spread made it before (~0.8 s): no 100 ms takes an eighth of the fleet.
    expect(Math.max(...rejoins) - Math.min(...rejoins)).toBeGreaterThan(2_000)
    const slots = new Map<number, number>()
    for (const at of rejoins) slots.set(Math.floor(at / 100), (slots.get(Math.floor(at / 100)) ?? 0) + 1)
    expect(Math.max(...slots.values())).toBeLessThan(fleet.length / 8)
  })
})
