// Which consumer a `createConsumer(url)` gets: the page's, whose socket everything shares, unless the URL
// names another server, which needs a socket of its own (as it would with @rails/actioncable).
import { configure, pageCable } from "../api"
import { resolveCableUrl } from "../socket/url"
import { type CableUrl } from "../config"
import type { Consumer } from "../consumer/consumer"
import { debug } from "../log"
import { createPageCable } from "../page_cable"

export function consumerFor(url?: CableUrl): Consumer {
  const page = pageCable()
  const shared = page.consumer
  if (url === undefined || url === page.options.url) return shared
  const wanted = resolveCableUrl(url)
  if (wanted == shared.url) return shared
  let consumer = page.consumersElsewhere.get(wanted)
  if (!consumer) {
    debug("a consumer for another server gets a socket of its own:", wanted)
    // No Turbo and no document status: app channels only, and the page's state stays the page cable's.
    consumer = createPageCable({ options: { ...configure({}), url }, document: null }).consumer
    page.consumersElsewhere.set(wanted, consumer)
  }
  return consumer
}
