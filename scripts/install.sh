#!/usr/bin/env bash
# Create .venv and install roster with pinned dependencies: requirements.txt (direct pins) under
# constraints.txt (every transitive package pinned), then the package itself in editable mode.
# Usage: scripts/install.sh [requirements file]   (default requirements.txt; the tests use requirements-test.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "install: roster needs Python 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1; }

# mysqlclient (the MySQL/MariaDB driver) is built from source: it needs the client headers and pkg-config.
if ! pkg-config --exists mysqlclient 2>/dev/null && ! pkg-config --exists libmariadb 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "install: installing Debian packages default-libmysqlclient-dev pkg-config (needed to build mysqlclient)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-libmysqlclient-dev pkg-config build-essential >/dev/null
  else
    echo "install: mysqlclient needs the MySQL client headers: sudo apt-get install default-libmysqlclient-dev pkg-config" >&2
    exit 1
  fi
fi

stamp_of() {  # the stamp an install of requirements file $1 leaves: what it read, hashed
  echo ".venv/.installed-$(cat "$1" requirements.txt constraints.txt pyproject.toml | sha1sum | cut -c1-12)"
}
stamp=$(stamp_of "$requirements")
if [ -f "$stamp" ]; then exit 0; fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
echo "install: installing $requirements (pinned by constraints.txt) into .venv; the first time takes a few minutes"
.venv/bin/python -m pip install -q -r "$requirements" -c constraints.txt
.venv/bin/python -m pip install -q --no-deps -e .
rm -f .venv/.installed-*
touch "$stamp"
# The test requirements include requirements.txt: `make demo` after `make test` has nothing to install.
if grep -qx -- '-r requirements.txt' "$requirements"; then touch "$(stamp_of requirements.txt)"; fi
