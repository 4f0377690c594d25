import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { ChatStore, LOG_FILE } from "./store"

const dirs: string[] = []
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "turbo-cable-store-test-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("ChatStore", () => {
  it("keeps messages, topics and read markers across a reopen", () => {
    const dir = dataDir()
    const store = ChatStore.open(dir)
    store.addMessage("general", "Alice", "one")
    store.addMessage("general", "Bob", "two")
    store.setTopic("general", "New topic", "Alice")
    store.markRead("Alice", "general", 1)
    store.close()

    const again = ChatStore.open(dir)
    expect(again.messages("general").map((m) => [m.id, m.author, m.body])).toEqual([
      [1, "Alice", "one"],
      [2, "Bob", "two"],
    ])
    expect(again.topic("general")).toBe("New topic")
    expect(again.unreadCount("Alice", "general")).toBe(1)
    expect(again.addMessage("random", "Alice", "three").id).toBe(3)
    expect(again.problems).toEqual([])
    again.close()
  })

  it("cuts off a torn last record and appends cleanly after it", () => {
    const dir = dataDir()
    const store = ChatStore.open(dir)
    store.addMessage("general", "Alice", "whole")
    store.close()
    appendFileSync(join(dir, LOG_FILE), '{"type":"message","id":2,"room":"gen')

    const again = ChatStore.open(dir)
    expect(again.problems).toEqual(["cut off a torn last record (36 bytes)"])
    expect(again.messages("general").map((m) => m.body)).toEqual(["whole"])
    again.addMessage("general", "Bob", "after")
    again.close()
    const lines = readFileSync(join(dir, LOG_FILE), "utf8").trimEnd().split("\n")
    expect(lines.map((line) => JSON.parse(line).body)).toEqual(["whole", "after"])
  })

  it("skips records that fail validation, and reports them", () => {
    const dir = dataDir()
    const good = (id: number, body: string) =>
      JSON.stringify({ type: "message", id, room: "general", author: "Alice", body, at: "2026-01-01T00:00:00.000Z" })
    writeFileSync(
      join(dir, LOG_FILE),
      [
        good(1, "fine"),
        "not json",
        JSON.stringify({ type: "message", id: 2, room: "nowhere", author: "Alice", body: "x", at: "2026-01-01T00:00:00Z" }),
        good(1, "id not increasing"),
        good(3, ""),
        good(4, "x".repeat(1001)),
        JSON.stringify({ type: "message", id: 5, room: "general", author: "<script>", body: "x", at: "2026-01-01T00:00:00Z" }),
        JSON.stringify({ type: "mystery" }),
        good(6, "also fine"),
      ].join("\n") + "\n",
    )
    const store = ChatStore.open(dir)
    expect(store.messages("general").map((m) => m.body)).toEqual(["fine", "also fine"])
    expect(store.problems).toHaveLength(7)
    expect(store.problems[0]).toBe("line 2 skipped: not JSON")
    store.close()
  })

  it("refuses a data directory another live process holds", () => {
    const dir = dataDir()
    writeFileSync(join(dir, "LOCK"), String(process.ppid))
    expect(() => ChatStore.open(dir)).toThrow(/in use by process/)
  })

  it("takes over a lock left by a process that is gone", () => {
    const dir = dataDir()
    writeFileSync(join(dir, "LOCK"), "2147483646")
    const store = ChatStore.open(dir)
    expect(readFileSync(join(dir, "LOCK"), "utf8")).toBe(String(process.pid))
    store.close()
  })

  it("counts only other people's messages after the read marker as unread", () => {
    const store = ChatStore.open(dataDir())
    store.markRead("Bob", "general", 0)
    store.addMessage("general", "Alice", "a")
    store.addMessage("general", "Bob", "b")
    store.addMessage("general", "Alice", "c")
    expect(store.unreadCount("Bob", "general")).toBe(2)
    expect(store.markRead("Bob", "general", 2)).toBe(true)
    expect(store.unreadCount("Bob", "general")).toBe(1)
    expect(store.markRead("Bob", "general", 1)).toBe(false) // never backwards
    store.close()
  })
})
