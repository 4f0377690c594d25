// The clients compared, one page each (the .html files beside this one). Every page renders the same
// body: #sources with the stream sources, #items with the list the appends go to.

export const CLIENT_IDS = ["turbo-cable", "turbo-rails", "anycable", "floor"] as const
export type ClientId = (typeof CLIENT_IDS)[number]

/**
 * A page the bench server can render: the four clients, the unminified build used for profiling, and
 * AnyCable's client on its extended protocol (the history scenario).
 */
export type PageId = ClientId | "turbo-cable-esm" | "anycable-ext"

export interface Client {
  id: ClientId
  label: string
  /** What the page loads, for RESULTS.md. */
  description: string
  /** Reconnects by itself (the floor does not): takes part in the reconnect scenarios. */
  reconnects: boolean
}

export const CLIENTS: Record<ClientId, Client> = {
  "turbo-cable": {
    id: "turbo-cable",
    label: "turbo-cable",
    description: "dist/turbo-cable.min.js (the script-tag build, Turbo inside)",
    reconnects: true,
  },
  "turbo-rails": {
    id: "turbo-rails",
    label: "turbo-rails",
    description: "@hotwired/turbo-rails 8.0.23 + @rails/actioncable from npm, bundled by esbuild",
    reconnects: true,
  },
  anycable: {
    id: "anycable",
    label: "AnyCable",
    description: "@hotwired/turbo + @anycable/web createCable() + @anycable/turbo-stream start(), bundled by esbuild",
    reconnects: true,
  },
  floor: {
    id: "floor",
    label: "floor",
    description: "inline script: raw WebSocket, JSON.parse, insertAdjacentHTML of the append's template (no Turbo, no reconnect)",
    reconnects: false,
  },
}

export const LABELS: Record<ClientId, string> = Object.fromEntries(CLIENT_IDS.map((id) => [id, CLIENTS[id].label])) as Record<
  ClientId,
  string
>

/** The HTML template of each page, in this folder. */
export const PAGE_FILES: Record<PageId, string> = {
  "turbo-cable": "turbo_cable.html",
  "turbo-rails": "turbo_rails.html",
  anycable: "anycable.html",
  floor: "floor.html",
  "turbo-cable-esm": "turbo_cable_esm.html",
  "anycable-ext": "anycable_ext.html",
}

/** Bundles the pages load from /out/ (bench/out/<name>.js), built from entries/<name>.js as IIFEs. */
export const PAGE_BUNDLES = ["turbo_rails", "anycable", "anycable_ext"] as const

/** Client order for run `run`: rotated, so no client always goes first (cold caches, a busy neighbour). */
export function clientOrder(run: number, ids: readonly ClientId[] = CLIENT_IDS): ClientId[] {
  const shift = run % ids.length
  return [...ids.slice(shift), ...ids.slice(0, shift)]
}
