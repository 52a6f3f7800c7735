#!/usr/bin/env bash
# The test command (make test): install what the tests need, make sure MariaDB and Redis run, run the suite.
# The SQS endpoint is a moto server the test session starts on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh requirements-test.txt
scripts/services.sh
exec .venv/bin/python -m pytest "$@"
