// Every Turbo Stream action arrives over the cable with Turbo's own semantics.
import { addSource, expect, test } from "./fixtures"

const stream = (action: string, target: string, html = "", extra = "") =>
  `<turbo-stream action="${action}" target="${target}"${extra}><template>${html}</template></turbo-stream>`

test.beforeEach(async ({ page, server }) => {
  await page.goto(`${server.app}/test/pages/blank.html`)
  await page.evaluate(() => {
    document.getElementById("target")!.innerHTML = `<p id="old">old</p>`
    document.getElementById("items")!.innerHTML = `<li id="a">a</li><li id="b">b</li>`
  })
  await addSource(page, server, "actions")
  await expect(page.locator("turbo-cable-stream-source[connected]")).toHaveCount(1)
})

test("append, prepend, before and after insert where Turbo would", async ({ page, server }) => {
  await server.broadcast("actions", stream("append", "items", `<li id="z">z</li>`))
  await server.broadcast("actions", stream("prepend", "items", `<li id="y">y</li>`))
  await server.broadcast("actions", stream("before", "b", `<li id="before_b">before b</li>`))
  await server.broadcast("actions", stream("after", "a", `<li id="after_a">after a</li>`))
  await expect(page.locator("#items li")).toHaveText(["y", "a", "after a", "before b", "b", "z"])
})

test("an append that repeats an id replaces that element instead of doubling it", async ({ page, server }) => {
  await server.broadcast("actions", stream("append", "items", `<li id="a">a again</li>`))
  await expect(page.locator("#items li")).toHaveText(["b", "a again"])
})

test("replace, update and remove change the target", async ({ page, server }) => {
  await server.broadcast("actions", stream("update", "target", `<span id="updated">updated</span>`))
  await expect(page.locator("#target")).toHaveText("updated")
  await server.broadcast("actions", stream("replace", "updated", `<em id="replaced">replaced</em>`))
  await expect(page.locator("#replaced")).toHaveText("replaced")
  await server.broadcast("actions", `<turbo-stream action="remove" target="a"></turbo-stream>`)
  await expect(page.locator("#a")).toHaveCount(0)
  await server.broadcast("actions", `<turbo-stream action="remove" targets="#items li"></turbo-stream>`)
  await expect(page.locator("#items li")).toHaveCount(0)
})

test("replace and update with method=morph keep the element and its state", async ({ page, server }) => {
  await page.evaluate(() => {
    document.getElementById("target")!.innerHTML = `<form id="form"><input id="field" value="server"><p id="note">v1</p></form>`
    ;(document.getElementById("field") as HTMLInputElement & { marker?: number }).marker = 42
  })
  await server.broadcast("actions", stream("update", "target", `<form id="form"><input id="field" value="server"><p id="note">v2</p></form>`, ` method="morph"`))
  await expect(page.locator("#note")).toHaveText("v2")
  expect(await page.evaluate(() => (document.getElementById("field") as any).marker)).toBe(42)
  await server.broadcast("actions", stream("replace", "form", `<form id="form" class="morphed"><input id="field" value="server"><p id="note">v3</p></form>`, ` method="morph"`))
  await expect(page.locator("#form")).toHaveClass("morphed")
  expect(await page.evaluate(() => (document.getElementById("field") as any).marker)).toBe(42)
})

test("refresh asks Turbo to reload the page", async ({ page, server }) => {
  await page.evaluate(() => ((window as any).beforeRefresh = true))
  const reloaded = page.waitForRequest((request) => request.url().endsWith("/test/pages/blank.html"))
  await server.broadcast("actions", `<turbo-stream action="refresh"></turbo-stream>`)
  await reloaded
})

test("a custom StreamAction runs", async ({ page, server }) => {
  await page.evaluate(() => {
    ;(window as any).Turbo.StreamActions.log = function (this: Element) {
      document.getElementById("target")!.textContent = `logged ${this.getAttribute("message")}`
    }
  })
  await server.broadcast("actions", `<turbo-stream action="log" message="hello"></turbo-stream>`)
  await expect(page.locator("#target")).toHaveText("logged hello")
})

