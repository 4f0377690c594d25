// Two people in one browser never share a connection unless the app declared it safe, against REAL Rails 6.1:
// Alice's tab stays open (a second window) while the browser signs in as Bob; Bob opens a tab with Bob's cookie
// and subscribes the app's own per-user channel (`stream_from "me:#{current_user}"`). Each must get only their
// own notes, and Rails must hold a connection for each of them, whether the app renders the identity tag
// (tabs of one person then share) or not (every tab keeps a socket of its own, as with turbo-rails).
import { expect, test, type BrowserContext, type Page } from "@playwright/test"
import { railsForSpecFile } from "../support/rails_server"

const A = 0

test.describe.configure({ timeout: 90_000 })

const rails = railsForSpecFile(test, 1)

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status != testInfo.expectedStatus) console.log(rails.logTail(A))
})

let listCount = 0
const newList = () => `identity-${Date.now()}-${listCount++}`

async function cableUsers(): Promise<string[]> {
  const stats = await (await fetch(`${rails.url(A)}/cable_stats`)).json()
  return [...stats.users].sort()
}

/** Signs the browser in as `user` (the cookie every tab of the profile sends from now on) and lands on `path`, connected. */
async function signInAndOpen(context: BrowserContext, user: string, path: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${rails.url(A)}/login?name=${user}&return_to=${encodeURIComponent(path)}`)
  await expect(page.locator("#user")).toHaveText(user)
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  return page
}

/** Subscribes the page to NotesChannel through turbo-rails' `cable`; the notes it receives land in `window.notes`. */
async function subscribeToNotes(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const w = window as any
    w.notes = []
    const connected = new Promise<void>((resolve) => {
      w.TurboCable.cable.subscribeTo({ channel: "NotesChannel" }, { connected: resolve, received: ({ text }: { text: string }) => w.notes.push(text) })
    })
    await connected
  })
}

const notes = (page: Page): Promise<string[]> => page.evaluate(() => (window as any).notes)
const sendNote = (user: string, text: string) => fetch(`${rails.url(A)}/notes/${user}`, { method: "POST", body: new URLSearchParams({ text }) })

/** A note to each of them; each tab shows its own person's and nothing else. */
async function expectOwnNotes(alice: Page[], bob: Page[]): Promise<void> {
  await sendNote("alice", "for alice")
  await sendNote("bob", "for bob")
  for (const tab of alice) await expect.poll(() => notes(tab)).toEqual(["for alice"])
  for (const tab of bob) await expect.poll(() => notes(tab)).toEqual(["for bob"])
  // Each saw its own after the other's was sent on the same server: a wrong connection would have shown it first.
  for (const tab of alice) expect(await notes(tab)).toEqual(["for alice"])
}

for (const { tagged, path } of [
  { tagged: false, path: (list: string) => `/lists/${list}?identity=off` },
  { tagged: true, path: (list: string) => `/lists/${list}` },
]) {
  test(`${tagged ? "with" : "without"} the identity tag: Bob's tab, opened while Alice's stays, is connected as Bob and gets only Bob's notes`, async ({ context }) => {
    const list = newList()
    const alice = await signInAndOpen(context, "alice", path(list))
    await subscribeToNotes(alice)
    const bob = await signInAndOpen(context, "bob", path(list))
    await subscribeToNotes(bob)

    await expect.poll(cableUsers).toEqual(["alice", "bob"])
    for (const tab of [alice, bob]) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
    await expectOwnNotes([alice], [bob])

    // A second tab of Bob's: it shares Bob's connection when the pages say whose they are, else has its own.
    const bobAgain = await signInAndOpen(context, "bob", path(list))
    await subscribeToNotes(bobAgain)
    await expect.poll(cableUsers).toEqual(tagged ? ["alice", "bob"] : ["alice", "bob", "bob"])
    for (const tab of [bob, bobAgain]) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", tagged ? "2" : "1")
    await rails.write(list, "to every tab")
    for (const tab of [alice, bob, bobAgain]) await expect(tab.locator("#items li")).toHaveText(["to every tab"])
  })
}

test("an identity that changes on a Turbo visit: the tab leaves the old person's connection for the new one's, and for one of its own when the tag goes", async ({ context }) => {
  const list = newList()
  const alice = await signInAndOpen(context, "alice", `/lists/${list}`)
  const second = await signInAndOpen(context, "alice", `/lists/${list}`)
  await expect(second.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "2")
  await expect.poll(cableUsers).toEqual(["alice"])

  // Bob signs in in the browser (a request with Bob's name: the cookie changes for every tab); the second tab's
  // next page, a Turbo visit, is Bob's and says so in its head.
  await second.evaluate((login) => fetch(login), `${rails.url(A)}/login?name=bob&return_to=/up`)
  await second.evaluate((url) => (window as any).Turbo.visit(url), `${rails.url(A)}/lists/${list}`)
  await expect(second.locator("#user")).toHaveText("bob")
  await expect(second.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await expect.poll(cableUsers).toEqual(["alice", "bob"])
  for (const tab of [alice, second]) await expect(tab.locator("html")).toHaveAttribute("data-turbo-cable-tabs", "1")
  await subscribeToNotes(alice)
  await subscribeToNotes(second)
  await expectOwnNotes([alice], [second])

  // A page without the tag: the tab cannot tell whose the next connection is, so it keeps one of its own (a socket
  // the page itself opens, which Playwright sees; the shared worker's it does not).
  const ownSockets: string[] = []
  second.on("websocket", (socket) => ownSockets.push(socket.url()))
  await second.evaluate((url) => (window as any).Turbo.visit(url), `${rails.url(A)}/lists/${list}?identity=off`)
  await expect(second.locator('meta[name="turbo-cable-identity"]')).toHaveCount(0)
  await expect(second.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
  await expect.poll(cableUsers).toEqual(["alice", "bob"])
  expect(ownSockets).toHaveLength(1)
  await rails.write(list, "after both visits")
  for (const tab of [alice, second]) await expect(tab.locator("#items li")).toHaveText(["after both visits"])
})
