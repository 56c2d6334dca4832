#!/bin/sh
# batch_scale.sh — figures for 'tale batch' (docs/BATCH.md): planning and
# status over a 10,000-file manifest, journal append cost, and throughput
# with --jobs 1 and --jobs 2 on synthetic (espeak-ng) speech.
#   sh bench/batch_scale.sh [TALE] [N_FILES] [N_SPEECH]
set -eu
TALE=${1:-./tale}
N=${2:-10000}
NS=${3:-20}
W=$(mktemp -d "${TMPDIR:-/tmp}/tale-batch-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
el() { echo "$2 - $1" | bc -l | xargs printf '%.3f'; }
export TALE_NO_PROGRESS=1

# 1. N tiny empty files (planning only needs names) and a manifest of them
mkdir -p "$W/in"
i=0
while [ $i -lt "$N" ]; do
    d="$W/in/d$((i % 100))"
    [ -d "$d" ] || mkdir -p "$d"
    : >"$d/f$i.wav"
    printf 'd%d/f%d.wav\tfil nummer %d\n' $((i % 100)) $i $i
    i=$((i + 1))
done >"$W/in/list.tsv"

t0=$(now); "$TALE" batch --dry-run --manifest "$W/in/list.tsv" -o "$W/out" >/dev/null; t1=$(now)
echo "plan (dry run) over $N manifest entries: $(el $t0 $t1) s"
t0=$(now); "$TALE" batch --dry-run --shard 3/8 "$W/in" -o "$W/out2" >/dev/null; t1=$(now)
echo "plan (dry run, folder walk, shard 3/8) over $N files: $(el $t0 $t1) s"

# 2. journal appends: every (empty) file fails at once, so the run is N
#    journal records, each one write() + fsync()
for n in $((N / 10)) "$N"; do
    head -n "$n" "$W/in/list.tsv" >"$W/in/head.tsv"
    rm -rf "$W/j$n"
    t0=$(now); "$TALE" batch --manifest "$W/in/head.tsv" -o "$W/j$n" 2>/dev/null || true; t1=$(now)
    lines=$(wc -l <"$W/j$n/journal.jsonl")
    echo "journal: $lines records in $(el $t0 $t1) s ($(echo "($t1 - $t0) * 1000000 / $lines" | bc -l | xargs printf '%.0f') us per input, fsync included)"
done
t0=$(now); "$TALE" batch status "$W/j$N" >/dev/null; t1=$(now)
echo "status over $N inputs and a $N-line journal: $(el $t0 $t1) s"
t0=$(now); "$TALE" batch --manifest "$W/in/list.tsv" -o "$W/j$N" 2>/dev/null || true; t1=$(now)
echo "rerun with nothing to do over $N inputs: $(el $t0 $t1) s"

# 3. throughput on synthetic speech
mkdir -p "$W/sp"
i=0
while [ $i -lt "$NS" ]; do
    espeak-ng -v da -w "$W/raw.wav" "fil nummer $i, klokken er $((i + 3)), og vejret er godt i dag"
    sox "$W/raw.wav" -r 16000 -c 1 "$W/sp/f$i.wav"
    i=$((i + 1))
done
audio=$(for f in "$W"/sp/*.wav; do soxi -D "$f"; done | awk '{s += $1} END {printf "%.2f", s}')
for j in 1 2; do
    rm -rf "$W/o$j"
    t0=$(now); "$TALE" batch --jobs $j -f txt,json -o "$W/o$j" "$W/sp" 2>/dev/null; t1=$(now)
    echo "--jobs $j: $NS files, $audio s synthetic audio in $(el $t0 $t1) s wall: $(echo "$audio / ($t1 - $t0)" | bc -l | xargs printf '%.1f') audio s per wall s"
done
diff -r -x 'journal*' "$W/o1" "$W/o2" >/dev/null && echo "--jobs 1 and --jobs 2 outputs identical"
