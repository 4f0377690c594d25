// The soak: a working day of faults, compressed. Real Rails (two pumas behind Redis), two users each in a
// Chromium of their own with three tabs (one hidden, one also using an app channel) that share the user's
// connection (the pages render the identity meta), a write every second to each of two rooms, and a fault
// at a fixed period, in turn (faults.ts). It records what every tab showed and when (tabs.ts), and reads every
// tab and worker at a fixed period (readings.ts, measure.ts). `npm run soak` runs an hour (bench/soak.ts); the 2-minute version
// of the same script, three faults, is a spec (soak.spec.ts).
import { setTimeout as sleep } from "node:timers/promises"
import { sendToBackground, bringBack } from "../support/background_tabs"
import { launchFreezableBrowser, type FreezableBrowser } from "../support/freezable_browser"
import { startRailsServers, type RailsServers } from "../support/rails_server"
import { startRelay, type Relay } from "../support/relay"
import { FAULTS, runFault, type FaultName, type FaultRun, type FaultScene } from "./faults"
import { USERS, instrumentWorkers, summarize, takeSample, type Sample } from "./readings"
import { PAGE_RECORDER, TAB_KINDS, caughtUpAfter, connectedSources, echoes, lastIds, missingIds, pull, waitFor, type Tab, type Write } from "./tabs"

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

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {})
  const run = Date.now().toString(36)
  const rooms = [`soak-${run}-a`, `soak-${run}-b`]
  const rails = await startRailsServers({ servers: USERS.length, env: options.dist ? { TURBO_CABLE_DIST: options.dist } : {} })
  const browsers: FreezableBrowser[] = []
  const relays: Relay[] = []
  const tabs: Tab[] = []
  const writes: Write[] = []
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

export type { FaultName, Sample }
export { USERS }
