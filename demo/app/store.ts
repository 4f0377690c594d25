// The chat's embedded store: an append-only JSON-lines file, replayed into memory at start.
//
// Writes: one record is one line, written with a single positional write at the end of what is known
// to be good, then fdatasync'd before the caller (and so the user) hears of it. A write that fails is
// cut off again (ftruncate), so the file is always whole records. Reads: every line is validated;
// a torn last line (a crash mid-write) is cut off, any other bad line is skipped and reported.
// One process owns a data directory at a time (a LOCK file with its pid).

import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs"
import { join } from "node:path"
import { findRoom } from "./rooms"
import { checkMessage, checkName, checkTopic } from "./validation"

export interface Message {
  readonly id: number
  readonly room: string
  readonly author: string
  readonly body: string
  /** ISO 8601. */
  readonly at: string
}

type Entry =
  | ({ type: "message" } & Message)
  | { type: "topic"; room: string; topic: string; by: string; at: string }
  | { type: "read"; user: string; room: string; upTo: number }

export const LOG_FILE = "chat.jsonl"
const LOCK_FILE = "LOCK"

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value))
}

function isName(value: unknown): value is string {
  if (typeof value !== "string") return false
  const checked = checkName(value)
  return checked.ok && checked.value === value
}

function isRoom(value: unknown): value is string {
  return typeof value === "string" && findRoom(value) !== undefined
}

/** The entry a line holds, or why it is not one. `lastId` keeps message ids strictly increasing. */
export function parseEntry(line: string, lastId: number): Entry | string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return "not JSON"
  }
  if (!isRecord(value)) return "not a JSON object"
  switch (value.type) {
    case "message": {
      const { id, room, author, body, at } = value
      if (!Number.isSafeInteger(id) || (id as number) <= lastId) return "message id missing or not increasing"
      if (!isRoom(room) || !isName(author) || !isTimestamp(at)) return "message room, author or time invalid"
      if (typeof body !== "string") return "message body invalid"
      const checked = checkMessage(body)
      if (!checked.ok || checked.value !== body) return "message body invalid"
      return { type: "message", id: id as number, room, author, body, at }
    }
    case "topic": {
      const { room, topic, by, at } = value
      if (!isRoom(room) || !isName(by) || !isTimestamp(at) || typeof topic !== "string") return "topic invalid"
      const checked = checkTopic(topic)
      if (!checked.ok || checked.value !== topic) return "topic invalid"
      return { type: "topic", room, topic, by, at }
    }
    case "read": {
      const { user, room, upTo } = value
      if (!isName(user) || !isRoom(room) || !Number.isSafeInteger(upTo) || (upTo as number) < 0) return "read marker invalid"
      return { type: "read", user, room, upTo: upTo as number }
    }
    default:
      return "unknown record type"
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"
  }
}

function takeLock(dir: string): string {
  const file = join(dir, LOCK_FILE)
  try {
    writeFileSync(file, String(process.pid), { flag: "wx" })
    return file
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
  }
  const owner = Number(readFileSync(file, "utf8").trim())
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
    throw new Error(`${dir} is in use by process ${owner} (another demo server?); stop it or delete ${file}`)
  }
  writeFileSync(file, String(process.pid)) // left behind by a process that is gone
  return file
}

export class ChatStore {
  /** Lines skipped or cut off when the file was read, for the log. */
  readonly problems: string[] = []

  private readonly rooms = new Map<string, { messages: Message[]; topic?: string }>()
  private readonly reads = new Map<string, Map<string, number>>()
  private lastId = 0
  private size = 0
  private fd: number | null

  private constructor(
    readonly file: string,
    private readonly lockFile: string,
  ) {
    closeSync(openSync(file, "a")) // create it if missing; then "r+", as positional writes ignore the position in append mode
    this.fd = openSync(file, "r+")
    this.load()
  }

