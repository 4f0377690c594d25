// Which stream a subscription follows, from its identifier's params: Turbo::StreamsChannel by its signed name
// (as turbo-rails), AnyCable's `$pubsub` by a signed or public name (as anycable-go), or the app's own channels.

import type { ChannelStream, ConnectionInfo, Settings } from "./options"
import { PROTOCOL, type JsonObject } from "./protocol"
import { verify } from "./signed_stream"

/** A subscription's stream, and whether its subscribers may whisper to it and join its presence. */
export interface StreamTarget {
  stream: string
  whisper: boolean
  presence: boolean
}

export class Channels {
  constructor(private readonly settings: Pick<Settings, "secret" | "channels" | "pubsub" | "log">) {}

  /** The stream the subscription follows, or null to reject it. */
  streamFor(params: JsonObject, conn: ConnectionInfo): StreamTarget | null {
    const value = this.channelStream(params, conn)
    if (value === null) return null
    if (typeof value === "string") return { stream: value, whisper: false, presence: false }
    return { stream: value.stream, whisper: value.whisper === true, presence: value.presence === true }
  }

  private channelStream(params: JsonObject, conn: ConnectionInfo): ChannelStream | null {
    const { secret, channels, pubsub } = this.settings
    if (params.channel === PROTOCOL.channel) return verify(secret, params[PROTOCOL.signedStreamParam])
    if (params.channel === PROTOCOL.pubsubChannel && pubsub) return this.pubsubStream(params)
    const channel = typeof params.channel === "string" && Object.hasOwn(channels, params.channel) ? channels[params.channel] : null
    if (!channel) return null
    try {
      return channel(params, conn)
    } catch (err) {
      this.settings.log(`channel ${String(params.channel)} threw, rejecting: ${String(err)}`)
      return null
    }
  }

  /** anycable-go's streams controller: public streams get whispers and presence, signed ones when configured. */
  private pubsubStream(params: JsonObject): ChannelStream | null {
    const pubsub = this.settings.pubsub!
    const signed = params[PROTOCOL.signedStreamParam]
    if (signed !== undefined) {
      const stream = verify(this.settings.secret, signed)
      return stream === null ? null : { stream, whisper: pubsub.whisper === true, presence: pubsub.presence === true }
    }
    const name = params[PROTOCOL.publicStreamParam]
    if (!pubsub.public || typeof name !== "string" || name === "") return null
    return { stream: name, whisper: true, presence: true }
  }
}
