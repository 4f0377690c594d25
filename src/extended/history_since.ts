// When a page's history starts (AnyCable's extended protocol): the server's render time, read in the tab
// (a shared worker has no <meta>), so that a subscribe asks for what the page has not seen.
import { readMeta } from "../dom"

/**
 * `<meta name="cable-history-timestamp" content="<Unix seconds>">`: when the server rendered the page. Both
 * names @anycable/web reads are read (anycable-client's README writes the `action-cable-` one by hand).
 */
export const HISTORY_TIMESTAMP_METAS = ["cable-history-timestamp", "action-cable-history-timestamp"] as const

/** Unix seconds to ask history from for content rendered at `renderedAt` (ms); none when its age is unknown. */
export function sinceOf(renderedAt: number): number | undefined {
  if (!Number.isFinite(renderedAt)) return undefined
  const rendered = Math.floor(renderedAt / 1000)
  const meta = Number(HISTORY_TIMESTAMP_METAS.map((name) => readMeta(name)).find(Boolean))
  // The server's clock says when the page was made (the browser's may be off); content added by script long
  // after the page (a minute) dates from itself, so that it is not sent again what it already shows.
  return meta > 0 && meta <= rendered && rendered - meta < 60 ? meta : rendered
}
