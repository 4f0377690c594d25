// The reconnect loop alone: fake ports, the fake clock, no socket and no real timer.
import { beforeEach, describe, expect, it } from "vitest"
import type { LineState } from "../../src/line"
import { ReconnectLoop, type LoopPorts } from "../../src/socket/reconnect_loop"
import { FakeClock } from "../support/fake_clock"
import { microtasks } from "../support/fake_line"

const settings = { backoff: { firstDelay: 300, factor: 1.3, maxDelay: 10_000, jitter: 0.5 }, connectTimeout: 4_000, stableAfter: 3_000 }

let clock: FakeClock
let loop: ReconnectLoop
let connects: number
let abandons: number
let states: LineState[]
let answers: boolean[]
let leaving: number
let refreshes: number
let url: () => string
let probes: number

beforeEach(() => {
  clock = new FakeClock()
  connects = 0
  abandons = 0
  states = []
  answers = []
  leaving = 0
  refreshes = 0
  probes = 0
  url = () => "ws://cable.test/cable"
  const ports: LoopPorts = {
    connect: () => void connects++,
    abandon: () => void abandons++,
    url: () => url(),
    serverAnswers: async () => {
      probes++
      return answers.shift() ?? true
    },
    refreshCredentials: async () => void refreshes++,
    leavingFor: () => leaving,
    changed: (state) => void states.push(state),
  }
  loop = new ReconnectLoop(ports, settings, clock)
})

/** The socket opens and the server welcomes it. */
function welcome(): void {
  loop.socketOpened()
  loop.welcomed()
}

describe("ReconnectLoop", () => {
  it("connects at once the first time, and shows connecting then connected", () => {
    loop.begin()
    expect(connects).toBe(1)
    welcome()
    expect(states).toEqual(["connecting", "connected"])
  })

  it("waits a jittered 150-450 ms after the first drop, then grows the wait", async () => {
    loop.begin()
    welcome()
    loop.closed("closed")
    expect(loop.lineState).toBe("disconnected")
    clock.advance(149)
    await microtasks()
    expect(connects).toBe(1)
    clock.advance(301)
    await microtasks()
    expect(connects).toBe(2)
    expect(loop.lineState).toBe("reconnecting")
    loop.socketOpened()
    loop.closed("closed")
    clock.advance(194) // the second step is 300 x 1.3 x (1 +/- 0.5): at least 195 ms
    await microtasks()
    expect(connects).toBe(2)
    clock.advance(400)
    await microtasks()
    expect(connects).toBe(3)
  })

  it("starts the backoff over after a connection that stayed up for stableAfter", async () => {
    loop.begin()
    for (let i = 0; i < 8; i++) {
      loop.socketOpened()
      loop.closed("closed")
      clock.advance(20_000)
      await microtasks()
    }
    welcome()
    clock.advance(3_000)
    loop.closed("closed")
    clock.advance(450)
    await microtasks()
    expect(loop.lineState).toBe("reconnecting")
  })

  it("retries at once after the page's own wake, and says so", async () => {
    loop.begin()
    welcome()
    expect(loop.wake()).toBe(false) // connected: nothing to cut short
    loop.closed("resume")
    clock.advance(0)
    await microtasks()
    expect(connects).toBe(2)
    expect(loop.rejoiningAfterWake).toBe(true)
    welcome()
    loop.closed("closed")
    clock.advance(0)
    await microtasks()
    expect(connects).toBe(2)
    expect(loop.wake()).toBe(true)
    await microtasks()
    expect(connects).toBe(3)
  })

  it("asks the server over HTTP after a drop, and opens a socket only once it answers", async () => {
    loop.begin()
    welcome()
    answers = [false, false, true]
    loop.closed("closed")
    await clock.advanceAsync(449)
    expect(probes).toBeGreaterThanOrEqual(1)
    expect(loop.state).toEqual({ name: "waiting", reason: "unreachable" })
    await clock.advanceAsync(3_000)
    expect(probes).toBe(3)
    expect(connects).toBe(2)
    expect(answers).toEqual([])
  })

  it("opens nothing while the page is leaving, and goes on after the grace if it stays", async () => {
    loop.begin()
    welcome()
    leaving = 800
    loop.closed("closed")
    clock.advance(700)
    await microtasks()
    expect(connects).toBe(1)
    leaving = 0
    clock.advance(600)
    await microtasks()
    expect(connects).toBe(2)
  })

  it("runs the app's refresh hook before the one retry of a refused connection", async () => {
    loop.begin()
    welcome()
    loop.refreshBeforeNextAttempt()
    loop.closed("unauthorized")
    clock.advance(450)
    await microtasks()
    expect(refreshes).toBe(1)
    await microtasks()
    expect(connects).toBe(2)
  })

  it("gives up on a socket that does not open within connectTimeout", () => {
    loop.begin()
    clock.advance(3_999)
    expect(abandons).toBe(0)
    clock.advance(1)
    expect(abandons).toBe(1)
  })

  it("stops for good on a bad URL, and waits for nothing once stopped", () => {
    url = () => {
      throw new Error("bad")
    }
    loop.begin()
    expect(loop.lineState).toBe("stopped")
    expect(loop.state).toEqual({ name: "stopped", reason: "bad-url" })
    clock.advance(60_000)
    expect(clock.pending).toBe(0)
  })

  it("restart() after stop() connects at once with a fresh backoff", () => {
    loop.begin()
    welcome()
    loop.stop("stopped by the app")
    expect(clock.pending).toBe(0)
    loop.restart()
    expect(connects).toBe(2)
    expect(states).toEqual(["connecting", "connected", "stopped", "connecting"])
  })
})
