#!/usr/bin/env bash
# Prints, for every MooseFS metadata file (signature `MFSM 2.0`) under the given folders
# (default: testdata/real), how many records each section holds, as mfsmetadump lists them.
# SCLA counts only custom storage classes (ids >= 10; 1-9 are built in).
# Usage: scripts/testdata-sections.sh [DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- testdata/real
sections="SESS SCLA NODE EDGE FREE QUOT XATR PACL OPEN FLCK PLCK CSDB CHNK"
printf '%-78s' "file"; for s in $sections; do printf '%5s' "$s"; done; echo
find "$@" -type f | sort | while read -r f; do
  [ "$(head -c 8 "$f")" = "MFSM 2.0" ] || continue
  printf '%-78s' "$f"
  mfsmetadump "$f" | LC_ALL=C awk -v sections="$sections" '
    /^# section type: / { sec = $4; next }
    /^[A-Z]+\|/ {
      if (sec == "SCLA") { split($0, f, "|"); sub("#:", "", f[2]); if (f[2] + 0 < 10) next }
      n[sec]++
    }
    END { k = split(sections, s, " "); for (i = 1; i <= k; i++) printf "%5d", n[s[i]]; printf "\n" }'
done
