// The soak's 2-minute version, part of `npm test`: the same script as `npm run soak` (soak.ts), three faults
// (the network cut for 20 s, a puma killed, a puma stopped for 10 s). Two users, three tabs each sharing the
// user's connection, a write every second to each of two rooms, against real Rails with two pumas and Redis.
import { test, expect } from "@playwright/test"
import { runSoak } from "./soak"
import { soakFailures, soakTables } from "./report"

test("two minutes of faults: every tab shows every write once and in order, soon after each fault, and nothing piles up", async () => {
  test.setTimeout(300_000)
  const report = await runSoak({ duration: 120_000, faultEvery: 35_000, firstFaultAt: 10_000, faults: 3, sampleEvery: 30_000 })
  console.log(soakTables(report, 30_000))
  expect(report.faults.map((fault) => fault.name)).toEqual(["network cut 20 s", "puma killed", "puma stopped 10 s"])
  expect(report.writes).toBeGreaterThan(200)
  // Counts flat from the first reading after a fault to the last; memory over two minutes is the hour's business.
  expect(soakFailures(report, { caughtUpWithin: 15_000, heapGrowth: null, baselineAt: 30_000 })).toEqual([])
})
