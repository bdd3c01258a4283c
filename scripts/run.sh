#!/usr/bin/env bash
# Set everything up (virtual environment, install, database migrations, the clinic CRM demo
# with sample data on first run; later runs reuse the database) and serve Tessera
# on http://127.0.0.1:8000 with the embedded SQLite database ./tessera.db.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-venv
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/tessera demo "$@"
