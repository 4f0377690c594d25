// The soak: a working day of faults, compressed. Real Rails (two pumas behind Redis), two users each in a
// Chromium of their own with three tabs (one hidden, one also using an app channel) that share the user's
// connection (the pages render the identity meta), a write every second to each of two rooms, and a fault
// at a fixed period, in turn (faults.ts). It records what every tab showed and when, and reads every tab and
// worker at a fixed period (measure.ts). `npm run soak` runs an hour (bench/soak.ts); the 2-minute version
// of the same script, three faults, is a spec (soak.spec.ts).
import { setTimeout as sleep } from "node:timers/promises"
import type { CDPSession, Page } from "@playwright/test"
import { bringBack, sendToBackground } from "../support/background_tabs"
import { launchFreezableBrowser, type FreezableBrowser } from "../support/freezable_browser"
import { startRailsServers, type RailsServers } from "../support/rails_server"
import { attachSharedWorkers } from "../support/shared_workers"
import { FAULTS, runFault, type FaultName, type FaultRun, type FaultScene } from "./faults"
import { TIMER_COUNTER, sampleTarget, type TargetSample } from "./measure"
import { startRelay, type Relay } from "../support/relay"

export interface SoakOptions {
  /** How long the faults and writes go on (ms). */
  duration: number
  /** A fault every this long (ms), the first at `firstFaultAt`. */
  faultEvery: number
  firstFaultAt: number
  /** How many faults at most (default: as many as fit). */
  faults?: number
  /** The faults in turn (default: FAULTS, in order). */
  faultOrder?: readonly FaultName[]
  /** Every tab and worker is read every this long (ms), from 0. */
  sampleEvery: number
  /** The built library the pumas serve (default: the repository's dist/); a copy keeps a long run apart from rebuilds. */
  dist?: string
  log?: (line: string) => void
}

export const USERS = ["alice", "bob"] as const
export const TAB_KINDS = ["plain", "app channel", "hidden"] as const
type TabKind = (typeof TAB_KINDS)[number]

/** A tab's reading: the target's counts, and the subscriptions it holds (stream sources connected, app channel). */
export interface TabSample extends TargetSample {
  subscriptions: number
}

export interface Sample {
  /** ms since the soak began. */
  at: number
  tabs: Record<string, TabSample>
  workers: Record<string, TargetSample>
  /** At the servers (both pumas): the user's connections and the subscriptions they hold. */
  server: Record<string, { connections: number; subscriptions: number }>
}

export interface TabResult {
  name: string
  missing: number
  duplicated: number
  outOfOrder: number
}

export interface FaultResult extends FaultRun {
  /** ms from the fault's end until the tab showed every write made before it; null: never. Hidden tabs: until connected again. */
  caughtUp: Record<string, number | null>
}

export interface SoakReport {
  startedAt: number
  duration: number
  writes: number
  skippedWrites: number
  tabs: TabResult[]
  faults: FaultResult[]
  samples: Sample[]
}

