// What only tests ask of the cable server (through the test server's control API, or directly in unit tests):
// counts, the log of the commands clients sent, the broker's history, a lost broker, and the two ways every
// socket can end at once: a clean close and a dropped line.

import type { Broker } from "./broker"
import type { Connection, Hub } from "./hub"
import { NORMAL_CLOSURE } from "./protocol"

export interface CommandLogEntry {
  connection: number
  command: string
  identifier: string
  at: number
}

const COMMAND_LOG_CAP = 100_000

/** The subscribes and unsubscribes clients sent, the last 100 000. */
export class CommandLog {
  private entries: CommandLogEntry[] = []

  record(conn: Connection, command: string, identifier: unknown): void {
    this.entries.push({
      connection: conn.info.id,
      command,
      identifier: typeof identifier === "string" ? identifier : (JSON.stringify(identifier) ?? ""),
      at: Date.now(),
    })
    // Trim in chunks so a capped log costs amortised O(1) per entry.
    if (this.entries.length >= COMMAND_LOG_CAP + COMMAND_LOG_CAP / 4) {
      this.entries = this.entries.slice(-COMMAND_LOG_CAP)
    }
  }

  list(): CommandLogEntry[] {
    return this.entries.slice(-COMMAND_LOG_CAP)
  }

  clear(): void {
    this.entries = []
  }
}

export class TestControls {
  constructor(
    private readonly hub: Hub,
    private readonly broker: Broker,
    private readonly commands: CommandLog,
  ) {}

  /** Subscriptions to `stream`, or to anything. */
  subscriptionCount(stream?: string): number {
    return this.hub.subscriptionCount(stream)
  }

  connectionCount(): number {
    return this.hub.connectionCount()
  }

  /** Kept across `close()` and `attach()`, so a test can read it over a restart. */
  commandLog(): CommandLogEntry[] {
    return this.commands.list()
  }

  clearCommandLog(): void {
    this.commands.clear()
  }

  /** The history's epoch and how many messages of `stream` it keeps now. */
  historyOf(stream: string): { epoch: string; size: number } {
    return { epoch: this.broker.history.epoch, size: this.broker.history.size(stream) }
  }

  /** A new broker life: a new epoch, no history, no restorable session, no presence. */
  resetBroker(): void {
    this.broker.reset()
  }

  /**
   * Clean close (close frame with `code`) of every client socket. Their sessions are forgotten: this
   * stands for a restart, which loses anycable-go's memory broker.
   */
  closeAll(code: number = NORMAL_CLOSURE): void {
    if (!isValidCloseCode(code)) throw new RangeError(`invalid WebSocket close code: ${code}`)
    for (const conn of this.hub.all()) {
      this.hub.forget(conn, "drop")
      conn.socket.close(code)
    }
  }

  /**
   * Drop every client socket without a close frame, as a crashed server or dead line would. Their
   * sessions stay restorable: the server never told them anything.
   */
  killAll(): void {
    void this.hub.dropAll()
  }
}

function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  )
}
