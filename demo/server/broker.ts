// The broker of the extended protocol: stream history, restorable sessions and presence, as
// anycable-go's memory broker holds them. With a file it outlives the process, as a broker backed by
// Redis or NATS outlives an AnyCable restart: history and sessions are read back with their epoch.
// Without one, each broker is a new life with a new epoch.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { History, type HistoryOptions, type HistorySnapshot } from "./history"
import { PresenceState } from "./presence"
import { SessionCache, type SessionCacheSnapshot } from "./session_cache"

export interface BrokerOptions {
  history?: HistoryOptions
  /** Seconds a session stays restorable after its socket closed; default 300. */
  sessionTtlSeconds?: number
  /**
   * Keep history and sessions in this JSON file: read at start, written soon after every change and at
   * close. Without it they live as long as the broker.
   */
  file?: string
  clock?: () => number
}

interface BrokerFile {
  history: HistorySnapshot
  sessions: SessionCacheSnapshot
}

// Writes are gathered: a burst of broadcasts is one write.
const WRITE_DELAY_MS = 50

export class Broker {
  history: History
  sessions: SessionCache
  presence = new PresenceState()
  private readonly file?: string
  private writeTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly options: BrokerOptions = {},
    private readonly log: (line: string) => void = () => {},
  ) {
    this.file = options.file
    const saved = this.file ? this.read(this.file) : null
    this.history = new History({ clock: options.clock, ...options.history }, saved?.history)
    this.sessions = new SessionCache({ ttlSeconds: options.sessionTtlSeconds, clock: options.clock }, saved?.sessions)
  }

  /** A new life: new epoch, nothing kept (the file too, when there is one). */
  reset(): void {
    this.history = new History({ clock: this.options.clock, ...this.options.history })
    this.sessions = new SessionCache({ ttlSeconds: this.options.sessionTtlSeconds, clock: this.options.clock })
    this.presence = new PresenceState()
    this.flush()
  }

  /** Something to keep changed: write the file soon. */
  changed(): void {
    if (!this.file || this.writeTimer) return
    this.writeTimer = setTimeout(() => this.flush(), WRITE_DELAY_MS)
    this.writeTimer.unref()
  }

  /** Write the file now, if there is one. */
  flush(): void {
    clearTimeout(this.writeTimer)
    this.writeTimer = undefined
    if (!this.file) return
    const contents: BrokerFile = { history: this.history.snapshot(), sessions: this.sessions.snapshot() }
    try {
      mkdirSync(dirname(this.file), { recursive: true })
      // Written aside and renamed, so a process killed mid-write leaves the previous file whole.
      writeFileSync(`${this.file}.tmp`, JSON.stringify(contents))
      renameSync(`${this.file}.tmp`, this.file)
    } catch (err) {
      this.log(`broker: could not write ${this.file}: ${String(err)}`)
    }
  }

  private read(file: string): BrokerFile | null {
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch {
      return null // no file yet: a new broker
    }
    try {
      const parsed = JSON.parse(text) as BrokerFile
      if (typeof parsed?.history?.epoch !== "string") throw new Error("no epoch")
      return parsed
    } catch (err) {
      this.log(`broker: ${file} is unreadable, starting a new epoch: ${String(err)}`)
      return null
    }
  }
}
