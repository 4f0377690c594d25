// The first step of `npm test`: what it says when system packages are missing and it cannot install
// them. Run with a PATH that holds only bash and id (no apt-get, no browsers, no Rails), so nothing is
// installed or removed on this machine.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const script = resolve(import.meta.dirname, "../setup/system_packages.sh")
const bin = mkdtempSync(join(tmpdir(), "turbo-cable-setup-"))
for (const tool of ["bash", "id"]) symlinkSync(spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(), join(bin, tool))
afterAll(() => rmSync(bin, { recursive: true, force: true }))

function run(env: Record<string, string>) {
  return spawnSync(join(bin, "bash"), [script], { env: { PATH: bin, ...env }, encoding: "utf8" })
}

describe("test/setup/system_packages.sh", () => {
  it("stops before any test with the one apt-get command that installs everything missing", () => {
    const result = run({ CHROMIUM_PATH: "/nonexistent/chromium", FIREFOX_PATH: "/nonexistent/firefox-esr" })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(
      "apt-get update && apt-get install -y chromium firefox-esr webkit2gtk-driver xvfb ruby-actioncable ruby-railties ruby-redis puma redis-server",
    )
  })

  it("asks only for what is missing", () => {
    const result = run({ CHROMIUM_PATH: "/bin/sh", FIREFOX_PATH: "/bin/sh" })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("apt-get install -y webkit2gtk-driver xvfb ruby-actioncable")
    expect(result.stderr).not.toMatch(/install -y.*(chromium|firefox-esr)/)
  })

  it.runIf(process.getuid?.() === 0)("as root with apt-get, updates once, installs what is missing and says so", () => {
    // An apt-get that records how it was called (this test must not install anything).
    const calls = join(bin, "calls")
    const apt = mkdtempSync(join(tmpdir(), "turbo-cable-apt-"))
    writeFileSync(join(apt, "apt-get"), `#!${join(bin, "bash")}\necho "$*" >> ${calls}\n`, { mode: 0o755 })
    try {
      const result = spawnSync(join(bin, "bash"), [script], {
        env: { PATH: `${bin}:${apt}`, CHROMIUM_PATH: "/bin/sh", FIREFOX_PATH: "/nonexistent/firefox-esr" },
        encoding: "utf8",
      })
      expect(result.status).toBe(0)
      expect(result.stderr).toContain("installing missing system packages: firefox-esr webkit2gtk-driver")
      expect(readFileSync(calls, "utf8").trim().split("\n")).toEqual([
        "update -qq",
        "install -y -qq firefox-esr webkit2gtk-driver xvfb ruby-actioncable ruby-railties ruby-redis puma redis-server",
      ])
    } finally {
      rmSync(apt, { recursive: true, force: true })
    }
  })
})
