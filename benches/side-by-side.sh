#!/usr/bin/env bash
# Side-by-side restore benchmark: the real `mfsmaster -a restore` (MooseFS 3.0.117)
# against our `metarestore -a`, on the same generated input.
#
# For each size and mode: the input is generated once by `mfsmeta-gen` (cached under the
# work folder by size, mode, seed and a hash of the generator's source). Each run copies
# it into two fresh folders, flushes the copies to disk, reads them once (warm page cache
# for both tools), then runs the two tools one after the other, each after a `sync`,
# measuring wall time, cpu time and peak RSS (which tool goes first alternates between
# runs). Both write
# `metadata.mfs` in place inside the measured time (metarestore fsyncs it; mfsmaster
# 3.0.117 does not). The two outputs must be identical: `cmp`,
# and if the bytes differ, the sorted `mfsmetadump` text (else the bench fails loudly and
# keeps the folders). At the end a markdown table of medians is printed.
#
# See benches/README.md for the results and how to read them.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: benches/side-by-side.sh [options]
  --sizes LIST   file counts, e.g. 200k,2m,10m (default 200k,2m)
  --modes LIST   snapshot (snapshot only), ops2 (snapshot + changelogs of 2 ops per file)
                 (default snapshot,ops2)
  --runs N       runs of each tool per size and mode; the median is reported (default 3)
  --seed S       generator seed (default 1)
  --work DIR     inputs cache and run folders (default /var/tmp/mfsmeta-bench)
  --keep         keep the last run's folders (default: removed)
  --no-build     use the binaries in target/release as they are
  --table FILE   only print the table of an earlier run's results file
EOF
}

SIZES="200k,2m"
MODES="snapshot,ops2"
RUNS=3
SEED=1
WORK=/var/tmp/mfsmeta-bench
KEEP=0
BUILD=1
TABLE_OF=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) SIZES="$2"; shift 2 ;;
        --modes) MODES="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --table) TABLE_OF="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "side-by-side: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "side-by-side: $*" >&2; exit 1; }
say() { echo "side-by-side: $*" >&2; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$RUNS'"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for tool in mfsmaster mfsmetadump python3 cargo; do
    command -v "$tool" >/dev/null ||
        die "$tool not found (install moosefs-master, python3 and a Rust toolchain: see benches/README.md)"
done

# Prints the markdown table of medians of a results file.
print_table() {
    python3 - "$1" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = {}
for r in rows:
    key = (r["size"], r["mode"])
    g = groups.setdefault(key, {"files": r["files"], "mb": r["input_mb"], "mfsmaster": [], "metarestore": []})
    g[r["tool"]].append((float(r["wall_s"]), float(r["cpu_s"]), int(r["rss_kb"])))
print("| size | mode | input MB | runs | mfsmaster s (cpu) | mfsmaster MB "
      "| metarestore s (cpu) | metarestore MB | speed-up | cpu speed-up | RSS ratio |")
print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for (size, mode), g in groups.items():
    m, r = g["mfsmaster"], g["metarestore"]
    if not m or not r:
        continue
    med = lambda rows, i: statistics.median(row[i] for row in rows)
    mw, mc, mr = med(m, 0), med(m, 1), med(m, 2) / 1024
    rw, rc, rr = med(r, 0), med(r, 1), med(r, 2) / 1024
    ratio = lambda a, b: f"{a / b:.1f}x" if b > 0 else "-"
    print(f"| {size} | {mode} | {g['mb']} | {min(len(m), len(r))} | {mw:.2f} ({mc:.2f}) | {mr:.0f} "
          f"| {rw:.2f} ({rc:.2f}) | {rr:.0f} | {ratio(mw, rw)} | {ratio(mc, rc)} | {rr / mr:.2f} |")
EOF
}

if [[ -n $TABLE_OF ]]; then
    print_table "$TABLE_OF"
    exit 0
fi

if [[ $BUILD == 1 ]]; then
    say "building metarestore and mfsmeta-gen (release)"
    (cd "$REPO" && cargo build --release --quiet --bin metarestore --bin mfsmeta-gen)
fi
METARESTORE="$REPO/target/release/metarestore"
GEN="$REPO/target/release/mfsmeta-gen"
[[ -x $METARESTORE && -x $GEN ]] || die "no release binaries in $REPO/target/release"

# "200k" -> 200000, "2m" -> 2000000, "1500" -> 1500.
files_of() {
    local s="${1,,}"
    case "$s" in
        *k) echo $(( ${s%k} * 1000 )) ;;
        *m) echo $(( ${s%m} * 1000000 )) ;;
        *) echo "$s" ;;
    esac
}

