// The catch-up by history (AnyCable's extended protocol): caught up with no page request when every feed's
// history was replayed; a refused history, or one that could ask for nothing, falls back to the refetch.
import { describe, expect, it } from "vitest"
import { HistoryCatchUp } from "../../src/catch_up/history_catch_up"
import type { CatchUpReason } from "../../src/config"
import { FakeClock } from "../support/fake_clock"

function setup() {
  const clock = new FakeClock()
  const log: string[] = []
  const state = { answered: true }
  const history = new HistoryCatchUp({
    refetch: (reason: CatchUpReason) => log.push(`refetch ${reason}`),
    caughtUp: (reason, duration) => log.push(`caught up ${reason} in ${duration} ms`),
    answered: () => state.answered,
    clock,
  })
  return { clock, log, state, history }
}

describe("HistoryCatchUp", () => {
  it("is caught up, with no refetch, once every feed's history was replayed", () => {
    const { clock, log, history } = setup()
    history.confirmed("a", "reconnect")
    history.confirmed("b", "reconnect")
    clock.advance(40)
    history.outcome("a", "confirmed")
    expect(log).toEqual([])
    history.outcome("b", "confirmed")
    expect(log).toEqual(["caught up reconnect in 40 ms"])
  })

  it("waits for feeds still unconfirmed", () => {
    const { log, state, history } = setup()
    state.answered = false
    history.confirmed("a", "reconnect")
    history.outcome("a", "confirmed")
    expect(log).toEqual([])
    state.answered = true
    history.settle()
    expect(log).toEqual(["caught up reconnect in 0 ms"])
  })

  it("falls back to one refetch when a history is refused, and lets the refetch say when the page is caught up", () => {
    const { log, history } = setup()
    history.confirmed("a", "reconnect")
    history.confirmed("b", "reconnect")
    history.outcome("a", "rejected")
    history.outcome("b", "confirmed")
    expect(log).toEqual(["refetch reconnect"])
  })

  it("refetches a page whose feed could ask for no history", () => {
    const { log, history } = setup()
    history.confirmed("a", "stale-page")
    history.outcome("a", "none")
    expect(log).toEqual(["refetch stale-page"])
  })

  it("says nothing for a fresh page's first confirmation, and refetches it if its history was refused", () => {
    const { log, history } = setup()
    history.confirmed("a", null)
    history.outcome("a", "confirmed")
    history.confirmed("b", null)
    history.outcome("b", "none")
    expect(log).toEqual([])
    history.confirmed("c", null)
    history.outcome("c", "rejected")
    expect(log).toEqual(["refetch connect"])
  })

  it("forgets what it awaited when the line drops, and ignores outcomes for feeds it does not await", () => {
    const { log, history } = setup()
    history.confirmed("a", "reconnect")
    history.lost()
    history.outcome("a", "confirmed")
    history.outcome("app-channel", "rejected")
    expect(log).toEqual([])
  })
})
