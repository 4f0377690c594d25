// What a stream's subscribers missed, as anycable-go's memory broker keeps it (broker/memory.go): per
// stream the last `limit` messages younger than `ttl`, each with an offset that starts at 1 and rises by
// 1. The epoch names one life of this store; a client's position is only good within it.

import { randomBytes } from "node:crypto"

export const DEFAULT_HISTORY_LIMIT = 100
export const DEFAULT_HISTORY_TTL_SECONDS = 300
// anycable-go keeps a stream's offset counter 10x the history TTL after its last message, so offsets
// do not restart while a client may still hold one.
const STREAM_LIFE_IN_TTLS = 10

/** A stream position as clients send it back: `{epoch, offset}` of the last message they received. */
export interface StreamPosition {
  epoch: string
  offset: number
}

export interface HistoryEntry {
  offset: number
  /** Unix seconds, as `since` is compared with it. */
  at: number
  /** The message, JSON-encoded once. */
  encoded: string
}

export type HistoryResult = { ok: true; entries: HistoryEntry[] } | { ok: false; reason: string }

export interface HistoryOptions {
  /** Messages kept per stream; default 100. */
  limit?: number
  /** Seconds a message is kept; default 300. */
  ttlSeconds?: number
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number
}

/** How a history is written to a file and read back (see broker.ts). */
export interface HistorySnapshot {
  epoch: string
  streams: Record<string, { offset: number; lastAddedAt: number; entries: HistoryEntry[] }>
}

interface Stream {
  /** The last offset given out. */
  offset: number
  /** Unix seconds of the last message: the stream is dropped STREAM_LIFE_IN_TTLS TTLs later. */
  lastAddedAt: number
  entries: HistoryEntry[]
}

/** anycable-go's epochs are 4-character nanoids; any short random id will do. */
export function newEpoch(): string {
  return randomBytes(3).toString("base64url")
}

export class History {
  readonly epoch: string
  private readonly limit: number
  private readonly ttl: number
  private readonly clock: () => number
  private readonly streams = new Map<string, Stream>()

  constructor(options: HistoryOptions = {}, snapshot?: HistorySnapshot) {
    this.limit = options.limit ?? DEFAULT_HISTORY_LIMIT
    this.ttl = options.ttlSeconds ?? DEFAULT_HISTORY_TTL_SECONDS
    this.clock = options.clock ?? Date.now
    this.epoch = snapshot?.epoch ?? newEpoch()
    for (const [name, stream] of Object.entries(snapshot?.streams ?? {})) {
      this.streams.set(name, { offset: stream.offset, lastAddedAt: stream.lastAddedAt, entries: [...stream.entries] })
    }
  }

  /** Stores a message; returns its offset. */
  add(name: string, encoded: string): number {
    const now = this.nowSeconds()
    let stream = this.streams.get(name)
    if (!stream || this.isDead(stream, now)) this.streams.set(name, (stream = { offset: 0, lastAddedAt: now, entries: [] }))
    stream.offset++
    stream.lastAddedAt = now
    stream.entries.push({ offset: stream.offset, at: now, encoded })
    if (stream.entries.length > this.limit) stream.entries.splice(0, stream.entries.length - this.limit)
    return stream.offset
  }

  /**
   * The messages after `offset`. Fails as anycable-go's `HistoryFrom` does: another epoch, an unknown or
   * empty stream, an offset below the oldest kept one, or above the last one.
   */
  from(name: string, epoch: string, offset: number): HistoryResult {
    if (epoch !== this.epoch) return { ok: false, reason: `unknown epoch ${epoch}, current ${this.epoch}` }
    const entries = this.live(name)
    if (!entries) return { ok: false, reason: `stream ${name} not found` }
    if (entries.length === 0) return { ok: false, reason: `stream ${name} is empty` }
    const low = entries[0]!.offset
    if (offset < low) return { ok: false, reason: `offset ${offset} is below the lowest kept, ${low}` }
    const start = offset - low + 1
    if (start > entries.length) return { ok: false, reason: `offset ${offset} is above the latest, ${entries.at(-1)!.offset}` }
    return { ok: true, entries: entries.slice(start) }
  }

  /** The messages stored at or after `since` (Unix seconds); nothing for an unknown stream. */
  since(name: string, since: number): HistoryEntry[] {
    return (this.live(name) ?? []).filter((entry) => entry.at >= since)
  }

  /** How many messages of the stream are kept now. */
  size(name: string): number {
    return this.live(name)?.length ?? 0
  }

  snapshot(): HistorySnapshot {
    const now = this.nowSeconds()
    const streams: HistorySnapshot["streams"] = {}
    for (const [name, stream] of this.streams) {
      if (this.isDead(stream, now)) continue
      this.expire(stream, now)
      streams[name] = { offset: stream.offset, lastAddedAt: stream.lastAddedAt, entries: stream.entries }
    }
    return { epoch: this.epoch, streams }
  }

  /** The kept entries of a stream still alive, expired ones dropped; undefined for an unknown stream. */
  private live(name: string): HistoryEntry[] | undefined {
    const stream = this.streams.get(name)
    if (!stream) return undefined
    const now = this.nowSeconds()
    if (this.isDead(stream, now)) {
      this.streams.delete(name)
      return undefined
    }
    this.expire(stream, now)
    return stream.entries
  }

  private expire(stream: Stream, now: number): void {
    const deadline = now - this.ttl
    const kept = stream.entries.findIndex((entry) => entry.at >= deadline)
    stream.entries.splice(0, kept === -1 ? stream.entries.length : kept)
  }

  private isDead(stream: Stream, now: number): boolean {
    return stream.lastAddedAt + this.ttl * STREAM_LIFE_IN_TTLS < now
  }

  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000)
  }
}
