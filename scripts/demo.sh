#!/usr/bin/env bash
# The demo: the whole story on the simulated panel, no account, no input.
set -euo pipefail
cd "$(dirname "$0")/.."
smm() { .venv/bin/smm "$@"; }
step() { printf '\n\033[1m$ smm %s\033[0m\n' "$*"; smm "$@"; }

step services demo
step balance demo
