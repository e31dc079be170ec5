#!/usr/bin/env bash
# The test run leaves the tree as it found it: `snapshot FILE` records `git status --porcelain` before the
# tests, `check FILE` fails afterwards, naming each path that is new or changed since (ignored build folders,
# venvs and caches are not listed by git). Outside a git checkout (an unpacked tarball) it says so and passes.
set -euo pipefail
mode=${1:?usage: tree_clean.sh snapshot|check FILE}
state=${2:?usage: tree_clean.sh snapshot|check FILE}
cd "${TREE_ROOT:-$(dirname "${BASH_SOURCE[0]}")/..}"  # TREE_ROOT: another checkout (the tests)
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "[tree] not a git checkout: the tree-clean check is skipped"
  exit 0
fi
status() { git status --porcelain --untracked-files=all | LC_ALL=C sort; }
case "$mode" in
  snapshot) mkdir -p "$(dirname "$state")"; status > "$state" ;;
  check)
    new=$(status | LC_ALL=C comm -13 "$state" -)
    if [ -n "$new" ]; then
      printf '[tree] the test run wrote into the repository (tests and tools must use temporary folders):\n%s\n' "$new" >&2
      exit 1
    fi
    echo "[tree] clean: the test run left the repository as it found it"
    ;;
  *) echo "usage: tree_clean.sh snapshot|check FILE" >&2; exit 2 ;;
esac
