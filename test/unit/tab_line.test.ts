import { describe, expect, it } from "vitest"
import type { Line } from "../../src/line"
import { TabLine } from "../../src/line_choice/tab_line"
import { sharePolicy } from "../../src/sharing/tab/policy"
import { FakeLine } from "../support/fake_line"

/** A tab line over `first`, and the function that replaces it (what line_choice.ts gets). */
function tabLine(first: FakeLine) {
  let replace!: (next: Line) => void
  const line = new TabLine(async (replaceWith) => {
    replace = replaceWith
    return first
  })
  return { line, replace: (next: Line) => replace(next) }
}

const loaded = () => new Promise((resolve) => setTimeout(resolve))

describe("TabLine", () => {
  it("hands what was asked before the line loaded to it, in order", async () => {
    const first = new FakeLine()
    const { line } = tabLine(first)
    const states: string[] = []
    line.on("state", ({ state }) => states.push(state))
    line.open()
    await loaded()
    expect(first.state).toBe("connecting")
    first.welcome()
    expect(states).toEqual(["connecting", "connected"])
  })

  it("a replaced line that was connected is lost to its listeners, and the next one opens and is heard instead", async () => {
    const first = new FakeLine()
    const { line, replace } = tabLine(first)
    const heard: string[] = []
    line.on("lost", (willReconnect) => heard.push(`lost ${willReconnect}`))
    line.on("welcome", () => heard.push("welcome"))
    line.open()
    await loaded()
    first.welcome()
    const next = new FakeLine()
    replace(next)
    expect(heard).toEqual(["welcome", "lost true"])
    expect(next.state).toBe("connecting")
    // The old line is not heard any more; the new one is.
    first.welcome()
    next.welcome()
    expect(heard).toEqual(["welcome", "lost true", "welcome"])
    expect(line.state).toBe("connected")
  })

  it("a line replaced before it was opened stays closed, and one never connected is not lost", async () => {
    const first = new FakeLine()
    const { line, replace } = tabLine(first)
    const lost: boolean[] = []
    line.on("lost", (willReconnect) => lost.push(willReconnect))
    line.stop("stopped by the app")
    await loaded()
    const next = new FakeLine()
    replace(next)
    expect(next.state).toBe("idle")
    expect(lost).toEqual([false])
  })
})

describe("sharePolicy", () => {
  it("is the page's meta tag when it has one, else the option", () => {
    expect(sharePolicy("identified", undefined)).toBe("identified")
    expect(sharePolicy(true, undefined)).toBe(true)
    expect(sharePolicy("identified", "true")).toBe(true)
    expect(sharePolicy(true, "false")).toBe(false)
    expect(sharePolicy(false, "identified")).toBe("identified")
    expect(sharePolicy(false, "anything else")).toBe(false)
  })
})
