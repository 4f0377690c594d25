// The module builds' shared worker (dist/turbo-cable-worker.js, beside dist/turbo-cable.js and the import-map
// build): a classic script that holds the one socket of a browser's tabs.
import { serveTabs } from "./sharing/worker/serve_tabs"

serveTabs()
