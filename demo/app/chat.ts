// The chat itself: what happens when someone posts, opens a room, changes a topic, joins, leaves or
// types, and which streams hear about it. Routes and cable hooks both call in here.

import type { ConnectionInfo } from "../server/options"
import { sign, verify } from "../server/signed_stream"
import { Presence, Typing } from "./live"
import { ROOMS, type Room } from "./rooms"
import type { ChatStore, Message } from "./store"
import { parseStreamName, refreshStream, streamNames, turboStream } from "./streams"
import { ids, messageView, presenceView, typingItems, unreadBadge, type Mode, type RoomPageData } from "./views"

/** What the chat needs from the cable server. */
export interface Broadcaster {
  broadcast(stream: string, message: string): number
}

/** Actions a page may `perform` on its presence subscription. */
const TYPING_ACTION = "typing"
const STOPPED_TYPING_ACTION = "stopped_typing"

export class Chat {
  readonly presence = new Presence()
  readonly typing: Typing
  /** Users with an open unread stream (a page of theirs is live somewhere), with how many. */
  private readonly online = new Map<string, number>()

  constructor(
    private readonly store: ChatStore,
    private readonly cable: Broadcaster,
    private readonly streamKey: Buffer,
    typingTtlMs?: number,
  ) {
    this.typing = new Typing((room, users) => this.broadcastTyping(room, users), typingTtlMs)
  }

  // ---- pages -------------------------------------------------------------------------------

  /** A first sign-in starts with every room read: history is not "unread" to a newcomer. */
  signIn(user: string): void {
    if (this.store.knowsUser(user)) return
    for (const room of ROOMS) this.store.markRead(user, room.id, this.store.latestId(room.id))
  }

  /** Everything the room page shows, as of now. Opening a room reads it. */
  roomPage(mode: Mode, user: string, room: Room): RoomPageData {
    this.signIn(user) // a cookie that outlived its data directory is still a newcomer here
    if (this.store.markRead(user, room.id, this.store.latestId(room.id))) this.sendUnread(user, room.id)
    const unread = new Map(ROOMS.map((each) => [each.id, this.store.unreadCount(user, each.id)]))
    return {
      readAt: Math.floor(Date.now() / 1000),
      mode,
      user,
      room,
      topic: this.store.topic(room.id) ?? room.defaultTopic,
      messages: this.store.messages(room.id),
      unread,
      present: [...new Set([...this.presence.users(room.id), user])].sort((a, b) => a.localeCompare(b)),
      typing: this.typing.users(room.id),
      signed: {
        room: sign(this.streamKey, streamNames.room(room.id)),
        presence: sign(this.streamKey, streamNames.presence(room.id)),
        unread: sign(this.streamKey, streamNames.unread(user)),
      },
    }
  }

  /**
   * Stores the message, then tells everyone in the room (the sender's copy comes back in the form
   * response as well: the same id, so Turbo keeps one) and moves everyone else's unread count.
   */
  post(user: string, room: Room, body: string): Message {
    const message = this.store.addMessage(room.id, user, body)
    this.typing.stop(room.id, user)
    this.cable.broadcast(streamNames.room(room.id), turboStream("append", ids.messages(room.id), messageView(message)).text)
    this.store.markRead(user, room.id, message.id)
    for (const reader of this.presence.users(room.id)) this.store.markRead(reader, room.id, message.id)
    for (const other of this.online.keys()) {
      if (other !== user && !this.presence.has(room.id, other)) this.sendUnread(other, room.id)
    }
    return message
  }

  /** A topic change re-renders parts of every open page: a Turbo page refresh, morphed in. */
  setTopic(user: string, room: Room, topic: string, requestId?: string): void {
    this.store.setTopic(room.id, topic, user)
    this.cable.broadcast(streamNames.room(room.id), refreshStream(requestId).text)
  }

  // ---- cable hooks -------------------------------------------------------------------------

  subscribed(conn: ConnectionInfo, stream: string): void {
    const parsed = parseStreamName(stream)
    if (parsed?.kind === "presence") {
      if (this.presence.join(parsed.room, conn.identity)) this.broadcastPresence(parsed.room)
    } else if (parsed?.kind === "unread" && parsed.user === conn.identity) {
      this.online.set(parsed.user, (this.online.get(parsed.user) ?? 0) + 1)
    }
  }

  unsubscribed(conn: ConnectionInfo, stream: string): void {
    const parsed = parseStreamName(stream)
    if (parsed?.kind === "presence") {
      if (this.presence.leave(parsed.room, conn.identity)) {
        this.typing.stop(parsed.room, conn.identity)
        this.broadcastPresence(parsed.room)
      }
    } else if (parsed?.kind === "unread" && parsed.user === conn.identity) {
      const count = (this.online.get(parsed.user) ?? 0) - 1
      if (count > 0) this.online.set(parsed.user, count)
      else this.online.delete(parsed.user)
    }
  }

  /** `perform` on a presence subscription: typing indicators. Anything else is ignored. */
  performed(conn: ConnectionInfo, params: Record<string, unknown>, data: Record<string, unknown>): void {
    const stream = verify(this.streamKey, params.signed_stream_name)
    const parsed = stream === null ? null : parseStreamName(stream)
    if (parsed?.kind !== "presence" || !this.presence.has(parsed.room, conn.identity)) return
    if (data.action === TYPING_ACTION) this.typing.touch(parsed.room, conn.identity)
    else if (data.action === STOPPED_TYPING_ACTION) this.typing.stop(parsed.room, conn.identity)
  }

  close(): void {
    this.typing.clear()
  }

  // ---- broadcasts --------------------------------------------------------------------------

  private broadcastPresence(room: string): void {
    const list = presenceView(room, this.presence.users(room))
    this.cable.broadcast(streamNames.presence(room), turboStream("replace", ids.presence(room), list, { method: "morph" }).text)
  }

  private broadcastTyping(room: string, users: string[]): void {
    this.cable.broadcast(streamNames.presence(room), turboStream("update", ids.typing(room), typingItems(users)).text)
  }

  private sendUnread(user: string, room: string): void {
    const badge = unreadBadge(room, this.store.unreadCount(user, room))
    this.cable.broadcast(streamNames.unread(user), turboStream("replace", ids.unread(room), badge).text)
  }
}