  static open(dir: string): ChatStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const lock = takeLock(dir)
    try {
      return new ChatStore(join(dir, LOG_FILE), lock)
    } catch (err) {
      rmSync(lock, { force: true })
      throw err
    }
  }

  close(): void {
    if (this.fd === null) return
    closeSync(this.fd)
    this.fd = null
    rmSync(this.lockFile, { force: true })
  }

  // ---- reading -----------------------------------------------------------------------------

  /** The last `limit` messages of a room, oldest first. */
  messages(room: string, limit = 200): Message[] {
    const all = this.rooms.get(room)?.messages ?? []
    return all.slice(Math.max(0, all.length - limit))
  }

  messageCount(): number {
    let count = 0
    for (const { messages } of this.rooms.values()) count += messages.length
    return count
  }

  latestId(room: string): number {
    const messages = this.rooms.get(room)?.messages
    return messages?.length ? messages[messages.length - 1].id : 0
  }

  topic(room: string): string | undefined {
    return this.rooms.get(room)?.topic
  }

  knowsUser(user: string): boolean {
    return this.reads.has(user)
  }

  lastRead(user: string, room: string): number {
    return this.reads.get(user)?.get(room) ?? 0
  }

  /** Messages in `room` after the user's read marker, not counting their own. */
  unreadCount(user: string, room: string): number {
    const messages = this.rooms.get(room)?.messages ?? []
    const upTo = this.lastRead(user, room)
    let count = 0
    for (let i = messages.length - 1; i >= 0 && messages[i].id > upTo; i--) {
      if (messages[i].author !== user) count++
    }
    return count
  }

  // ---- writing -----------------------------------------------------------------------------

  /** Stores a message whose room, author and body the caller has validated. */
  addMessage(room: string, author: string, body: string, at = new Date()): Message {
    const message: Message = { id: this.lastId + 1, room, author, body, at: at.toISOString() }
    this.write({ type: "message", ...message })
    return message
  }

  setTopic(room: string, topic: string, by: string, at = new Date()): void {
    this.write({ type: "topic", room, topic, by, at: at.toISOString() })
  }

  /** Moves the user's read marker forward (never back); returns whether it moved. */
  markRead(user: string, room: string, upTo: number): boolean {
    if (upTo <= this.lastRead(user, room) && this.knowsUser(user)) return false
    this.write({ type: "read", user, room, upTo })
    return true
  }

  private write(entry: Entry): void {
    if (this.fd === null) throw new Error("the store is closed")
    const line = Buffer.from(JSON.stringify(entry) + "\n", "utf8")
    try {
      const written = writeSync(this.fd, line, 0, line.length, this.size)
      if (written !== line.length) throw new Error(`short write (${written} of ${line.length} bytes)`)
      fdatasyncSync(this.fd)
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size)
      } catch {
        // Nothing more we can do; the next start cuts off the torn line.
      }
      throw err
    }
    this.size += line.length
    this.apply(entry)
  }

  // ---- replay ------------------------------------------------------------------------------

  private apply(entry: Entry): void {
    switch (entry.type) {
      case "message": {
        const { type: _type, ...message } = entry
        this.roomState(entry.room).messages.push(message)
        this.lastId = entry.id
        break
      }
      case "topic":
        this.roomState(entry.room).topic = entry.topic
        break
      case "read": {
        let marks = this.reads.get(entry.user)
        if (!marks) this.reads.set(entry.user, (marks = new Map()))
        marks.set(entry.room, Math.max(entry.upTo, marks.get(entry.room) ?? 0))
        break
      }
    }
  }

  private roomState(room: string): { messages: Message[]; topic?: string } {
    let state = this.rooms.get(room)
    if (!state) this.rooms.set(room, (state = { messages: [] }))
    return state
  }

  private load(): void {
    const fd = this.fd!
    const length = fstatSync(fd).size
    const bytes = Buffer.alloc(length)
    let read = 0
    while (read < length) read += readSync(fd, bytes, read, length - read, read)

    let good = bytes.lastIndexOf(0x0a) + 1 // everything after the last newline is a torn write
    if (good < length) {
      this.problems.push(`cut off a torn last record (${length - good} bytes)`)
      ftruncateSync(fd, good)
      fdatasyncSync(fd)
    }
    this.size = good

    const text = bytes.subarray(0, good).toString("utf8")
    const lines = text.split("\n")
    lines.pop() // after the final newline
    lines.forEach((line, index) => {
      const entry = parseEntry(line, this.lastId)
      if (typeof entry === "string") this.problems.push(`line ${index + 1} skipped: ${entry}`)
      else this.apply(entry)
    })
  }
}
