// The line a page gets, made when something first asks for it: its code (the socket's, or the tab's end of
// a shared connection, see shared/tab_line.ts) loads then, so a page with no stream source and no app
// channel never downloads it. Listeners are handed to the real line once it exists: a frame takes no
// extra hop through here.
import type { HistoryAnchor, Line, LineEvents, LineState, StopReason } from "./line"
import type { PageWake } from "./page_lifecycle"
import { logError } from "../log"

export class LazyLine implements Line {
  private line: Line | null = null
  private loading = false
  private listeners: Array<{ name: keyof LineEvents; listener: (...args: any[]) => void; unbind?: () => void }> = []
  /** What was asked before the line loaded, replayed on it in order. */
  private readonly asked: Array<(line: Line) => void> = []

  constructor(private readonly load: () => Promise<Line>) {}

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
    if (this.line) return this.line.on(name, listener)
    const entry: (typeof this.listeners)[number] = { name, listener }
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
    this.load()
      .then((line) => {
        for (const entry of this.listeners) entry.unbind = line.on(entry.name, entry.listener)
        this.line = line
        for (const ask of this.asked.splice(0)) ask(line)
      })
      .catch((error) => logError("the line's code failed to load", error))
  }
}
