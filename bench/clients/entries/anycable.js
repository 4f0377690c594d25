// AnyCable's documented Turbo Streams setup: createCable() reads <meta name="action-cable-url">.
import * as Turbo from "@hotwired/turbo"
import { createCable } from "@anycable/web"
import { start } from "@anycable/turbo-stream"

window.Turbo = Turbo
start(createCable())
