// AnyCable's extended protocol (`actioncable-v1-ext-json`) as a line speaks it: the line (socket/socket_line.ts)
// hands this object every frame of a connection that negotiated it, and asks it for the URL of the next socket
// and for each subscribe. Here: the session to restore, the history each subscribe or restore asks for and its
// answer (stream_history.ts: each broadcast once and in order), the pongs. It outlives a connection: the session
// and the positions are what the next one asks with.
import type { Clock } from "../clock"
import type { HistoryAnchor, HistoryOutcome, Welcome } from "../line"
import { debug } from "../log"
import { PONG_COMMAND, type ServerFrame, type SubscriptionFrame } from "../protocol"
import { withSessionId } from "./session"
import { StreamHistory } from "./stream_history"

/** What the protocol gives back to its line. */
export interface ExtendedPorts {
  /** A subscription's frame, to go on to the registry. */
  frame(frame: SubscriptionFrame): void
  /** A subscription's history was answered (its missed messages went on before this). */
  history(identifier: string, outcome: HistoryOutcome): void
  /** A command on the current socket; false when it could not be sent. */
  send(command: string): boolean
}

export class ExtendedProtocol {
  /** The session id of the last welcome: the next connection asks to restore it. */
  private sid: string | null = null
  /** Positions and held messages of every subscription, kept across connections. */
  private readonly history: StreamHistory

  constructor(
    private readonly clock: Clock,
    private readonly ports: ExtendedPorts,
  ) {
    this.history = new StreamHistory(clock, (identifier) => this.answered(identifier, "rejected"))
  }

  get sessionId(): string | null {
    return this.sid
  }

  /** The URL of the next socket: with the session to restore, as @anycable/core does in browsers. */
  url(url: string): string {
    return this.sid ? withSessionId(url, this.sid) : url
  }

  /** The subscribe command, with the history its anchor asks for. */
  subscribe(identifier: string, anchor: HistoryAnchor): string {
    return this.history.subscribe(identifier, anchor)
  }

  unsubscribed(identifier: string): void {
    this.history.forget(identifier)
  }

  /** anycable-go may be told to drop clients that send nothing back (`pong_timeout`). */
  pinged(): void {
    this.ports.send(PONG_COMMAND)
  }

  /** A welcome: the session to restore next time, and the subscriptions this one restored. */
  welcomed(frame: Extract<ServerFrame, { type: "welcome" }>): Welcome {
    this.sid = frame.sid ?? null
    return { restoredIds: frame.restoredIds ?? [] }
  }

  /** After the registry heard the welcome (and let go of what it no longer wants): each restored one asks what it missed. */
  restored({ restoredIds }: Welcome): void {
    const none: string[] = []
    for (const command of this.history.restore(restoredIds, (identifier) => none.push(identifier))) this.ports.send(command)
    for (const identifier of none) this.answered(identifier, "none")
  }

  /** The session is over (the server ended it, or the line stopped): a restore would only be refused. */
  forgetSession(): void {
    this.sid = null
  }

  receive(frame: SubscriptionFrame): void {
    switch (frame.type) {
      case "message":
        for (const message of this.history.receive(frame.identifier, frame.message, frame.position)) {
          this.ports.frame({ type: "message", identifier: frame.identifier, message })
        }
        return
      case "history":
        return this.answered(frame.identifier, frame.confirmed ? "confirmed" : "rejected")
      case "reject":
        this.history.answered(frame.identifier)
        return this.ports.frame(frame)
      case "confirm":
        this.ports.frame(frame)
        if (this.history.confirmed(frame.identifier, this.clock.now())) this.ports.history(frame.identifier, "none")
        return
      case "presence":
        return this.ports.frame(frame)
    }
  }

  /** The connection dropped: nothing held survives it (the next history asks from the last applied position). */
  lost(): void {
    this.history.lost()
  }

  /** The held messages go on, each once and in order, then the outcome. */
  private answered(identifier: string, outcome: HistoryOutcome): void {
    debug("history", outcome, identifier)
    for (const message of this.history.answered(identifier)) this.ports.frame({ type: "message", identifier, message })
    this.ports.history(identifier, outcome)
  }
}
