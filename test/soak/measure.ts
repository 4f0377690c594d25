// What the soak reads of a tab or a shared worker, over CDP (Chromium): the JS heap after a full garbage
// collection, the event listeners on every live EventTarget, the timers pending, the WebSockets not closed,
// and the MessagePorts alive (in the worker: its tabs' ports). Nothing of turbo-cable is asked: the counts
// come from the engine (Runtime.queryObjects, the DevTools command line's getEventListeners), except the
// timers, which no API lists: TIMER_COUNTER wraps the timer functions and counts the pending ones.

/** Sends one CDP command to a page's or a worker's session and resolves with its result. */
export type Call = <T = any>(method: string, params?: object) => Promise<T>

export interface TargetSample {
  /** Bytes of JS heap in use after a full garbage collection. */
  heap: number
  listeners: number
  /** Timers pending (setTimeout not yet run or cleared, setInterval not cleared) since TIMER_COUNTER ran. */
  timers: number
  /** WebSockets connecting or open. */
  sockets: number
  /** MessagePorts alive. */
  ports: number
}

/**
 * Wraps the timer functions of the global scope it runs in (a page, before its scripts: addInitScript; a
 * worker, when the soak first attaches to it) and keeps the pending ones in `__soakTimers`.
 */
export const TIMER_COUNTER = `(() => {
  if (globalThis.__soakTimers) return
  const live = new Set()
  const native = { setTimeout, clearTimeout, setInterval, clearInterval }
  globalThis.setTimeout = function (callback, ms, ...args) {
    const id = native.setTimeout.call(globalThis, (...given) => {
      live.delete(id)
      if (typeof callback == "function") callback(...given)
    }, ms, ...args)
    live.add(id)
    return id
  }
  globalThis.setInterval = function (...args) {
    const id = native.setInterval.apply(globalThis, args)
    live.add(id)
    return id
  }
  globalThis.clearTimeout = function (id) {
    live.delete(id)
    return native.clearTimeout.call(globalThis, id)
  }
  globalThis.clearInterval = function (id) {
    live.delete(id)
    return native.clearInterval.call(globalThis, id)
  }
  globalThis.__soakTimers = live
})()`

async function value<T>(call: Call, expression: string, commandLine = false): Promise<T> {
  const { result, exceptionDetails } = await call("Runtime.evaluate", { expression, returnByValue: true, includeCommandLineAPI: commandLine })
  if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`)
  return result.value as T
}

/** The live objects whose prototype chain holds `prototype` (an expression), kept in `globalThis.__soakObjects`. */
async function gather(call: Call, prototype: string): Promise<number> {
  const { result: proto } = await call("Runtime.evaluate", { expression: prototype, objectGroup: "soak" })
  const { objects } = await call("Runtime.queryObjects", { prototypeObjectId: proto.objectId, objectGroup: "soak" })
  const { result } = await call("Runtime.callFunctionOn", {
    objectId: objects.objectId,
    functionDeclaration: "function () { globalThis.__soakObjects = this; return this.length }",
    returnByValue: true,
  })
  return result.value
}

/** Reads one target. `call` is a session to a page or a shared worker. */
export async function sampleTarget(call: Call): Promise<TargetSample> {
  try {
    // Garbage first: what is counted is what is still held, not what waits for the collector.
    await call("HeapProfiler.collectGarbage")
    await gather(call, "EventTarget.prototype")
    const listeners = await value<number>(
      call,
      // The soak's own listeners (its recorder, freezePage's lifecycle watchers) are not the page's.
      `(() => { let n = 0; for (const target of globalThis.__soakObjects) for (const list of Object.values(getEventListeners(target))) for (const { listener } of list) if (!/__soak|__lifecycle/.test(String(listener))) n++; return n })()`,
      true,
    )
    // The prototypes are in the list too (a subclass's prototype is `instanceof` its base): their getters throw.
    const sockets = await value<number>(
      call,
      "globalThis.__soakObjects.filter((target) => { try { return target instanceof WebSocket && target.readyState < 2 } catch { return false } }).length",
    )
    const ports = await value<number>(
      call,
      "globalThis.__soakObjects.filter((target) => target instanceof MessagePort && !Object.prototype.hasOwnProperty.call(target, 'constructor')).length",
    )
    const timers = await value<number>(call, "globalThis.__soakTimers ? globalThis.__soakTimers.size : -1")
    await value(call, "delete globalThis.__soakObjects")
    await call("Runtime.releaseObjectGroup", { objectGroup: "soak" })
    await call("HeapProfiler.collectGarbage")
    const { usedSize } = await call<{ usedSize: number }>("Runtime.getHeapUsage")
    return { heap: usedSize, listeners, timers, sockets, ports }
  } finally {
    await call("Runtime.releaseObjectGroup", { objectGroup: "soak" }).catch(() => {})
  }
}
