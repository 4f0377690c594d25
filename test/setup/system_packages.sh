#!/usr/bin/env bash
# What the browser tests need from Debian, checked before any test runs (the first step of `npm test`):
# the three engines, a display for WebKit, and the real Rails + Redis of the conformance suite.
# Missing pieces are installed when this runs as root with apt-get (a fresh CI machine); otherwise it
# stops at once with the command to run, instead of 64 tests failing one by one.
#
# The one list of system packages: .ci/run relies on `npm test` calling this.
set -euo pipefail

need=()
# Each check looks for the thing the tests start, so a package installed but broken counts as missing.
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
[ -x "${FIREFOX_PATH:-/usr/bin/firefox-esr}" ] || need+=(firefox-esr)
# WebKitWebDriver starts MiniBrowser (libwebkit2gtk-4.1-0, which webkit2gtk-driver depends on).
{ command -v WebKitWebDriver >/dev/null && [ -x "${MINIBROWSER_PATH:-/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser}" ]; } ||
  need+=(webkit2gtk-driver)
# MiniBrowser is a GTK window: it runs on a virtual X display.
command -v Xvfb >/dev/null || need+=(xvfb)
# Rails 6.1 Action Cable from Debian; its Redis adapter needs the redis gem, which ruby-actioncable does
# not pull in.
{ command -v ruby >/dev/null && ruby -e 'require "action_cable"; require "rails"; require "redis"' 2>/dev/null; } ||
  need+=(ruby-actioncable ruby-railties ruby-redis)
command -v puma >/dev/null || need+=(puma)
command -v redis-server >/dev/null || need+=(redis-server)

((${#need[@]})) || exit 0

command="apt-get install -y ${need[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "turbo-cable tests: installing missing system packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
  echo "turbo-cable tests: installed ${need[*]}" >&2
else
  echo "turbo-cable tests need system packages that are missing: ${need[*]}" >&2
  echo "run as root, then npm test again:" >&2
  echo "  apt-get update && $command" >&2
  exit 1
fi
