#!/usr/bin/env bash
# The docs site is tested in Debian's headless Chromium (test/docs-browser.test.ts). Installs it
# when it is missing and this runs as root on Debian; otherwise says why those tests will skip.
# Runs before `npm test` (the pretest script) and from .ci/run. Never fails the test run.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "pretest: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get): the browser tests of lakec docs will be skipped; install it with: sudo apt-get install -y chromium" >&2
  exit 0
fi
echo "pretest: installing Debian's chromium for the browser tests of lakec docs" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
  echo "pretest: apt-get could not install chromium: the browser tests of lakec docs will be skipped" >&2
fi
exit 0
