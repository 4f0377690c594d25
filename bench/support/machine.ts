// The machine a run came from, and how busy it was, for RESULTS.md.
import { readdirSync, readFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"

export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  kernel: string
  node: string
  chromium: string
  date: string
}

export function describeMachine(chromiumVersion: string): Machine {
  let cpu = cpus()[0]?.model ?? "unknown"
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))
    if (model) cpu = model[1].trim()
  } catch {
    // not Linux: os.cpus() has it
  }
  let kernel = "unknown"
  try {
    kernel = readFileSync("/proc/version", "utf8").split(" ").slice(0, 3).join(" ")
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel,
    node: process.version,
    chromium: chromiumVersion,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  }
}

/** CPU time (s) and parent of every process, from /proc. */
function processTimes(): Map<number, { parent: number; cpu: number }> {
  const times = new Map<number, { parent: number; cpu: number }>()
  let pids: string[] = []
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name))
  } catch {
    return times
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      // Fields after the command name (which may hold spaces), which ends at the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      times.set(Number(pid), { parent: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND })
    } catch {
      // gone meanwhile
    }
  }
  return times
}

const TICKS_PER_SECOND = 100

export interface Load {
  /** Mean cores busy with processes outside this benchmark (other engineers' tests, say). */
  othersCores: number
  /** Mean cores busy with this benchmark (harness, server, Chromium). */
  benchCores: number
  loadAverage: { min: number; max: number }
  seconds: number
}

/**
 * How busy the machine was during the run, split between this benchmark's process tree and everything
 * else, by sampling /proc every few seconds (a process born and gone between two samples is missed).
 */
export class LoadSampler {
  private readonly startedAt = Date.now()
  private readonly last = new Map<number, number>()
  private readonly loads: number[] = []
  private others = 0
  private mine = 0
  private readonly timer: NodeJS.Timeout

  constructor(intervalMs = 2_000) {
    for (const [pid, { cpu }] of processTimes()) this.last.set(pid, cpu)
    this.loads.push(loadavg()[0])
    this.timer = setInterval(() => this.sample(), intervalMs)
    this.timer.unref()
  }

  private sample(): void {
    const times = processTimes()
    const isMine = (pid: number): boolean => {
      for (let at: number | undefined = pid, hops = 0; at && hops < 64; at = times.get(at)?.parent, hops++) if (at == process.pid) return true
      return false
    }
    for (const [pid, { cpu }] of times) {
      const delta = cpu - (this.last.get(pid) ?? 0)
      this.last.set(pid, cpu)
      if (delta <= 0) continue
      if (isMine(pid)) this.mine += delta
      else this.others += delta
    }
    this.loads.push(loadavg()[0])
  }

  stop(): Load {
    clearInterval(this.timer)
    this.sample()
    const seconds = (Date.now() - this.startedAt) / 1000
    return {
      othersCores: this.others / seconds,
      benchCores: this.mine / seconds,
      loadAverage: { min: Math.min(...this.loads), max: Math.max(...this.loads) },
      seconds,
    }
  }
}