# Inputs depend on the generator's source only (its comments aside).
GEN_HASH="$(cat "$REPO"/src/lib/gen/*.rs "$REPO/src/bin/mfsmeta-gen.rs" |
    grep -v '^[[:space:]]*//' | sha256sum | cut -c1-12)"
mkdir -p "$WORK/inputs" "$WORK/runs"
RESULTS="$WORK/results-$(date -u +%Y%m%dT%H%M%SZ).tsv"
printf 'size\tmode\tfiles\tinput_mb\ttool\trun\twall_s\tcpu_s\trss_kb\n' >"$RESULTS"

mem_available_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
disk_free_kb() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }

# Generates (once) the input of $files files in mode $mode; prints its folder.
input_for() {
    local files="$1" mode="$2"
    local dir="$WORK/inputs/files-$files-$mode-seed-$SEED-gen-$GEN_HASH"
    if [[ ! -e "$dir/.complete" ]]; then
        local args=(--files "$files" --seed "$SEED")
        case "$mode" in
            snapshot) args+=(--snapshot-only) ;;
            ops2) args+=(--ops-per-file 2) ;;
            *) die "unknown mode '$mode' (snapshot or ops2)" ;;
        esac
        rm -rf "$dir.partial"
        say "generating $files files, mode $mode -> $dir"
        "$GEN" "${args[@]}" --out "$dir.partial" >&2
        touch "$dir.partial/.complete"
        mv "$dir.partial" "$dir"
    fi
    echo "$dir"
}

# A fresh copy of the input in $2 with a restore-only mfsmaster config.
prepare_run_dir() {
    local input="$1" dir="$2"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$input"/metadata.mfs "$dir"/
    cp "$input"/changelog.*.mfs "$dir"/ 2>/dev/null || true
    {
        if [[ $EUID == 0 ]]; then
            printf 'WORKING_USER = root\nWORKING_GROUP = root\n'
        fi
        printf 'NICE_LEVEL = 0\nDATA_PATH = %s\nEXPORTS_FILENAME = %s/mfsexports.cfg\n' "$dir" "$dir"
        # A restore opens no socket; own ports anyway, as the tests do.
        printf 'MATOML_LISTEN_HOST = 127.0.0.1\nMATOML_LISTEN_PORT = 19519\n'
        printf 'MATOCS_LISTEN_HOST = 127.0.0.1\nMATOCS_LISTEN_PORT = 19520\n'
        printf 'MATOCL_LISTEN_HOST = 127.0.0.1\nMATOCL_LISTEN_PORT = 19521\n'
    } >"$dir/restore.cfg"
    echo '* / rw,alldirs,maproot=0' >"$dir/mfsexports.cfg"
}

# Runs a command with its output to LOG; prints "wall_s cpu_s rss_kb" (cpu = user +
# system: on a shared machine it varies less than the wall time; rss = the peak of the
# command, from getrusage of the waited child). Fails with the command's status.
measure() {
    local log="$1"
    shift
    python3 - "$log" "$@" <<'EOF'
import resource, subprocess, sys, time
log, cmd = sys.argv[1], sys.argv[2:]
with open(log, "wb") as out:
    start = time.monotonic()
    status = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.2f} {usage.ru_utime + usage.ru_stime:.2f} {usage.ru_maxrss}")
sys.exit(status)
EOF
}

