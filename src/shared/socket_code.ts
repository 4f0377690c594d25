// The socket's code (socket_line.ts and what it needs), loaded when a tab first needs a socket of its own: a
// chunk beside the module here; the script-tag build loads it from the worker file instead (socket_beside.ts).
import type { SocketLine } from "../cable/socket_line"

export async function loadSocketLine(_here: string, _workerUrl?: string): Promise<typeof SocketLine> {
  return (await import("../cable/socket_line")).SocketLine
}
