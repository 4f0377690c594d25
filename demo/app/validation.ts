// What counts as a valid name, message or topic: one place, used by the forms and by the store
// when it reads its file back.

export const MAX_NAME_CHARS = 24
export const MAX_MESSAGE_CHARS = 1000
export const MAX_TOPIC_CHARS = 120

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u
// Tab and newline are fine in a message; other control characters never are.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string }

function chars(text: string): number {
  return [...text].length
}

/** A display name: letters and digits, with spaces, dots, underscores and hyphens inside. */
export function checkName(input: string): Checked<string> {
  const name = input.trim().replace(/\s+/g, " ")
  if (name === "") return { ok: false, error: "Please enter a name." }
  if (chars(name) > MAX_NAME_CHARS) return { ok: false, error: `Names are at most ${MAX_NAME_CHARS} characters.` }
  if (!NAME.test(name)) {
    return { ok: false, error: "Use letters and digits (spaces, dots, underscores and hyphens inside are fine)." }
  }
  return { ok: true, value: name }
}

export function checkMessage(input: string): Checked<string> {
  const body = input.replace(/\r\n?/g, "\n").trim()
  if (body === "") return { ok: false, error: "Write something first: empty messages are not sent." }
  const length = chars(body)
  if (length > MAX_MESSAGE_CHARS) {
    return { ok: false, error: `Messages are at most ${MAX_MESSAGE_CHARS} characters; this one has ${length}.` }
  }
  if (CONTROL.test(body)) return { ok: false, error: "Messages cannot contain control characters." }
  return { ok: true, value: body }
}

export function checkTopic(input: string): Checked<string> {
  const topic = input.trim().replace(/\s+/g, " ")
  if (chars(topic) > MAX_TOPIC_CHARS) return { ok: false, error: `Topics are at most ${MAX_TOPIC_CHARS} characters.` }
  if (CONTROL.test(topic)) return { ok: false, error: "Topics cannot contain control characters." }
  return { ok: true, value: topic }
}
