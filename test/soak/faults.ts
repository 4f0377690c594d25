// The faults of the soak, each as a user's day has them: a server process killed or stopped, the network
// gone, the browser ending the shared worker, a tab frozen in the background, a deploy. Each resolves when
// the fault is over (the server listens again, the network is back, the tab resumed) with when it began
// and ended.
import { setTimeout as sleep } from "node:timers/promises"
import type { Page } from "@playwright/test"
import { freezePage, resumePage } from "../support/freezable_browser"
import { setOffline } from "../support/offline"
import type { RailsServers } from "../support/rails_server"
import { killSharedWorkers } from "../support/shared_workers"
import type { Relay } from "../support/relay"

// The network cut comes first: it drops every tab of both users, so the first reading after it (the baseline
// memory is compared with) follows a reconnect and a catch-up in each, whose code loads on first use.
export const FAULTS = ["network cut 20 s", "puma killed", "puma stopped 10 s", "shared worker killed", "tab frozen 60 s", "deploy"] as const
export type FaultName = (typeof FAULTS)[number]

/** What the faults act on. */
export interface FaultScene {
  rails: RailsServers
  /** Processes a write must not be sent to now (stopped or not listening). */
  down: Set<number>
  /** The network between the browsers and each process. */
  relays: Relay[]
  /** A page of each browser, in user order: user i's tabs load from puma i. */
  browsers: Page[]
  /** The tab of each user that gets frozen. */
  freezable: Page[]
  /** Tabs frozen now: nothing is read from them. */
  frozen: Set<Page>
}

export interface FaultRun {
  name: FaultName
  /** Which user's process, worker or tab it hit; null for all. */
  user: number | null
  startedAt: number
  endedAt: number
}

/** Runs the `turn`-th fault of its kind on user `turn % users`. */
export async function runFault(name: FaultName, turn: number, scene: FaultScene): Promise<FaultRun> {
  const user = turn % scene.browsers.length
  const startedAt = Date.now()
  const done = (hit: number | null): FaultRun => ({ name, user: hit, startedAt, endedAt: Date.now() })
  switch (name) {
    case "puma killed":
      scene.down.add(user)
      await scene.rails.kill(user)
      await scene.rails.start(user)
      scene.down.delete(user)
      return done(user)
    case "puma stopped 10 s":
      scene.down.add(user)
      scene.rails.freeze(user)
      await sleep(10_000)
      scene.rails.thaw(user)
      scene.down.delete(user)
      return done(user)
    case "network cut 20 s":
      // Wi-Fi gone: nothing passes on the open connections, and the browsers know they are offline.
      for (const relay of scene.relays) relay.cut()
      for (const page of scene.browsers) await setOffline(page, true)
      await sleep(20_000)
      for (const relay of scene.relays) relay.restore()
      for (const page of scene.browsers) await setOffline(page, false)
      return done(null)
    case "shared worker killed": {
      // As a crash of its process: nothing runs in it first.
      const killed = await killSharedWorkers(scene.browsers[user]!)
      if (killed != 1) throw new Error(`user ${user}'s browser had ${killed} shared workers, not 1`)
      return done(user)
    }
    case "tab frozen 60 s": {
      const tab = scene.freezable[user]!
      scene.frozen.add(tab)
      await freezePage(tab)
      await sleep(60_000)
      await resumePage(tab)
      scene.frozen.delete(tab)
      return done(user)
    }
    case "deploy":
      for (let i = 0; i < scene.browsers.length; i++) scene.down.add(i)
      for (let i = 0; i < scene.browsers.length; i++) await scene.rails.kill(i)
      for (let i = 0; i < scene.browsers.length; i++) {
        await scene.rails.start(i)
        scene.down.delete(i)
      }
      return done(null)
  }
}
