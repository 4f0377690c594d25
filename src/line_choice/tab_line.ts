// The line a tab gets, made when something first asks for one (line_choice.ts, loaded then: a page with no
// stream source and no app channel never downloads it), and replaced when the one it has cannot go on: a
// shared connection that fails hands over to a socket of the tab's own, and the registry hears a drop and
// subscribes again on it, as after any reconnect. Listeners are bound to the current line itself: a frame
// takes no extra hop through here.
import type { HistoryAnchor, Line, LineEvents, LineState, PageWake, StopReason } from "../line"
import { logError } from "../log"

/** Makes the tab's first line; `replace` puts another in its place later. */
export type LineLoader = (replace: (next: Line) => void) => Promise<Line>

interface Listener {
  name: keyof LineEvents
  listener: (...args: any[]) => void
  unbind?: () => void
}

export class TabLine implements Line {
  private line: Line | null = null
  private loading = false
  private listeners: Listener[] = []
  /** What was asked before the line loaded, replayed on it in order. */
  private readonly asked: Array<(line: Line) => void> = []

  constructor(private readonly load: LineLoader) {}

  get state(): LineState {
    return this.line?.state ?? "idle"
  }
  get extended(): boolean {
    return this.line?.extended ?? false
  }
  get sessionId(): string | null {
    return this.line?.sessionId ?? null
  }
  get rejoiningAfterWake(): boolean {
    return this.line?.rejoiningAfterWake ?? false
  }

  on<Name extends keyof LineEvents>(name: Name, listener: LineEvents[Name]): () => void {
    const entry: Listener = { name, listener, unbind: this.line?.on(name, listener) }
    this.listeners.push(entry)
    return () => {
      entry.unbind?.()
      this.listeners = this.listeners.filter((other) => other !== entry)
    }
  }

  open(): void {
    this.whenLoaded((line) => line.open())
  }

  /** Nothing can be sent before the line exists: it has not been welcomed. */
  send(command: string): boolean {
    return this.line?.send(command) ?? false
  }

  subscribe(identifier: string, anchor: HistoryAnchor): boolean {
    return this.line?.subscribe(identifier, anchor) ?? false
  }

  unsubscribe(identifier: string): boolean {
    return this.line?.unsubscribe(identifier) ?? false
  }

  wake(why: PageWake): void {
    this.line?.wake(why)
  }

  stop(reason: StopReason): void {
    this.whenLoaded((line) => line.stop(reason))
  }

  restart(): void {
    this.whenLoaded((line) => line.restart())
  }

  private whenLoaded(ask: (line: Line) => void): void {
    if (this.line) return ask(this.line)
    this.asked.push(ask)
    if (this.loading) return
    this.loading = true
    this.load((next) => this.replace(next))
      .then((line) => {
        this.bind(line)
        for (const ask of this.asked.splice(0)) ask(line)
      })
      .catch((error) => logError("the line's code failed to load", error))
  }

  /** `next` takes the place of a line that gave up: what was connected is lost, and what was open opens again. */
  private replace(next: Line): void {
    const state = this.state
    this.bind(next)
    if (state == "connected") for (const { name, listener } of this.listeners) if (name == "lost") listener(true)
    if (state != "idle" && state != "stopped") next.open()
  }

  private bind(line: Line): void {
    for (const entry of this.listeners) {
      entry.unbind?.()
      entry.unbind = line.on(entry.name, entry.listener)
    }
    this.line = line
  }
}
