#!/bin/sh
# Run every libFuzzer target in BUILD/fuzz for SECONDS each (make fuzz).
#   sh scripts/run_fuzz.sh BUILD SECONDS [TARGET...]
# Working corpora: BUILD/corpus/<target> (kept between runs, grown by
# libFuzzer), seeded from fuzz/seeds/<target> and from `make_seeds --big`.
# Crash, timeout and out-of-memory inputs go to BUILD/artifacts/<target>/.
# Prints one line per target and exits 1 when any target failed.
set -u
B=${1:?usage: run_fuzz.sh BUILD SECONDS [TARGET...]}
SECS=${2:?usage: run_fuzz.sh BUILD SECONDS [TARGET...]}
shift 2
# OpenBLAS reads this when it loads: no thread pool inside the fuzzers.
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

if [ $# -eq 0 ]; then
    set -- $(cd "$B/fuzz" && ls fuzz_* 2>/dev/null | sed 's/^fuzz_//')
fi
[ $# -gt 0 ] || { echo "run_fuzz: no targets in $B/fuzz" >&2; exit 1; }

"$B/fuzz/make_seeds" --big "$B/corpus" || { echo "run_fuzz: make_seeds --big failed" >&2; exit 1; }

dict_for() {
    case "$1" in
    json|ctc_config|hf_*|w2v_*|safetensors) echo fuzz/dict/json.dict ;;
    lm) echo fuzz/dict/arpa.dict ;;
    conllu|iob) echo fuzz/dict/conllu.dict ;;
    *) [ -f "fuzz/dict/$1.dict" ] && echo "fuzz/dict/$1.dict" ;;
    esac
}

failed=0
printf '%-14s %10s %7s %7s %7s  %s\n' target execs cov ft corpus result
for t in "$@"; do
    bin="$B/fuzz/fuzz_$t"
    corpus="$B/corpus/$t"
    art="$B/artifacts/$t"
    log="$B/fuzz-$t.log"
    mkdir -p "$corpus" "$art"
    d=$(dict_for "$t")
    seeds=fuzz/seeds/$t
    [ -d "$seeds" ] || seeds=
    case "$t" in   # the wav2vec2 test folder's own file (../shared, not committed)
    w2v_config) cp data/testvectors/wav2vec2/case-a/config.json "$corpus/" 2>/dev/null ;;
    w2v_vocab) cp data/testvectors/wav2vec2/case-a/vocab.json "$corpus/" 2>/dev/null ;;
    kenlm) for f in data/testvectors/kenlm/lm.*.bin data/testvectors/kenlm/language_model/3gram.bin; do
               [ -f "$f" ] && cp "$f" "$corpus/$(echo "$f" | tr / _)" && chmod u+w "$corpus/$(echo "$f" | tr / _)"
           done ;;
    esac
    maxlen=
    [ "$t" = kenlm ] && maxlen=-max_len=2600000   # whole KenLM test files (up to 2.5 MB)
    "$bin" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 $maxlen \
        -artifact_prefix="$art/" ${d:+-dict=$d} "$corpus" $seeds >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '(DONE|pulse|NEW|REDUCE|INITED) +cov:' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    units=$(ls "$corpus" | wc -l)
    a=$(sed -n 's/^.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ $rc -eq 0 ] && [ -z "$a" ]; then
        res=ok
    else
        failed=1
        kind=CRASH
        case "$a" in *timeout-*) kind=TIMEOUT ;; *oom-*) kind=OOM ;; *leak-*) kind=LEAK ;; esac
        res="$kind ${a:-(rc $rc, see $log)}"
    fi
    printf '%-14s %10s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$units" "$res"
done
exit $failed
