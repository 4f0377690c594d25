// Against real Rails: the client offers AnyCable's extended protocol first, and Rails picks Action Cable's own,
// so everything else in this folder runs on the plain protocol, exactly as before the extended one existed.
import { expect, test } from "@playwright/test"
import { railsForSpecFile } from "../support/rails_server"

const rails = railsForSpecFile(test, 1)

test("offered actioncable-v1-ext-json first, Rails picks actioncable-v1-json: no sid, plain subscribes", async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as any
    w.sockets = []
    const Native = window.WebSocket
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols)
        const record = { offered: protocols, chosen: "", sent: [] as string[] }
        w.sockets.push(record)
        this.addEventListener("open", () => (record.chosen = this.protocol))
      }
      override send(data: string) {
        w.sockets.at(-1).sent.push(data)
        super.send(data)
      }
    } as typeof WebSocket
  })
  const list = `protocol-${Date.now()}`
  await page.goto(`${rails.url(0)}/login?name=alice&return_to=${encodeURIComponent(`/lists/${list}`)}`)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  const [socket] = await page.evaluate(() => (window as any).sockets)
  expect(socket.offered).toEqual(["actioncable-v1-ext-json", "actioncable-v1-json", "actioncable-unsupported"])
  expect(socket.chosen).toBe("actioncable-v1-json")
  expect(socket.sent.map((data: string) => JSON.parse(data))).toEqual([{ command: "subscribe", identifier: expect.any(String) }])
})