interface Tab {
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
const PAGE_RECORDER = `${TIMER_COUNTER};(() => {
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

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {})
  const run = Date.now().toString(36)
  const rooms = [`soak-${run}-a`, `soak-${run}-b`]
  const rails = await startRailsServers({ servers: USERS.length, env: options.dist ? { TURBO_CABLE_DIST: options.dist } : {} })
  const browsers: FreezableBrowser[] = []
  const relays: Relay[] = []
  const tabs: Tab[] = []
  const writes: Array<{ room: string; id: number; at: number }> = []
  const faults: FaultRun[] = []
  const samples: Sample[] = []
  let skippedWrites = 0
  let stopping = false
  try {
    // User i's browser reaches process i through a relay the network cut can take away (test/support/relay.ts).
    for (let i = 0; i < USERS.length; i++) relays.push(await startRelay(Number(new URL(rails.url(i)).port)))
    for (let user = 0; user < USERS.length; user++) {
      const browser = await launchFreezableBrowser()
      browsers.push(browser)
      for (const kind of TAB_KINDS) {
        const page = await browser.newWindow()
        if (tabs.length % TAB_KINDS.length == 0) await page.context().addInitScript(PAGE_RECORDER)
        const path = `/rooms?names=${rooms.join(",")}${kind == "app channel" ? `&echo=${USERS[user]}` : ""}`
        await page.goto(`${relays[user]!.url}/login?name=${USERS[user]}&return_to=${encodeURIComponent(path)}`)
        const cdp = await page.context().newCDPSession(page)
        tabs.push({ name: `${USERS[user]} ${kind}`, user, kind, page, cdp, seen: new Map(rooms.map((room) => [room, new Map()])), states: [], duplicated: new Set(), outOfOrder: new Set() })
      }
    }
    for (const tab of tabs) await waitFor(() => connectedSources(tab.page), (n) => n == rooms.length, 20_000, `${tab.name} connected`)
    for (const tab of tabs) if (tab.kind == "hidden") await sendToBackground(tab.page)
    for (const tab of tabs) if (tab.kind == "app channel") await waitFor(() => echoes(tab.page), (n) => n > 0, 15_000, `${tab.name} app channel`)
    const scene: FaultScene = {
      rails,
      down: new Set(),
      relays,
      browsers: USERS.map((_, user) => tabs.find((tab) => tab.user == user)!.page),
      freezable: USERS.map((_, user) => tabs.find((tab) => tab.user == user && tab.kind == "plain")!.page),
      frozen: new Set(),
    }
    await instrumentWorkers(scene.browsers)
    const startedAt = Date.now()
    log(`soak ${run}: ${tabs.length} tabs of ${USERS.length} users up; rooms ${rooms.join(", ")}`)

    // A write every second to each room, through a process that is up, each waiting for its answer.
    const writer = (async () => {
      for (let second = 0; !stopping; second++) {
        const due = startedAt + second * 1_000
        await sleep(Math.max(0, due - Date.now()))
        if (stopping) break
        for (const room of rooms) {
          const id = await write(rails, scene.down, room, second)
          if (id === null) skippedWrites++
          else writes.push({ room, id, at: Date.now() })
        }
      }
    })()
    // What every tab recorded, pulled every 5 s so the page keeps nothing of it.
    const puller = (async () => {
      while (!stopping) {
        for (const tab of tabs) if (!scene.frozen.has(tab.page)) await pull(tab, rooms)
        await sleep(5_000)
      }
    })()

    const events: Array<{ at: number; run: () => Promise<void> }> = []
    const faultCount = Math.min(options.faults ?? Infinity, Math.floor((options.duration - options.firstFaultAt) / options.faultEvery) + 1)
    for (let i = 0; i < faultCount; i++) {
      const order = options.faultOrder ?? FAULTS
      const name = order[i % order.length]!
      const turn = Math.floor(i / order.length)
      events.push({
        at: options.firstFaultAt + i * options.faultEvery,
        run: async () => {
          log(`${clock(startedAt)} fault: ${name}`)
          const fault = await runFault(name, turn, scene)
          faults.push(fault)
          log(`${clock(startedAt)} fault over: ${name} (${((fault.endedAt - fault.startedAt) / 1000).toFixed(1)} s)`)
          if (name == "shared worker killed") {
            // The tabs start a new worker: count its timers from now on, as the first one's.
            await sleep(5_000)
            await instrumentWorkers(scene.browsers)
          }
        },
      })
    }
    for (let at = 0; at <= options.duration; at += options.sampleEvery) {
      events.push({
        at,
        run: async () => {
          const sample = await takeSample(tabs, rooms, rails, scene, Date.now() - startedAt)
          samples.push(sample)
          log(`${clock(startedAt)} sample: ${summarize(sample)}`)
        },
      })
    }
    events.sort((a, b) => a.at - b.at)
    for (const event of events) {
      await sleep(Math.max(0, startedAt + event.at - Date.now()))
      await event.run()
    }
    stopping = true
    await writer
    await puller
    // The hidden tabs are looked at once more, and every tab shows the last write.
    const last = await lastIds(rails, rooms)
    for (const tab of tabs) if (tab.kind == "hidden") await bringBack(tab.page)
    await Promise.all(
      tabs.map((tab) =>
        waitFor(() => pull(tab, rooms), () => rooms.every((room) => tab.seen.get(room)!.has(last[room]!)), 30_000, `${tab.name} showing the last write`).catch((error) =>
          log(String(error)),
        ),
      ),
    )
    const report: SoakReport = {
      startedAt,
      duration: Date.now() - startedAt,
      writes: writes.length,
      skippedWrites,
      tabs: tabs.map((tab) => ({
        name: tab.name,
        missing: rooms.reduce((sum, room) => sum + missingIds(tab.seen.get(room)!, last[room]!).length, 0),
        duplicated: tab.duplicated.size,
        outOfOrder: tab.outOfOrder.size,
      })),
      faults: faults.map((fault, i) => {
        const until = Math.min(fault.endedAt + 30_000, faults[i + 1]?.startedAt ?? Infinity)
        return { ...fault, caughtUp: Object.fromEntries(tabs.map((tab) => [tab.name, caughtUpAfter(tab, fault, until, writes)])) }
      }),
      samples,
    }
    return report
  } finally {
    stopping = true
    for (const browser of browsers) await browser.close()
    for (const relay of relays) await relay.close()
    await rails.stopAll()
  }
}

const clock = (startedAt: number) => {
  const seconds = Math.round((Date.now() - startedAt) / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeout: number, what: string): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`soak: no ${what} within ${timeout} ms (last: ${JSON.stringify(value)})`)
    await sleep(200)
  }
}

const connectedSources = (page: Page) => page.evaluate(() => document.querySelectorAll("turbo-cable-stream-source[connected]").length)
const echoes = (page: Page) => page.evaluate(() => Number(document.getElementById("echoes")?.dataset.count ?? 0))

/** One write to `room` through the first process that is up (taking turns); its id, or null if none took it. */
async function write(rails: RailsServers, down: Set<number>, room: string, second: number): Promise<number | null> {
  for (let i = 0; i < USERS.length; i++) {
    const via = (second + i) % USERS.length
    if (down.has(via)) continue
    try {
      const response = await fetch(`${rails.url(via)}/rooms/${room}/items`, {
        method: "POST",
        body: new URLSearchParams({ text: `write ${second}` }),
        signal: AbortSignal.timeout(2_000),
      })
      if (response.ok) return (await response.json()).id
    } catch {
      // the process went down meanwhile: the other one
    }
  }
  return null
}

async function lastIds(rails: RailsServers, rooms: string[]): Promise<Record<string, number>> {
  const last: Record<string, number> = {}
  for (const room of rooms) last[room] = (await (await fetch(`${rails.url(0)}/rooms/${room}/items`)).json()).last
  return last
}

/** Takes what the tab recorded since the last pull, and checks its lists: each id once, in order. */
async function pull(tab: Tab, rooms: string[]): Promise<void> {
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

function missingIds(seen: Map<number, number>, last: number): number[] {
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
function caughtUpAfter(tab: Tab, fault: FaultRun, until: number, writes: Array<{ room: string; id: number; at: number }>): number | null {
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

/** Each shared worker's timers counted from now on (measure.ts). */
async function instrumentWorkers(pages: Page[]): Promise<void> {
  for (const page of pages) {
    const { cdp, workers } = await attachSharedWorkers(page)
    for (const worker of workers) await worker.call("Runtime.evaluate", { expression: TIMER_COUNTER })
    await cdp.detach()
  }
}

async function takeSample(tabs: Tab[], rooms: string[], rails: RailsServers, scene: FaultScene, at: number): Promise<Sample> {
  // A hidden tab is looked at for the reading (and catches up what it put off), then hidden again.
  const hidden = tabs.filter((tab) => tab.kind == "hidden")
  for (const tab of hidden) await bringBack(tab.page)
  const last = await lastIds(rails, rooms)
  // At most 30 s for all of them: a tab that never catches up is the report's to tell, not a stall's.
  await Promise.all(
    tabs.map((tab) =>
      waitFor(() => pull(tab, rooms), () => rooms.every((room) => tab.seen.get(room)!.has(last[room]!)), 30_000, `${tab.name} caught up for the sample`).catch(() => {}),
    ),
  )
  const sample: Sample = { at, tabs: {}, workers: {}, server: {} }
  for (const tab of tabs) {
    const counts = await sampleTarget((method, params) => tab.cdp.send(method as any, params as any) as any)
    const subscriptions = (await connectedSources(tab.page)) + (tab.kind == "app channel" ? 1 : 0)
    sample.tabs[tab.name] = { ...counts, subscriptions }
  }
  for (let user = 0; user < USERS.length; user++) {
    const { cdp, workers } = await attachSharedWorkers(scene.browsers[user]!)
    if (workers[0]) sample.workers[USERS[user]!] = await sampleTarget(workers[0].call)
    await cdp.detach()
  }
  const stats = await Promise.all(USERS.map(async (_, i) => (await fetch(`${rails.url(i)}/cable_stats`)).json()))
  for (const name of USERS) {
    let connections = 0
    let subscriptions = 0
    for (const stat of stats) {
      stat.users.forEach((user: string, i: number) => {
        if (user != name) return
        connections++
        subscriptions += stat.subscriptions[i].length
      })
    }
    sample.server[name] = { connections, subscriptions }
  }
  for (const tab of hidden) await sendToBackground(tab.page)
  return sample
}

function summarize(sample: Sample): string {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2)
  const tabs = Object.entries(sample.tabs).map(([name, s]) => `${name} ${mb(s.heap)} MB/${s.listeners}l/${s.timers}t/${s.sockets}s/${s.subscriptions}sub`)
  const workers = Object.entries(sample.workers).map(([name, s]) => `${name}'s worker ${mb(s.heap)} MB/${s.listeners}l/${s.timers}t/${s.sockets}s/${s.ports}p`)
  const server = Object.entries(sample.server).map(([name, s]) => `${name}@server ${s.connections}c/${s.subscriptions}sub`)
  return [...tabs, ...workers, ...server].join("; ")
}

export type { FaultName }
