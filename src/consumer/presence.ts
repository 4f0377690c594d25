// AnyCable's presence on an app channel subscription, with @anycable/core's names: `join(id, info)`,
// `leave()`, `info()`. On a server without the extended protocol every call is rejected (and says why in the
// debug log); nothing throws out of a socket callback.
import type { PresenceEvent } from "../protocol"
import type { ConsumerCable } from "./consumer_cable"

/** Who is on the stream: info by presence id. */
export type PresenceState = Record<string, unknown>

export class SubscriptionPresence {
  /** This client's presence, joined again whenever the subscription is confirmed again. */
  private joined: { id: string; info?: unknown } | null = null
  private asked: Array<{ resolve(state: PresenceState): void; reject(error: Error): void }> = []

  constructor(
    private readonly identifier: string,
    private readonly cable: ConsumerCable,
  ) {}

  /** Joins the stream's presence as `id`; rejected when not sent. */
  join(id: string | number, info?: unknown): Promise<void> {
    const presence = { id: String(id), info }
    if (!this.cable.sendExtended(this.identifier, { command: "join", presence })) return notSent("join")
    this.joined = presence
    return Promise.resolve()
  }

  leave(): Promise<void> {
    if (!this.cable.sendExtended(this.identifier, { command: "leave" })) return notSent("leave")
    this.joined = null
    return Promise.resolve()
  }

  /** Who is on the stream now, from the server. */
  info(): Promise<PresenceState> {
    if (!this.cable.sendExtended(this.identifier, { command: "presence", data: {} })) return notSent("presence")
    return new Promise((resolve, reject) => this.asked.push({ resolve, reject }))
  }

  /** The subscription was confirmed again (a new connection): the server forgot who this client was. */
  confirmedAgain(): void {
    if (this.joined) this.cable.sendExtended(this.identifier, { command: "join", presence: this.joined })
  }

  /** Answers what `info()` asked; join and leave events are the app's (`presenceChanged`). */
  received(event: PresenceEvent): void {
    if (event.type == "info") {
      const state = Object.fromEntries((event.records ?? []).map(({ id, info }) => [id, info]))
      for (const { resolve } of this.asked.splice(0)) resolve(state)
    } else if (event.type == "error") this.failAsked("the server refused the presence request")
  }

  /** The line dropped or the subscription ended: unanswered requests are rejected. */
  failAsked(why: string): void {
    for (const { reject } of this.asked.splice(0)) reject(new Error(why))
  }
}

function notSent(command: string): Promise<never> {
  return Promise.reject(new Error(`presence ${command} not sent: the subscription is not confirmed, or the server does not speak AnyCable's extended protocol`))
}
