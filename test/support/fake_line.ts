// A Line for unit tests of what sits above it (registry, catch-up, consumer, page cable): the test plays the
// server (welcome, frames, drops) and reads the commands the page sent. No socket, no timer.
import type { HistoryAnchor, HistoryOutcome, Line, LineEvents, LineState, LineChange, StopReason } from "../../src/line"
import { subscribeCommand, type SubscriptionFrame, unsubscribeCommand } from "../../src/protocol"
import { Emitter } from "../../src/events"

export class FakeLine implements Line {
  state: LineState = "idle"
  rejoiningAfterWake = false
  /** Set by the test: the server speaks AnyCable's extended protocol. */
  extended = false
  sessionId: string | null = null
  /** Every command sent while connected, parsed. */
  readonly sent: Array<Record<string, any>> = []
  /** What this connection holds, as a socket line keeps it: an unsubscribe for anything else is not sent. */
  private readonly held = new Set<string>()
  private readonly events = new Emitter<LineEvents>()

  on<Name extends keyof LineEvents>(name: Name, listener: LineEvents[Name]) {
    return this.events.on(name, listener)
  }

  open(): void {
    if (this.state == "idle") this.become("connecting")
  }

  send(command: string): boolean {
    if (this.state != "connected") return false
    this.sent.push(JSON.parse(command))
    return true
  }

  /** The anchors of every subscribe sent, in order. */
  readonly anchors: HistoryAnchor[] = []

  subscribe(identifier: string, anchor: HistoryAnchor): boolean {
    const sent = this.send(subscribeCommand(identifier))
    if (sent) {
      this.anchors.push(anchor)
      this.held.add(identifier)
    }
    return sent
  }

  unsubscribe(identifier: string): boolean {
    return this.held.delete(identifier) && this.send(unsubscribeCommand(identifier))
  }

  wake(): void {}

  stop(reason: StopReason): void {
    if (this.state == "stopped") return
    this.become("stopped", reason)
    this.events.emit("lost", false)
  }

  restart(): void {
    if (this.state == "stopped") this.become("connecting")
  }

  // The server's side

  /** `restoredIds`: a restored session (extended protocol) whose server still holds these subscriptions. */
  welcome(restoredIds: string[] = []): void {
    this.held.clear()
    restoredIds.forEach((identifier) => this.held.add(identifier))
    this.become("connected")
    this.events.emit("welcome", { restoredIds })
  }

  frame(frame: SubscriptionFrame): void {
    if (frame.type == "reject") this.held.delete(frame.identifier)
    this.events.emit("frame", frame)
  }

  confirm(identifier: string): void {
    this.frame({ type: "confirm", identifier })
  }

  /** A history request was answered (extended protocol). */
  history(identifier: string, outcome: HistoryOutcome): void {
    this.events.emit("history", identifier, outcome)
  }

  message(identifier: string, message: unknown): void {
    this.frame({ type: "message", identifier, message })
  }

  /** The connection drops; the next `welcome` is a reconnect. */
  drop(): void {
    this.held.clear()
    this.become("disconnected", "closed")
    this.events.emit("lost", true)
    this.become("reconnecting")
  }

  commands(command?: string): Array<Record<string, any>> {
    return command ? this.sent.filter((frame) => frame.command == command) : this.sent
  }

  private become(state: LineState, reason?: LineChange["reason"]): void {
    const previous = this.state
    this.state = state
    this.events.emit("state", { state, previous, reason })
  }
}

/** Lets promise callbacks run (no timer involved): the catch-up's steps are promises. */
export async function microtasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

/**
 * A line that is only a `send` (what the registry's tests watch): subscribe and unsubscribe in the plain protocol,
 * an unsubscribe sent only for what its connection holds (`dropped()` forgets it all, as a new connection does).
 */
export function sendingLine(send: (command: string) => boolean, open: () => void = () => {}) {
  const held = new Set<string>()
  return {
    open,
    send,
    extended: false,
    subscribe: (identifier: string) => send(subscribeCommand(identifier)) && (held.add(identifier), true),
    unsubscribe: (identifier: string) => held.delete(identifier) && send(unsubscribeCommand(identifier)),
    dropped: () => held.clear(),
  }
}
