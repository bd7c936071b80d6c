#!/usr/bin/env bash
# The steps of the smm GitHub Actions workflows, in one script, so the workflows and the
# project's tests run exactly the same thing.
#
#   smm-ci.sh state-pull     fetch .smm/state.db from the state branch (if it exists yet)
#   smm-ci.sh pr             validate, then plan as Markdown (job summary); exit 0 also
#                            when the plan has changes: a pull request is where they are reviewed
#   smm-ci.sh campaigns      the campaign files as a JSON list (to $GITHUB_OUTPUT too), for a
#                            job matrix: one apply job per campaign (PostgreSQL state)
#   smm-ci.sh main [PATHS]   validate, save a plan of PATHS (default campaigns/), apply exactly
#                            that plan; planned again if another campaign's apply moved the
#                            state meanwhile
#   smm-ci.sh scheduled      refresh the statuses (notifying receivers of what needs a
#                            person; listed in the job summary too), then as main: plan
#                            and apply the top-ups, refills and repeats that came due
#   smm-ci.sh report         refresh the statuses, write smm-report.html (the run's artifact)
#                            and add its spend table to the job summary
#   smm-ci.sh state-push     commit .smm/state.db to the state branch and push it
#
# Environment: SMM (the command, default "smm"), STATE_BRANCH (default "smm-state"),
# LOCK_TIMEOUT (seconds apply waits for a campaign another apply holds; default 0),
# SMM_STATE (a postgresql:// URL, from a secret: then no state branch is needed),
# GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (set by GitHub), and each panel's key variable.
set -uo pipefail
SMM=${SMM:-smm}
STATE_BRANCH=${STATE_BRANCH:-smm-state}
LOCK_TIMEOUT=${LOCK_TIMEOUT:-0}
STATE=.smm/state.db

case "${1:-}" in
  state-pull)
    mkdir -p .smm
    if git fetch -q origin "$STATE_BRANCH" 2>/dev/null; then
      git show "FETCH_HEAD:state.db" > "$STATE"
      echo "State restored from branch $STATE_BRANCH."
    else
      echo "No branch $STATE_BRANCH yet: starting with an empty state."
    fi
    ;;
  pr)
    $SMM validate || exit 1
    $SMM plan --format markdown --detailed-exitcode > plan.md
    code=$?
    cat plan.md
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat plan.md >> "$GITHUB_STEP_SUMMARY"; fi
    # 0: nothing to do; 2: changes for the reviewers; anything else fails the check.
    if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then exit "$code"; fi
    ;;
  campaigns)
    list=$(python3 -c 'import glob, json; print(json.dumps(sorted(glob.glob("campaigns/**/*.y*ml", recursive=True))))')
    echo "$list"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "campaigns=$list" >> "$GITHUB_OUTPUT"; fi
    ;;
  main)
    shift
    $SMM validate "$@" || exit 1
    for attempt in 1 2; do
      $SMM plan -o plan.json --detailed-exitcode "$@"
      code=$?
      if [ "$code" -eq 0 ]; then echo "No changes."; exit 0; fi
      if [ "$code" -ne 2 ]; then exit "$code"; fi
      $SMM apply plan.json --lock-timeout "$LOCK_TIMEOUT" 2> apply.err
      code=$?
      cat apply.err >&2
      # A saved plan is refused once the state moved; an apply of another campaign that
      # ran meanwhile does that: plan again (once), the lock keeps the campaign's own.
      if [ "$code" -ne 0 ] && [ "$attempt" -eq 1 ] && grep -q "is stale" apply.err; then
        echo "The state moved since the plan was made: planning again."
        continue
      fi
      exit "$code"
    done
    ;;
  scheduled)
    shift
    $SMM refresh --detailed-exitcode "$@" > refresh.txt
    code=$?
    cat refresh.txt
    # 0: all on track; 2: something needs a person (told through notify:); 1: failed.
    if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then exit "$code"; fi
    if [ "$code" -eq 2 ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      { echo "### Needs a person"; echo; grep '^  ' refresh.txt | sed 's/^  /- /'; } >> "$GITHUB_STEP_SUMMARY"
    fi
    exec bash "$0" main "$@"
    ;;
  report)
    $SMM report --refresh -o smm-report.html --format markdown > report.md || exit 1
    cat report.md
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat report.md >> "$GITHUB_STEP_SUMMARY"; fi
    ;;
  state-push)
    [ -f "$STATE" ] || { echo "No state to save."; exit 0; }
    # Fold the write-ahead log into the file so the committed copy is complete.
    python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" "$STATE"
    export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-smm} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-smm@localhost}
    export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
    blob=$(git hash-object -w "$STATE")
    tree=$(printf '100644 blob %s\tstate.db\n' "$blob" | git mktree)
    parent=()
    if git fetch -q origin "$STATE_BRANCH" 2>/dev/null; then parent=(-p FETCH_HEAD); fi
    commit=$(git commit-tree "$tree" "${parent[@]}" -m "smm state after ${GITHUB_RUN_ID:-a local run}")
    git push -q origin "$commit:refs/heads/$STATE_BRANCH"
    echo "State saved to branch $STATE_BRANCH."
    ;;
  *)
    echo "usage: smm-ci.sh state-pull|pr|campaigns|main [PATHS]|scheduled [PATHS]|report|state-push" >&2
    exit 1
    ;;
esac
