#!/bin/sh
# Run every test binary in $1/tests, one summary line per suite, then a total.
# Full output of each suite goes to $1/tests/<suite>.log (printed on failure).
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
total_pass=0
total_fail=0
bad_suites=""
for t in "$BUILD"/tests/*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    name=$(basename "$t")
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
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
