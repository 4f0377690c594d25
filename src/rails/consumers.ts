// Which consumer a `createConsumer(url)` gets: the page's, whose socket everything shares, unless the URL
// names another server, which needs a socket of its own (as it would with @rails/actioncable).
import { configure, pageConsumer } from "../api"
import { resolveCableUrl, type CableUrl } from "../cable/url"
import type { Consumer } from "../consumer/consumer"
import { debug } from "../log"
import { createPageCable } from "../page_cable"

const elsewhere = new Map<string, Consumer>()

export function consumerFor(url?: CableUrl): Consumer {
  const shared = pageConsumer()
  const pageUrl = configure({}).url
  if (url === undefined || url === pageUrl) return shared
  const wanted = resolveCableUrl(url)
  if (wanted == shared.url) return shared
  let consumer = elsewhere.get(wanted)
  if (!consumer) {
    debug("a consumer for another server gets a socket of its own:", wanted)
    // No Turbo and no document status: app channels only, and the page's state stays the page cable's.
    consumer = createPageCable({ options: { ...configure({}), url }, document: null }).consumer
    elsewhere.set(wanted, consumer)
  }
  return consumer
}
