#!/bin/sh
# serve_bench.sh — tale serve against the command line on the same synthetic
# files (espeak-ng -v da, made here) and the same model.
#
#   sh bench/serve_bench.sh [BUILD_DIR] [ROUNDS]     (default: build, 3)
#
# 1. Throughput: audio seconds transcribed per wall second.  `tale transcribe
#    --stats F1 … Fn` (one process, every core for each file): its wall time,
#    and its decoding alone (the sum of --stats' "transcribed in", without the
#    process start and the model + LM load that the server does once)
#    against the same files POSTed one after another to `tale serve --workers 1`
#    (the same threads per job) by one curl over one kept-alive connection,
#    timed from the first request to the last answer.  ROUNDS rounds, alternating; the median of each.  Target: server
#    ≥ 0.9 × the CLI's decoding alone.
# 2. Dictation latency, end of speech → final event (bench/bench_serve.c):
#    the audio fed in real time, in 100-ms chunks, into an in-process
#    tale_dictation (what `tale dictate --input` runs) and over the /v1/dictate
#    WebSocket.  Target: the WebSocket within 50 ms of the in-process figure.
#
# All figures are on synthetic speech and the demo model (tale-da-ctc-small).
set -eu
B=${1:-build}
ROUNDS=${2:-3}
TALE=$(cd "$(dirname "$B/tale")" && pwd)/tale
[ "$B" = build ] && [ -x ./tale ] && TALE=$(pwd)/tale
BS=$B/bench/bench_serve
for t in "$TALE" "$BS"; do
    [ -x "$t" ] || { echo "serve_bench: $t is not built (make BUILD=$B $t)" >&2; exit 1; }
done
for c in espeak-ng sox curl; do
    command -v $c >/dev/null || { echo "serve_bench: $c is missing: skipped"; exit 0; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/serve_bench.XXXXXX")
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM

# eight files of 3 to 25 s: sentences strung together with pauses
set -- "Borgeren har ringet til kommunen om sin ansøgning." \
       "Hvornår kan hun forvente at få svar fra forvaltningen?" \
       "Sagsbehandleren har talt med lægen i går." \
       "Mødet i jobcentret er flyttet til torsdag klokken ti." \
       "Familien ønsker hjælp til at finde en større bolig i Århus." \
       "Jeg sender et brev med de nye oplysninger i næste uge."
i=0
for s in "$@"; do
    i=$((i + 1))
    espeak-ng -v da -w "$W/e$i.wav" "$s"
    sox "$W/e$i.wav" -r 16000 -c 1 -b 16 "$W/u$i.wav" pad 0.3 1.2
done
sox "$W/u1.wav" "$W/f1.wav"
sox "$W/u2.wav" "$W/u3.wav" "$W/f2.wav"
sox "$W/u4.wav" "$W/u5.wav" "$W/u6.wav" "$W/f3.wav"
sox "$W/u1.wav" "$W/u2.wav" "$W/u3.wav" "$W/u4.wav" "$W/f4.wav"
sox "$W/u1.wav" "$W/u2.wav" "$W/u3.wav" "$W/u4.wav" "$W/u5.wav" "$W/u6.wav" "$W/f5.wav"
sox "$W/f5.wav" "$W/u1.wav" "$W/f6.wav"
sox "$W/u5.wav" "$W/f7.wav"
sox "$W/f4.wav" "$W/f2.wav" "$W/f8.wav"
FILES="$W/f1.wav $W/f2.wav $W/f3.wav $W/f4.wav $W/f5.wav $W/f6.wav $W/f7.wav $W/f8.wav"
AUDIO=$(for f in $FILES; do soxi -D "$f"; done | awk '{s += $1} END {printf "%.1f", s}')
DICT="$W/f3.wav"
CORES=$(nproc)

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

"$TALE" serve --workers 1 --threads "$CORES" --port 0 --port-file "$W/port" 2>"$W/serve.log" &
SPID=$!
n=0
while [ ! -s "$W/port" ]; do
    n=$((n + 1)); [ $n -gt 600 ] && { echo "serve_bench: the server did not start" >&2; exit 1; }
    sleep 0.1
done
PORT=$(cat "$W/port")
URL=http://127.0.0.1:$PORT/v1/audio/transcriptions

echo "serve_bench: $(echo $FILES | wc -w) files, $AUDIO s of synthetic speech; $CORES cores;" \
     "tale-da-ctc-small; $ROUNDS rounds"
: >"$W/cli.t"
: >"$W/dec.t"
: >"$W/srv.t"
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    t0=$(now)
    TALE_NO_PROGRESS=1 "$TALE" transcribe --stats --threads "$CORES" $FILES >"$W/cli.txt" \
        2>"$W/cli.err"
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' >>"$W/cli.t"
    # the decoding alone: the sum of --stats' "transcribed in" (no process
    # start, no model and LM load)
    sed -n 's/.*transcribed in \([0-9.]*\) s.*/\1/p' "$W/cli.err" | awk '{s += $1} END {print s}' \
        >>"$W/dec.t"
    # one curl for all files (--next): one process, one kept-alive connection
    args=
    for f in $FILES; do
        args="$args ${args:+--next} -s -F file=@$f -F response_format=text $URL"
    done
    t0=$(now)
    curl $args >"$W/srv.txt"
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' >>"$W/srv.t"
    cmp -s "$W/cli.txt" "$W/srv.txt" || echo "serve_bench: WARNING: the server's transcripts differ from the CLI's"
done
CLI=$(median <"$W/cli.t")
DEC=$(median <"$W/dec.t")
SRV=$(median <"$W/srv.t")
awk -v a="$AUDIO" -v c="$CLI" -v d="$DEC" -v s="$SRV" 'BEGIN {
    printf "throughput: tale transcribe %.1f audio s/s (%.2f s wall, process start and model + LM load included)\n", a / c, c
    printf "throughput: tale transcribe decoding only %.1f audio s/s (%.2f s, sum of --stats)\n", a / d, d
    printf "throughput: tale serve %.1f audio s/s (%.2f s wall, requests one after another, HTTP and upload included)\n", a / s, s
    printf "throughput: server / CLI decoding only %.2f (target >= 0.90); server / whole CLI command %.2f\n", d / s, c / s }'

# dictation latency, real-time feeding, twice each, alternating
: >"$W/lat"
for r in 1 2; do
    "$BS" local --input "$DICT" | sed 's/^latency/local/' >>"$W/lat"
    "$BS" ws --port "$PORT" --input "$DICT" | grep '^latency' | sed 's/^latency/ws/' >>"$W/lat"
done
cat "$W/lat" | sed 's/^/dictation latency (end of speech -> final), /'
awk '/^local:/ {l += $5; nl++} /^ws:/ {w += $5; nw++} END {
    if (nl && nw) printf "dictation latency: mean in-process %.0f ms, over the WebSocket %.0f ms, difference %+.0f ms (target within 50 ms)\n",
                         l / nl, w / nw, w / nw - l / nl }' "$W/lat"
kill "$SPID"
wait "$SPID" 2>/dev/null || true
SPID=
