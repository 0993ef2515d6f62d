#!/usr/bin/env bash
# libshard4j under AddressSanitizer and UndefinedBehaviorSanitizer: builds the library CPU-only
# with its native tests (native/tests) in target/sanitize, runs them through CTest with every
# report fatal (leaks included), and prints one line. Exits non-zero on any failure or report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=target/sanitize
log=$build/ctest.log
start=$(date +%s)
mkdir -p "$build"
cmake -S . -B "$build" -DSHARD4J_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log"
cmake --build "$build" --parallel >"$build/build.log" 2>&1 || { tail -n 40 "$build/build.log"; exit 1; }

# halt_on_error: the first report ends the test (UBSan too: -fno-sanitize-recover=all); leaks are
# reports; allocator_may_return_null lets the out-of-memory test see the library's own failure
# instead of ASan's abort. The pool's tests add detect_stack_use_after_return (CMakeLists.txt).
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
ctest --test-dir "$build" --output-on-failure -j 2 >"$log" 2>&1 || status=$?

report='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
reports=$(grep -cE "$report" "$log" || true)
summary=$(grep -E 'tests passed|tests failed' "$log" | tail -n 1)
seconds=$(( $(date +%s) - start ))
if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
  # The first report with its stack, else the end of the log; then the failed tests.
  first=$(grep -nE "$report" "$log" | head -n 1 | cut -d: -f1)
  if [ -n "$first" ]; then sed -n "$((first > 3 ? first - 3 : 1)),$((first + 30))p" "$log"; else tail -n 40 "$log"; fi
  sed -n '/tests FAILED/,$p' "$log"
  echo "sanitize-native: FAILED: ${summary:-ctest did not finish}, $reports sanitizer reports (${seconds}s; log: $log)"
  exit 1
fi
echo "sanitize-native: ASan+UBSan, $summary, 0 sanitizer reports (${seconds}s)"
