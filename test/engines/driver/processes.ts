// The processes a test started, found by parentage in /proc, and signalled by pid: never by name, so a
// browser another test (or engineer) runs is never touched.
import { readdirSync, readFileSync } from "node:fs"

function parentOf(pid: number): number | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return undefined
  }
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    const parent = parentOf(pid)
    if (parent === undefined) continue
    children.set(parent, [...(children.get(parent) ?? []), pid])
  }
  const tree: number[] = []
  const visit = (pid: number) => {
    tree.push(pid)
    for (const child of children.get(pid) ?? []) visit(child)
  }
  if (parentOf(root) !== undefined) visit(root)
  return tree
}

export function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name)
    } catch {
      // already gone
    }
  }
}

/** SIGKILL a process group started with `detached: true` (the group's id is the leader's pid). */
export function killGroup(leader: number | undefined): void {
  if (!leader) return
  try {
    process.kill(-leader, "SIGCONT")
    process.kill(-leader, "SIGKILL")
  } catch {
    // the group is gone
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
