#!/bin/sh
# Run every test binary in $1/tests, one summary line per suite, then the
# skipped tests with their reasons, then a total "N passed, N failed, N skipped".
# Full output of each suite goes to $1/tests/<suite>.log (printed on failure).
# TALE_TEST_FILTER=substring runs only the suites whose name contains it.
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
total_pass=0
total_fail=0
total_skip=0
bad_suites=""
skips="$BUILD/tests/.skipped"
: >"$skips"
for t in "$BUILD"/tests/*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    name=$(basename "$t")
    case "$name" in *"${TALE_TEST_FILTER:-}"*) ;; *) continue ;; esac
    log="$BUILD/tests/$name.log"
    TALE_TEST_TMP="$BUILD/tmp/$name" "$t" >"$log" 2>&1
    rc=$?
    pass=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END{print s+0}')
    fail=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END{print s+0}')
    skip=$(grep -E '^\[  SKIPPED \] [0-9]+ test' "$log" | awk '{s+=$4} END{print s+0}')
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        fail=1   # crashed or exited non-zero without a cmocka summary
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
    if [ "$skip" -gt 0 ]; then
        # one line per skipped test: its reason, or a complaint that it gave none
        nreason=$(grep -c '^\[ SKIPREASON \]' "$log")
        grep '^\[ SKIPREASON \]' "$log" | sed 's/^\[ SKIPREASON \] //' >>"$skips"
        if [ "$nreason" -lt "$skip" ]; then
            i=$nreason
            while [ "$i" -lt "$skip" ]; do
                echo "$name: (skipped without a reason: a bug in the test)" >>"$skips"
                i=$((i + 1))
            done
        fi
    fi
    if [ "$fail" -gt 0 ]; then
        printf '%-24s %3d passed, %d failed, %d skipped   FAIL (log: %s)\n' "$name" "$pass" "$fail" "$skip" "$log"
        bad_suites="$bad_suites $name"
    else
        printf '%-24s %3d passed, %d failed, %d skipped\n' "$name" "$pass" "$fail" "$skip"
    fi
done
for s in $bad_suites; do
    echo "---- $s (last 40 lines) ----"
    tail -n 40 "$BUILD/tests/$s.log"
done
if [ "$total_skip" -gt 0 ]; then
    # one line per suite: how many, its most common reason, how many other reasons
    echo "---- skipped: $total_skip tests; per suite: count, main reason ----"
    sort "$skips" | uniq -c | sort -k2,2 -k1,1rn | awk '
        { n = $1; $1 = ""; sub(/^ /, ""); suite = $1; sub(/:$/, "", suite)
          why = $0; sub(/^[^:]*: /, "", why)
          if (!(suite in cnt)) { order[++k] = suite; main[suite] = why }
          cnt[suite] += n; kinds[suite]++ }
        END { for (i = 1; i <= k; i++) { s = order[i]
                  extra = kinds[s] > 1 ? sprintf(" (+%d other reason%s)", kinds[s] - 1, kinds[s] > 2 ? "s" : "") : ""
                  printf "  %-20s %3d  %s%s\n", s, cnt[s], main[s], extra } }'
    echo "(every reason: $skips)"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
