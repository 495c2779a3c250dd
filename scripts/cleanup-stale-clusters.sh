#!/usr/bin/env bash
# Removes what test clusters of a *dead* test process left behind (after a kill -9 or a
# power cut, drops never ran): network namespaces `mfsmeta-<pid>-…` and temporary folders
# `$TMPDIR/mfsmeta-<pid>-…` whose <pid> no longer exists. Processes still inside such a
# namespace (daemons, mfsmount) were started by that test run; they get TERM, then KILL.
# Anything belonging to a live process is left alone. Needs root for the namespaces.
# Usage: scripts/cleanup-stale-clusters.sh [-n]     (-n: only print what would be done)
set -euo pipefail
dry=0
[ "${1:-}" = "-n" ] && dry=1
run() { if [ $dry = 1 ]; then echo "would: $*"; else echo "+ $*"; "$@"; fi; }
owner_dead() { [ ! -d "/proc/$1" ]; }

for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^mfsmeta-[0-9]*-' || true); do
  pid=${ns#mfsmeta-}; pid=${pid%%-*}
  owner_dead "$pid" || continue
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    run kill -TERM $pids || true
    [ $dry = 1 ] || sleep 3
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || run kill -KILL $pids || true
  fi
  run ip netns delete "$ns"
done

tmp=${TMPDIR:-/tmp}
for dir in "$tmp"/mfsmeta-[0-9]*-*; do
  [ -e "$dir" ] || continue
  pid=${dir##*/mfsmeta-}; pid=${pid%%-*}
  owner_dead "$pid" || continue
  run rm -rf -- "$dir"
done
