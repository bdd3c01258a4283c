#!/usr/bin/env bash
# Set everything up and run the whole test suite on SQLite and PostgreSQL.
# Needs only Python 3.11+, pip and apt; installs PostgreSQL with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then need_apt+=(python3-venv); fi
# The browser tests drive Debian's Chromium through Playwright (no bundled browser download).
if [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# Screenshots of Chinese screens need a CJK font (boxes otherwise).
if ! fc-list :lang=zh 2>/dev/null | grep -q . && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  need_apt+=(fonts-noto-cjk)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# Two workers by default (each starts its own throwaway PostgreSQL); pass -n 0 to run serially.
exec .venv/bin/python -m pytest -n "${TESSERA_TEST_WORKERS:-2}" "$@"
