// Bad input gets a clear message or error page, and the store is left exactly as it was.
import { expect, messages, roomUrl, say, test, uniqueName } from "./fixtures"

test("empty and oversize messages are refused in the form, keeping what was typed", async ({ demo, join }) => {
  const alice = await join(uniqueName("Alice"))
  const before = demo.storeBytes()
  const count = await messages(alice).count()

  await say(alice, "   ")
  await expect(alice.locator("form[data-composer] [role=alert]")).toHaveText("Write something first: empty messages are not sent.")

  const long = "x".repeat(1001)
  await say(alice, long)
  await expect(alice.locator("form[data-composer] [role=alert]")).toHaveText("Messages are at most 1000 characters; this one has 1001.")
  await expect(alice.locator("form[data-composer] textarea")).toHaveValue(long)

  await expect(messages(alice)).toHaveCount(count)
  expect(demo.storeBytes().equals(before)).toBe(true)

  // Fixing the message sends it and clears the error.
  await say(alice, "short enough")
  await expect(messages(alice, "short enough")).toHaveCount(1)
  await expect(alice.locator("form[data-composer] [role=alert]")).toHaveCount(0)
})

test("an unknown room is a 404 page", async ({ demo, join }) => {
  const alice = await join(uniqueName("Alice"))
  const response = await alice.goto(roomUrl(demo, "no-such-room"))
  expect(response!.status()).toBe(404)
  await expect(alice.locator("h1")).toHaveText("No such room")
  await expect(alice.locator("#error-detail")).toHaveText('There is no room called "no-such-room".')
})

test("malformed and hostile form posts get an error page and change nothing", async ({ demo, join }) => {
  const alice = await join(uniqueName("Alice"))
  const request = alice.context().request
  const before = demo.storeBytes()
  const text = `never-stored-${Date.now()}`
  const form = "application/x-www-form-urlencoded"
  const post = (path: string, data: string | Buffer, headers: Record<string, string> = { "content-type": form }) =>
    request.post(`${demo.url}${path}`, { data, headers, maxRedirects: 0 })

  const cases: Array<[string, Promise<Awaited<ReturnType<typeof post>>>, number, string]> = [
    ["bad % escape", post("/rooms/general/messages", "body=%ZZ"), 400, "Malformed form post"],
    ["invalid UTF-8", post("/rooms/general/messages", Buffer.from([0x62, 0x6f, 0x64, 0x79, 0x3d, 0xff])), 400, "Malformed form post"],
    ["field twice", post("/rooms/general/messages", "body=a&body=b"), 400, "Malformed form post"],
    ["field missing", post("/rooms/general/messages", `text=${text}`), 400, "Malformed form post"],
    ["not a form", post("/rooms/general/messages", '{"body":"hi"}', { "content-type": "application/json" }), 415, "Not a form post"],
    ["too large", post("/rooms/general/messages", `body=${"y".repeat(20_000)}`), 413, "Form post too large"],
    ["unknown room", post("/rooms/nowhere/messages", `body=${text}`), 404, "No such room"],
    ["from another site", post("/rooms/general/messages", `body=${text}`, { "content-type": form, origin: "http://evil.example" }), 403, "Cross-site post refused"],
    ["wrong method", request.fetch(`${demo.url}/rooms/general/messages`, { method: "PUT", data: "body=x", headers: { "content-type": form } }), 405, "Method not allowed"],
  ]
  for (const [what, pending, status, title] of cases) {
    const response = await pending
    expect(response.status(), what).toBe(status)
    expect(response.headers()["content-type"], what).toContain("text/html")
    expect(await response.text(), what).toContain(`<h1>${title}</h1>`)
  }

  expect(demo.storeBytes().equals(before)).toBe(true)
  await alice.reload()
  await expect(messages(alice, text)).toHaveCount(0)
})

test("a form post without a session goes to sign-in and stores nothing", async ({ demo, playwright }) => {
  const before = demo.storeBytes()
  const request = await playwright.request.newContext()
  const response = await request.post(`${demo.url}/rooms/general/messages`, {
    data: "body=anonymous",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    maxRedirects: 0,
  })
  expect(response.status()).toBe(303)
  expect(response.headers()["location"]).toMatch(/^\/session\/new\?return_to=/)
  expect(demo.storeBytes().equals(before)).toBe(true)
  await request.dispose()
})
