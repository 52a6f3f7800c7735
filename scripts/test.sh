#!/usr/bin/env bash
# The test command (make test): install what the tests need, make sure MariaDB and Redis run, run the suite.
# The SQS endpoint is a moto server the test session starts on a free loopback port; scripts/php.sh installs PHP
# and Symfony Messenger for the tests that run the roster application's side of the warmup queue.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh requirements-test.txt
scripts/services.sh
scripts/php.sh
exec .venv/bin/python -m pytest "$@"
