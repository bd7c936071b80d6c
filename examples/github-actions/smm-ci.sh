#!/usr/bin/env bash
# The steps of the smm GitHub Actions workflows, in one script, so the workflows and the
# project's tests run exactly the same thing.
#
#   smm-ci.sh state-pull     fetch .smm/state.db from the state branch; an empty state
#                            only when the branch surely does not exist yet: a fetch that
#                            fails (network, authentication, a damaged branch) fails the job
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
#   smm-ci.sh state-push     commit .smm/state.db on top of the state state-pull restored and
#                            push it; a rejected push (the branch moved, a hook, no rights)
#                            fails the job, and nothing is saved over a state that was not
#                            restored first
#
# Every step fails the job when any command in it fails.
#
# Environment: SMM (the command, default "smm"), STATE_BRANCH (default "smm-state"),
# LOCK_TIMEOUT (seconds apply waits for a campaign another apply holds; default 0),
# SMM_STATE (a postgresql:// URL, from a secret: then no state branch is needed),
# GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (set by GitHub), and each panel's key variable.
set -euo pipefail
SMM=${SMM:-smm}
STATE_BRANCH=${STATE_BRANCH:-smm-state}
LOCK_TIMEOUT=${LOCK_TIMEOUT:-0}
STATE=.smm/state.db
# Written by a state-pull that succeeded: the state branch's commit it restored (empty
# when the branch did not exist yet). state-push builds on it, and only with it.
PULLED=.smm/state-pulled

fail() { echo "smm-ci: $*" >&2; exit 1; }

# The branch's commit on origin; empty when origin surely has no such branch. Fails when
# origin could not be asked (ls-remote exits 2 only for "no such ref").
remote_head() {
  local out code=0
  out=$(git ls-remote --exit-code origin "refs/heads/$STATE_BRANCH") || code=$?
  case $code in
    0) printf '%s\n' "${out%%[[:space:]]*}" ;;
    2) printf '\n' ;;
    *) fail "could not ask origin for branch $STATE_BRANCH (git ls-remote exit $code)" ;;
  esac
}

# The branch-kept state is only trustworthy once restored: without SMM_STATE, a step that
# reads or writes the state refuses to run on an empty one that stands in for it.
need_pulled() {
  if [ -z "${SMM_STATE:-}" ] && [ ! -f "$PULLED" ]; then
    fail "the state was not restored from branch $STATE_BRANCH (run state-pull first; did it fail?)"
  fi
}

case "${1:-}" in
  state-pull)
    mkdir -p .smm
    rm -f "$PULLED"
    head=$(remote_head)
    if [ -z "$head" ]; then
      [ ! -e "$STATE" ] || fail "$STATE exists but branch $STATE_BRANCH does not: not starting over it"
      echo "No branch $STATE_BRANCH yet: starting with an empty state."
      : > "$PULLED"
      exit 0
    fi
    git fetch -q origin "$head" || fail "could not fetch branch $STATE_BRANCH ($head)"
    git cat-file -e "$head:state.db" 2>/dev/null \
      || fail "branch $STATE_BRANCH ($head) has no state.db: not starting with an empty state"
    git show "$head:state.db" > "$STATE.pulling"
    mv "$STATE.pulling" "$STATE"
    rm -f "$STATE-wal" "$STATE-shm"
    printf '%s\n' "$head" > "$PULLED"
    echo "State restored from branch $STATE_BRANCH."
    ;;
  pr)
    need_pulled
    $SMM validate
    code=0
    $SMM plan --format markdown --detailed-exitcode > plan.md || code=$?
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
    need_pulled
    $SMM validate "$@"
    for attempt in 1 2; do
      code=0
      $SMM plan -o plan.json --detailed-exitcode "$@" || code=$?
      if [ "$code" -eq 0 ]; then echo "No changes."; exit 0; fi
      if [ "$code" -ne 2 ]; then exit "$code"; fi
      code=0
      $SMM apply plan.json --lock-timeout "$LOCK_TIMEOUT" 2> apply.err || code=$?
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
    need_pulled
    code=0
    $SMM refresh --detailed-exitcode "$@" > refresh.txt || code=$?
    cat refresh.txt
    # 0: all on track; 2: something needs a person (told through notify:); 1: failed.
    if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then exit "$code"; fi
    if [ "$code" -eq 2 ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      { echo "### Needs a person"; echo; sed -n 's/^  /- /p' refresh.txt; } >> "$GITHUB_STEP_SUMMARY"
    fi
    exec bash "$0" main "$@"
    ;;
  report)
    need_pulled
    $SMM report --refresh -o smm-report.html --format markdown > report.md
    cat report.md
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat report.md >> "$GITHUB_STEP_SUMMARY"; fi
    ;;
  state-push)
    [ -f "$PULLED" ] || fail "the state was not restored from branch $STATE_BRANCH: not saving over it"
    [ -f "$STATE" ] || { echo "No state to save."; exit 0; }
    # Fold the write-ahead log into the file so the committed copy is complete.
    python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall()" "$STATE"
    export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-smm} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-smm@localhost}
    export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
    blob=$(git hash-object -w "$STATE")
    tree=$(printf '100644 blob %s\tstate.db\n' "$blob" | git mktree)
    # On top of the commit state-pull restored, so the push is a fast-forward only if
    # nobody saved a state since: a moved branch is rejected, never overwritten.
    base=$(cat "$PULLED")
    parent=()
    if [ -n "$base" ]; then parent=(-p "$base"); fi
    commit=$(git commit-tree "$tree" "${parent[@]}" -m "smm state after ${GITHUB_RUN_ID:-a local run}")
    git push -q origin "$commit:refs/heads/$STATE_BRANCH" \
      || fail "could not push the state to branch $STATE_BRANCH: it is NOT saved (the run's orders are recorded only in this job's $STATE)"
    printf '%s\n' "$commit" > "$PULLED"
    echo "State saved to branch $STATE_BRANCH."
    ;;
  *)
    echo "usage: smm-ci.sh state-pull|pr|campaigns|main [PATHS]|scheduled [PATHS]|report|state-push" >&2
    exit 1
    ;;
esac
