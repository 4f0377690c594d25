// The demo chat as two people use it: two browser contexts, two signed-in users, one room.
import { expect, expectLive, messages, roomUrl, say, test, uniqueName } from "./fixtures"

test("signing in with a name opens a live room page: three streams, one socket", async ({ browser, demo }) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const sockets: string[] = []
  page.on("websocket", (socket) => sockets.push(socket.url()))
  await page.goto(roomUrl(demo))
  await expect(page).toHaveURL(/\/session\/new/)
  const name = uniqueName("Ada")
  await page.getByLabel("Your name").fill(name)
  await page.getByRole("button", { name: "Join" }).click()
  await expect(page).toHaveURL(roomUrl(demo))
  await expect(page.locator("#me")).toHaveText(name)
  await expectLive(page)
  await expect(page.locator("#connection-status")).toHaveText("connected")
  expect(sockets).toEqual([`${demo.url.replace("http", "ws")}/cable`])
  await context.close()
})
