#!/bin/sh
# make bench: run every bench binary in $1/bench (speed targets live here).
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
rc=0
for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || rc=1
done
exit $rc
