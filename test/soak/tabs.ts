// What the soak records in each tab (soak.ts): every item's first appearance and every cable state, written in
// the page by PAGE_RECORDER and pulled out every few seconds, so the page keeps nothing of it; and what that record
// says of a tab: the ids it never showed, how soon it was current again after a fault.
import type { CDPSession, Page } from "@playwright/test"
import { setTimeout as sleep } from "node:timers/promises"
import type { RailsServers } from "../support/rails_server"
import type { FaultRun } from "./faults"
import { TIMER_COUNTER } from "./measure"

export const TAB_KINDS = ["plain", "app channel", "hidden"] as const
export type TabKind = (typeof TAB_KINDS)[number]

/** One write the soak made: to which room, the id the server gave it, when its answer came. */
export interface Write {
  room: string
  id: number
  at: number
}

export interface Tab {
  name: string
  user: number
  kind: TabKind
  page: Page
  cdp: CDPSession
  /** Per room: when each id was first on the page. */
  seen: Map<string, Map<number, number>>
  states: Array<[string, number]>
  duplicated: Set<string>
  outOfOrder: Set<string>
}

/** Recorded in every page before its scripts: each item's first appearance, each cable state, and the timers (measure.ts). */
export const PAGE_RECORDER = `${TIMER_COUNTER};(() => {
  const __soak = (globalThis.__soak = { seen: [], states: [] })
  new MutationObserver((records) => {
    const now = Date.now()
    for (const record of records) {
      const room = record.target.dataset && record.target.dataset.room
      for (const node of record.addedNodes) {
        if (node.nodeType != 1) continue
        for (const li of node.matches("li[data-id]") ? [node] : node.querySelectorAll("li[data-id]")) {
          __soak.seen.push([room || (li.parentElement && li.parentElement.dataset.room) || "", Number(li.dataset.id), now])
        }
      }
    }
  }).observe(document, { childList: true, subtree: true })
  document.addEventListener("turbo-cable:state", (event) => __soak.states.push([event.detail.state, Date.now()]))
})()`

export async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeout: number, what: string): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`soak: no ${what} within ${timeout} ms (last: ${JSON.stringify(value)})`)
    await sleep(200)
  }
}

export const connectedSources = (page: Page) => page.evaluate(() => document.querySelectorAll("turbo-cable-stream-source[connected]").length)
export const echoes = (page: Page) => page.evaluate(() => Number(document.getElementById("echoes")?.dataset.count ?? 0))

export async function lastIds(rails: RailsServers, rooms: string[]): Promise<Record<string, number>> {
  const last: Record<string, number> = {}
  for (const room of rooms) last[room] = (await (await fetch(`${rails.url(0)}/rooms/${room}/items`)).json()).last
  return last
}

/** Takes what the tab recorded since the last pull, and checks its lists: each id once, in order. */
export async function pull(tab: Tab, rooms: string[]): Promise<void> {
  const taken = await tab.page.evaluate(() => {
    const soak = (window as any).__soak
    const out = {
      seen: soak.seen as Array<[string, number, number]>,
      states: soak.states as Array<[string, number]>,
      lists: [...document.querySelectorAll<HTMLElement>("ul[data-room]")].map((ul) => [ul.dataset.room!, [...ul.children].map((li) => Number((li as HTMLElement).dataset.id))] as [string, number[]]),
    }
    soak.seen = []
    soak.states = []
    return out
  })
  for (const [room, id, at] of taken.seen) {
    const seen = tab.seen.get(room)
    if (seen && !seen.has(id)) seen.set(id, at)
  }
  tab.states.push(...taken.states)
  for (const [room, ids] of taken.lists) {
    if (!rooms.includes(room)) continue
    const once = new Set<number>()
    ids.forEach((id, i) => {
      if (once.has(id)) tab.duplicated.add(`${room}#${id}`)
      once.add(id)
      if (i > 0 && id < ids[i - 1]!) tab.outOfOrder.add(`${room}#${ids[i - 1]}>${id}`)
    })
  }
}

export function missingIds(seen: Map<number, number>, last: number): number[] {
  const missing: number[] = []
  for (let id = 1; id <= last; id++) if (!seen.has(id)) missing.push(id)
  return missing
}

/** How late a write may show and still count as live (ms). */
const LIVE = 1_000

/**
 * ms from the fault's end until the tab was current again: until the last write made from 10 s before the
 * fault to `until` (30 s after it, or the next fault) that showed later than live did show; 0 when every one
 * was live; null if one never showed. A hidden tab puts its catch-up off until it is shown: for it, until its
 * cable was connected again.
 */
export function caughtUpAfter(tab: Tab, fault: FaultRun, until: number, writes: Write[]): number | null {
  if (tab.kind == "hidden") {
    const lost = tab.states.find(([state, at]) => at >= fault.startedAt && at <= until && /disconnected|reconnecting/.test(state))
    if (!lost) return 0
    const back = tab.states.find(([state, at]) => at > lost[1] && /^(connected|caught-up|behind|catching-up)$/.test(state))
    return back ? Math.max(0, back[1] - fault.endedAt) : null
  }
  let latest = fault.endedAt
  for (const { room, id, at } of writes) {
    if (at < fault.startedAt - 10_000) continue
    if (at > until) break
    const shownAt = tab.seen.get(room)!.get(id)
    if (shownAt === undefined) return null
    if (shownAt - at > LIVE && shownAt > latest) latest = shownAt
  }
  return latest - fault.endedAt
}

