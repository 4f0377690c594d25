// The AnyCable page on AnyCable's extended protocol (the anycable-go setup with history): session restore,
// and @anycable/core asks each stream's history after a reconnect. Turbo stream sources need nothing else.
import * as Turbo from "@hotwired/turbo"
import { createCable } from "@anycable/web"
import { start } from "@anycable/turbo-stream"

window.Turbo = Turbo
start(createCable({ protocol: "actioncable-v1-ext-json" }))
