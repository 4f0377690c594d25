// The soak's readings (soak.ts): every tab and shared worker read over CDP (measure.ts), hidden tabs shown for it,
// and each user's connections and subscriptions at both pumas.
import type { Page } from "@playwright/test"
import { bringBack, sendToBackground } from "../support/background_tabs"
import type { RailsServers } from "../support/rails_server"
import { attachSharedWorkers } from "../support/shared_workers"
import type { FaultScene } from "./faults"
import { TIMER_COUNTER, sampleTarget, type TargetSample } from "./measure"
import { connectedSources, lastIds, pull, waitFor, type Tab } from "./tabs"

export const USERS = ["alice", "bob"] as const

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

/** Each shared worker's timers counted from now on (measure.ts). */
export async function instrumentWorkers(pages: Page[]): Promise<void> {
  for (const page of pages) {
    const { cdp, workers } = await attachSharedWorkers(page)
    for (const worker of workers) await worker.call("Runtime.evaluate", { expression: TIMER_COUNTER })
    await cdp.detach()
  }
}

export async function takeSample(tabs: Tab[], rooms: string[], rails: RailsServers, scene: FaultScene, at: number): Promise<Sample> {
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

export function summarize(sample: Sample): string {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2)
  const tabs = Object.entries(sample.tabs).map(([name, s]) => `${name} ${mb(s.heap)} MB/${s.listeners}l/${s.timers}t/${s.sockets}s/${s.subscriptions}sub`)
  const workers = Object.entries(sample.workers).map(([name, s]) => `${name}'s worker ${mb(s.heap)} MB/${s.listeners}l/${s.timers}t/${s.sockets}s/${s.ports}p`)
  const server = Object.entries(sample.server).map(([name, s]) => `${name}@server ${s.connections}c/${s.subscriptions}sub`)
  return [...tabs, ...workers, ...server].join("; ")
}

