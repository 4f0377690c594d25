// Who is present on a stream, as anycable-go's memory broker tracks it: a presence id (a user, say) is
// present while at least one session has joined with it. Only the first session of an id makes a `join`
// event and only the last one to go makes a `leave`, so a client that reconnects and joins again with
// the same id is never seen leaving.

export interface PresenceEvent {
  type: "join" | "leave"
  id: string
  info?: unknown
}

export interface PresenceInfo {
  type: "info"
  total: number
  records?: Array<{ info?: unknown; id: string }>
}

export type PresenceResult = { ok: true; event: PresenceEvent | null } | { ok: false; reason: string }

interface Present {
  info: unknown
  sessions: Set<string>
}

export class PresenceState {
  /** stream -> presence id -> who */
  private readonly streams = new Map<string, Map<string, Present>>()
  /** session id -> stream -> presence id */
  private readonly sessions = new Map<string, Map<string, string>>()

  add(stream: string, sid: string, id: string, info: unknown): PresenceResult {
    let joined = this.sessions.get(sid)
    if (!joined) this.sessions.set(sid, (joined = new Map()))
    const previous = joined.get(stream)
    if (previous !== undefined && previous !== id) return { ok: false, reason: "presence ID mismatch" }
    joined.set(stream, id)

    let present = this.streams.get(stream)
    if (!present) this.streams.set(stream, (present = new Map()))
    const record = present.get(id)
    if (record) {
      record.sessions.add(sid)
      record.info = info
      return { ok: true, event: null }
    }
    present.set(id, { info, sessions: new Set([sid]) })
    return { ok: true, event: { type: "join", id, ...(info === undefined || info === null ? {} : { info }) } }
  }

  remove(stream: string, sid: string): PresenceResult {
    const id = this.sessions.get(sid)?.get(stream)
    if (id === undefined) return { ok: false, reason: "presence info not found" }
    this.sessions.get(sid)!.delete(stream)
    if (this.sessions.get(sid)!.size === 0) this.sessions.delete(sid)
    return { ok: true, event: this.drop(stream, id, sid) }
  }

  /** Every presence of a session, as its TTL runs out after its socket closed: the `leave` events due. */
  removeSession(sid: string): Array<{ stream: string; event: PresenceEvent }> {
    const joined = this.sessions.get(sid)
    this.sessions.delete(sid)
    const leaves: Array<{ stream: string; event: PresenceEvent }> = []
    for (const [stream, id] of joined ?? []) {
      const event = this.drop(stream, id, sid)
      if (event) leaves.push({ stream, event })
    }
    return leaves
  }

  info(stream: string): PresenceInfo {
    const present = this.streams.get(stream)
    if (!present || present.size === 0) return { type: "info", total: 0 }
    const records = [...present].map(([id, { info }]) => (info === undefined || info === null ? { id } : { info, id }))
    return { type: "info", total: present.size, records }
  }

  private drop(stream: string, id: string, sid: string): PresenceEvent | null {
    const present = this.streams.get(stream)
    const record = present?.get(id)
    if (!present || !record) return null
    record.sessions.delete(sid)
    if (record.sessions.size > 0) return null
    present.delete(id)
    if (present.size === 0) this.streams.delete(stream)
    return { type: "leave", id }
  }
}
