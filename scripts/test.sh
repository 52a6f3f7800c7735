#!/usr/bin/env bash
# The test command (make test): install what the tests need, make sure MariaDB and Redis run, run the suite.
# The SQS endpoint is a moto server the test session starts on a free loopback port; scripts/php.sh installs PHP
# and Symfony Messenger for the tests that run the roster application's side of the warmup queue; chromium is for
# the Roster page's browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh requirements-test.txt
scripts/services.sh
scripts/php.sh
if [ ! -x /usr/bin/chromium ]; then  # the Roster page's browser test drives Debian's chromium (Playwright, no download)
  echo "test: installing chromium"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
    || { echo "test: could not install chromium (apt-get install chromium)" >&2; exit 1; }
fi
exec .venv/bin/python -m pytest "$@"
