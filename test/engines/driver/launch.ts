import type { EngineBrowser, EngineName } from "./engine"
import { launchChromium } from "./chromium"
import { launchFirefox } from "./firefox"
import { launchWebKit } from "./webkit"

export function launchEngine(engine: EngineName): Promise<EngineBrowser> {
  return { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit }[engine]()
}
