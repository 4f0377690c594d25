// Sessions a client may come back to with `?sid=`, as anycable-go's broker caches them: a session is
// written when it subscribes, unsubscribes or is restored, and is kept `ttl` seconds after its socket
// closes. A session never written (no subscribe yet) cannot be restored.

export const DEFAULT_SESSION_TTL_SECONDS = 300

/** A subscription as a restored session takes it back, without asking the channel again. */
export interface CachedSubscription {
  identifier: string
  stream: string
  params: Record<string, unknown>
  whisper: boolean
  presence: boolean
}

export interface CachedSession {
  identity: string
  subscriptions: CachedSubscription[]
}

export interface SessionCacheOptions {
  /** Seconds a session stays restorable after its socket closed; default 300. */
  ttlSeconds?: number
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number
}

interface Entry {
  session: CachedSession
  /** Milliseconds; undefined while its socket is open. */
  expiresAt?: number
}

export type SessionCacheSnapshot = Record<string, Entry>

export class SessionCache {
  private readonly ttlMs: number
  private readonly clock: () => number
  private readonly entries = new Map<string, Entry>()

  constructor(options: SessionCacheOptions = {}, snapshot: SessionCacheSnapshot = {}) {
    this.ttlMs = (options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000
    this.clock = options.clock ?? Date.now
    for (const [sid, entry] of Object.entries(snapshot)) this.entries.set(sid, entry)
  }

  commit(sid: string, session: CachedSession): void {
    this.entries.set(sid, { session })
  }

  /** The session, if it is known and has not expired. */
  restore(sid: string): CachedSession | null {
    const entry = this.entries.get(sid)
    if (!entry) return null
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.clock()) {
      this.entries.delete(sid)
      return null
    }
    return entry.session
  }

  /** Its socket closed: restorable for the TTL from now. */
  finish(sid: string): void {
    const entry = this.entries.get(sid)
    if (entry) entry.expiresAt = this.clock() + this.ttlMs
  }

  /** Not restorable any more. */
  forget(sid: string): void {
    this.entries.delete(sid)
  }

  snapshot(): SessionCacheSnapshot {
    const now = this.clock()
    const kept: SessionCacheSnapshot = {}
    for (const [sid, entry] of this.entries) {
      if (entry.expiresAt === undefined || entry.expiresAt > now) kept[sid] = entry
    }
    return kept
  }
}