test("turbo:before-stream-render can cancel a render or replace it", async ({ page, server }) => {
  await page.evaluate(() => {
    document.addEventListener("turbo:before-stream-render", (event: any) => {
      const target = event.target.getAttribute("target")
      if (target == "a") event.preventDefault()
      if (target == "b") {
        event.detail.render = (element: Element) => (document.getElementById("target")!.textContent = `custom ${element.getAttribute("action")}`)
      }
    })
  })
  await server.broadcast("actions", `<turbo-stream action="remove" target="a"></turbo-stream>`)
  await server.broadcast("actions", `<turbo-stream action="remove" target="b"></turbo-stream>`)
  await expect(page.locator("#target")).toHaveText("custom remove")
  await expect(page.locator("#a")).toHaveCount(1)
  await expect(page.locator("#b")).toHaveCount(1)
})

test("scripts inside a stream run", async ({ page, server }) => {
  await server.broadcast("actions", stream("append", "target", `<script>document.getElementById("target").dataset.ran = "yes"</script>`))
  await expect(page.locator("#target")).toHaveAttribute("data-ran", "yes")
})

test.describe("duplicate removal by id lookup gives Turbo's result", () => {
  test("before and after replace siblings whose ids the template repeats", async ({ page, server }) => {
    await page.evaluate(() => (document.getElementById("items")!.innerHTML = `<li id="a">a</li><li id="b">b</li><li id="c">c</li>`))
    await server.broadcast("actions", stream("after", "a", `<li id="c">c moved</li>`))
    await expect(page.locator("#items li")).toHaveText(["a", "c moved", "b"])
    await server.broadcast("actions", stream("before", "a", `<li id="b">b moved</li><li>no id</li>`))
    await expect(page.locator("#items li")).toHaveText(["b moved", "no id", "a", "c moved"])
  })

  test("targets= with several lists: each list loses its own duplicate", async ({ page, server }) => {
    await page.evaluate(() => {
      document.getElementById("target")!.innerHTML = `<ul class="list"><li id="x1">one</li></ul><ul class="list"><li id="x2">two</li></ul>`
    })
    await server.broadcast("actions", `<turbo-stream action="append" targets=".list"><template><li id="x2">new</li></template></turbo-stream>`)
    await expect(page.locator(".list").first().locator("li")).toHaveText(["one", "new"])
    await expect(page.locator(".list").nth(1).locator("li")).toHaveText(["new"])
  })

  test("an id held elsewhere in the page is not removed", async ({ page, server }) => {
    await page.evaluate(() => document.getElementById("target")!.insertAdjacentHTML("beforeend", `<p id="elsewhere">kept</p>`))
    await server.broadcast("actions", stream("append", "items", `<li id="elsewhere">appended</li>`))
    await expect(page.locator("#target #elsewhere")).toHaveText("kept")
    await expect(page.locator("#items #elsewhere")).toHaveText("appended")
  })

  test("the <turbo-stream> class in use carries the lookup", async ({ page }) => {
    expect(await page.evaluate(() => (customElements.get("turbo-stream")!.prototype as any)[Symbol.for("turbo-cable.duplicate-lookup")])).toBe(true)
  })
})

test("a Turbo page refresh by morph keeps the sources' connected attribute and their subscription", async ({ page, server }) => {
  const list = `morph-refresh-${Date.now()}`
  await page.goto(`${server.app}/test/live/${list}?refresh=morph`)
  const source = page.locator("turbo-cable-stream-source")
  await expect(source).toHaveAttribute("connected", "")
  await page.evaluate(() => ((window as any).notReloaded = true))
  const morphed = page.evaluate(() => new Promise((done) => document.addEventListener("turbo:morph", done, { once: true })))
  await page.evaluate(() => (window as any).Turbo.session.refresh(location.href))
  await morphed
  expect(await page.evaluate(() => (window as any).notReloaded)).toBe(true)
  await expect(source).toHaveAttribute("connected", "")
  await server.post("/items", { list, text: "after the morph" })
  await expect(page.locator("#items li")).toHaveText(["after the morph"])
})
