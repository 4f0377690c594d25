// AnyCable's cable parts alone (@anycable/web + @anycable/turbo-stream), Turbo left external.
import { createCable } from "@anycable/web"
import { start } from "@anycable/turbo-stream"

start(createCable())
