// Who is in which room and who is typing: in memory only, rebuilt from the subscriptions the pages make
// again after a restart.

/** Users per room, counted per subscription, so a second tab leaving does not make its user leave. */
export class Presence {
  private readonly rooms = new Map<string, Map<string, number>>()

  /** Returns whether the user was not in the room before. */
  join(room: string, user: string): boolean {
    let users = this.rooms.get(room)
    if (!users) this.rooms.set(room, (users = new Map()))
    const count = users.get(user) ?? 0
    users.set(user, count + 1)
    return count === 0
  }

  /** Returns whether the user has now left the room altogether. */
  leave(room: string, user: string): boolean {
    const users = this.rooms.get(room)
    const count = users?.get(user)
    if (!users || count === undefined) return false
    if (count > 1) {
      users.set(user, count - 1)
      return false
    }
    users.delete(user)
    if (users.size === 0) this.rooms.delete(room)
    return true
  }

  has(room: string, user: string): boolean {
    return this.rooms.get(room)?.has(user) ?? false
  }

  users(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])].sort((a, b) => a.localeCompare(b))
  }
}

/** Typing indicators: a user is typing until they stop, post, leave, or go quiet for `ttlMs`. */
export class Typing {
  private readonly rooms = new Map<string, Map<string, NodeJS.Timeout>>()

  constructor(
    private readonly changed: (room: string, users: string[]) => void,
    private readonly ttlMs = 4000,
  ) {}

  touch(room: string, user: string): void {
    let users = this.rooms.get(room)
    if (!users) this.rooms.set(room, (users = new Map()))
    const known = users.get(user)
    clearTimeout(known)
    const timer = setTimeout(() => this.stop(room, user), this.ttlMs)
    timer.unref()
    users.set(user, timer)
    if (!known) this.changed(room, this.users(room))
  }

  stop(room: string, user: string): void {
    const users = this.rooms.get(room)
    const timer = users?.get(user)
    if (!users || !timer) return
    clearTimeout(timer)
    users.delete(user)
    if (users.size === 0) this.rooms.delete(room)
    this.changed(room, this.users(room))
  }

  users(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])].sort((a, b) => a.localeCompare(b))
  }

  clear(): void {
    for (const users of this.rooms.values()) for (const timer of users.values()) clearTimeout(timer)
    this.rooms.clear()
  }
}
