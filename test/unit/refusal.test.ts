import { describe, expect, it } from "vitest"
import { refusalVerdict } from "../../src/socket/refusal"

const unauthorized = { reason: "unauthorized", reconnect: false }
const tokenExpired = { reason: "token_expired", reconnect: false }
const expiring = { urlIsFunction: true, authorizedBefore: true, retriedRefusal: false }

describe("refusalVerdict", () => {
  it("gives a URL function one fresh try when a cable that was authorized before is refused", () => {
    expect(refusalVerdict(unauthorized, expiring)).toBe("retry-fresh")
    expect(refusalVerdict(tokenExpired, expiring)).toBe("retry-fresh")
  })

  it("stops when the fresh try is refused too", () => {
    expect(refusalVerdict(unauthorized, { ...expiring, retriedRefusal: true })).toBe("stop")
    expect(refusalVerdict(tokenExpired, { ...expiring, retriedRefusal: true })).toBe("stop")
  })

  it("stops at once with a fixed URL: reading it again changes nothing", () => {
    expect(refusalVerdict(unauthorized, { ...expiring, urlIsFunction: false })).toBe("stop")
  })

  it("stops at once when the cable was never authorized: the credentials are wrong, not expired", () => {
    expect(refusalVerdict(unauthorized, { ...expiring, authorizedBefore: false })).toBe("stop")
  })

  it("stops on reconnect: false whatever the reason", () => {
    expect(refusalVerdict({ reason: "remote", reconnect: false }, expiring)).toBe("stop")
  })

  it("stops on unauthorized even when the server says it may reconnect", () => {
    expect(refusalVerdict({ reason: "unauthorized", reconnect: true }, { ...expiring, urlIsFunction: false })).toBe("stop")
  })

  it("reconnects after a restart or a remote disconnect that allows it", () => {
    expect(refusalVerdict({ reason: "server_restart", reconnect: true }, expiring)).toBe("reconnect")
    expect(refusalVerdict({ reason: "remote", reconnect: true }, { ...expiring, urlIsFunction: false })).toBe("reconnect")
  })
})
