// A typed event map whose `on()` returns its unbind (the shape of ai/nanoevents): the cable emits, the
// catch-up, the renderer and the page status listen, and nothing reads state back up the chain.
import { logError } from "./log"

/** Event names and their listeners' signatures. */
export type EventMap<Events> = { [Name in keyof Events]: (...args: any[]) => void }

export type Unbind = () => void

export class Emitter<Events extends EventMap<Events>> {
  private readonly listeners: { [Name in keyof Events]?: Array<Events[Name]> } = {}

  /** Listens to `name` until the returned function is called. */
  on<Name extends keyof Events>(name: Name, listener: Events[Name]): Unbind {
    ;(this.listeners[name] ??= []).push(listener)
    return () => {
      this.listeners[name] = this.listeners[name]?.filter((other) => other !== listener)
    }
  }

  /** Calls every listener of `name`; one that throws is logged and the others still run. */
  emit<Name extends keyof Events>(name: Name, ...args: Parameters<Events[Name]>): void {
    const listeners = this.listeners[name]
    if (!listeners) return
    // Every frame passes here: no closure per call.
    for (const listener of listeners) {
      try {
        listener(...args)
      } catch (error) {
        logError(`a ${String(name)} listener failed`, error)
      }
    }
  }
}
