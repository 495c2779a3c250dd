#!/usr/bin/env bash
# Re-captures testdata/real/ from a real MooseFS 3.0.117 cluster (see testdata/real/README.md).
#
# Needs root and the Debian packages moosefs-master, -chunkserver, -metalogger, -client, -cli,
# plus attr, acl, faketime and python3. Each case runs its own cluster in a private network
# namespace (tests/harness); nothing leaves the machine. Takes about 4 minutes.
#
# Usage: scripts/capture-testdata.sh [CASE[,CASE...]]     (default: every case)
# Cases: fresh-new-changelog namespace-rich open-files-locks-sessions
#        time-driven-trash-expiry-rotation restore-fails-closed-session-dropped
# MFSMETA_CAPTURE_DIR=DIR writes somewhere else than testdata/real.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "capture-testdata: needs root (network namespaces, FUSE mounts)" >&2
  exit 1
fi
export MFSMETA_CAPTURE_CASES="${1:-}"
cargo test --test harness_smoke capture_testdata -- --ignored --nocapture --test-threads=1
scripts/testdata-sections.sh "${MFSMETA_CAPTURE_DIR:-testdata/real}"
du -sh "${MFSMETA_CAPTURE_DIR:-testdata/real}"
