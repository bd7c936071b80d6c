#!/usr/bin/env bash
# The demo: the whole story on the simulated panel (sim://demo), no account, no input.
# Run it twice: the second time every order is already placed and nothing is ordered again.
set -euo pipefail
cd "$(dirname "$0")/.."
smm() { .venv/bin/smm "$@"; }
step() {
  if [ -t 1 ]; then printf '\n\033[1m$ smm %s\033[0m\n' "$*"; else printf '\n$ smm %s\n' "$*"; fi
  smm "$@"
}

CAMPAIGN=campaigns/demo.yaml
step balance demo
step validate "$CAMPAIGN"
step plan "$CAMPAIGN"
step apply "$CAMPAIGN" --auto-approve
step status "$CAMPAIGN" --watch --interval 1
# Every order is complete: the followers order asked for one refill, so this apply requests it.
step apply "$CAMPAIGN" --auto-approve
step status "$CAMPAIGN" --watch --interval 1
step balance demo
# The page to open each morning: spend against budget, delivery over time, what needs a hand.
step report "$CAMPAIGN" -o report.html
