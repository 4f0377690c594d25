// The rooms of the demo. Fixed, so a room id in a URL or a stored record is checked against this list.

export interface Room {
  /** URL-safe slug, also used in stream names and DOM ids. */
  readonly id: string
  readonly name: string
  readonly defaultTopic: string
}

export const ROOMS: readonly Room[] = [
  { id: "general", name: "General", defaultTopic: "Say hello. Everything here is live over one WebSocket." },
  { id: "random", name: "Random", defaultTopic: "Anything goes." },
  { id: "design", name: "Design", defaultTopic: "Pixels and prose." },
]

export const DEFAULT_ROOM = ROOMS[0]

export function findRoom(id: string): Room | undefined {
  return ROOMS.find((room) => room.id === id)
}