# Runs one tool in its folder; prints what `measure` prints.
run_tool() {
    local tool="$1" dir="$2" status=0
    case "$tool" in
        mfsmaster)
            (cd "$dir" && measure "$dir/restore.log" mfsmaster -c "$dir/restore.cfg" -a restore) ||
                status=$?
            ;;
        metarestore)
            measure "$dir/restore.log" "$METARESTORE" -a -d "$dir" || status=$?
            ;;
    esac
    if [[ $status != 0 || ! -s "$dir/metadata.mfs" ]]; then
        tr '\r' '\n' <"$dir/restore.log" | tail -n 5 >&2
        die "$tool failed in $dir (exit $status); log: $dir/restore.log"
    fi
}

# Sorted mfsmetadump text, with the session counters that no changelog carries blanked
# (as tests/harness/oracle.rs normalize_metadump does).
normalized_dump() {
    mfsmetadump "$1" | python3 -c '
import re, sys
out = []
for line in sys.stdin.buffer.read().decode("utf-8", "backslashreplace").split("\n"):
    if line.startswith("SESSION|"):
        line = re.sub(r"\|c:\[[^]]*\]", "|c:[-]", line)
        line = re.sub(r"\|l:\[[^]]*\]", "|l:[-]", line)
    out.append(line)
sys.stdout.write("\n".join(sorted(out)))
'
}

check_same_output() {
    local a="$1/metadata.mfs" b="$2/metadata.mfs"
    if cmp -s "$a" "$b"; then
        echo identical
        return
    fi
    if diff -q <(normalized_dump "$a") <(normalized_dump "$b") >/dev/null; then
        echo same-dump
        return
    fi
    KEEP=1
    die "OUTPUTS DIFFER: $a and $b (bytes and sorted mfsmetadump); folders kept"
}

IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a MODE_LIST <<<"$MODES"
for size in "${SIZE_LIST[@]}"; do
    files="$(files_of "$size")"
    [[ "$files" =~ ^[0-9]+$ ]] || die "bad size '$size'"
    # mfsmaster needs about 0.5 KB of memory per file, 2 ops per file included (issue 4:
    # 1.0 GB for 2M files); leave room for the page cache of the input and the output.
    need_kb=$(( files * 8 / 10 + 1048576 ))
    if (( need_kb > $(mem_available_kb) )); then
        say "skipping $size: about $(( need_kb / 1024 )) MB of memory needed, $(( $(mem_available_kb) / 1024 )) MB available"
        continue
    fi
    for mode in "${MODE_LIST[@]}"; do
        input="$(input_for "$files" "$mode")"
        input_kb=$(du -sk "$input" | cut -f1)
        if (( input_kb * 5 > $(disk_free_kb "$WORK/runs") )); then
            say "skipping $size $mode: $(( input_kb * 5 / 1024 )) MB of disk needed in $WORK"
            continue
        fi
        input_mb=$(( (input_kb + 512) / 1024 ))
        for run in $(seq 1 "$RUNS"); do
            m_dir="$WORK/runs/mfsmaster" r_dir="$WORK/runs/metarestore"
            prepare_run_dir "$input" "$m_dir"
            prepare_run_dir "$input" "$r_dir"
            sync
            cat "$m_dir"/*.mfs "$r_dir"/*.mfs >/dev/null
            if (( run % 2 == 1 )); then order="mfsmaster metarestore"; else order="metarestore mfsmaster"; fi
            for tool in $order; do
                dir="$WORK/runs/$tool"
                # Nothing of the previous tool's left in flight: mfsmaster leaves its
                # output to the kernel's write-back, which would otherwise go on
                # during (and be waited for by the fsync of) the next tool's run.
                sync
                run_tool "$tool" "$dir" >"$dir/measured.txt"
                read -r wall cpu rss <"$dir/measured.txt"
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$mode" "$files" \
                    "$input_mb" "$tool" "$run" "$wall" "$cpu" "$rss" >>"$RESULTS"
                say "$size $mode run $run: $tool ${wall} s (cpu ${cpu} s), $(( rss / 1024 )) MB"
            done
            same="$(check_same_output "$m_dir" "$r_dir")"
            say "$size $mode run $run: outputs $same"
        done
        [[ $KEEP == 1 ]] || rm -rf "$WORK/runs/mfsmaster" "$WORK/runs/metarestore"
    done
done

say "raw results: $RESULTS"
print_table "$RESULTS"
