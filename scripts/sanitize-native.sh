#!/usr/bin/env bash
# libshard4j under AddressSanitizer and UndefinedBehaviorSanitizer. Builds the library CPU-only
# with its native tests (native/tests) in target/sanitize and runs them through CTest, every
# report fatal (leaks included); then runs the Java kernel, tensor and binding tests in a JVM
# with that library (this part needs the Maven build: mvn -Dshard4j.cuda=OFF package; skip it with
# --native-only). Prints one line; exits non-zero on any failed test or sanitizer report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

java_tests=1
[ "${1:-}" = --native-only ] && java_tests=0
build=target/sanitize
start=$(date +%s)
report='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'

# failed LOG WHAT: the first sanitizer report in LOG with its stack (else the end of LOG), and why.
failed() {
  local first
  first=$(grep -nE "$report" "$1" | head -n 1 | cut -d: -f1)
  if [ -n "$first" ]; then sed -n "$((first > 3 ? first - 3 : 1)),$((first + 30))p" "$1"; else tail -n 40 "$1"; fi
  echo "sanitize-native: FAILED: $2, $(grep -cE "$report" "$1" || true) sanitizer reports ($(( $(date +%s) - start ))s; log: $1)"
  exit 1
}

mkdir -p "$build"
cmake -S . -B "$build" -DSHARD4J_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log"
cmake --build "$build" --parallel >"$build/build.log" 2>&1 || failed "$build/build.log" "the build"

# halt_on_error: the first report ends the test (UBSan too: -fno-sanitize-recover=all); leaks are
# reports; allocator_may_return_null lets the out-of-memory tests see the library's own failure
# instead of ASan's abort. The pool's tests add detect_stack_use_after_return (CMakeLists.txt).
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
log=$build/ctest.log
ctest --test-dir "$build" --output-on-failure -j 2 >"$log" 2>&1 || { sed -n '/tests FAILED/,$p' "$log"; failed "$log" "native tests"; }
[ "$(grep -cE "$report" "$log" || true)" -eq 0 ] || failed "$log" "native tests"
native=$(grep -oE 'out of [0-9]+' "$log" | sed -E 's/out of ([0-9]+)/\1 of \1 CTest tests passed/')

java_summary="Java tests skipped"
if [ "$java_tests" -eq 1 ]; then
  bindings=artifacts/shard4j/target/classes/dev/shard4j/bindings/linux-x86_64
  test_classes=artifacts/shard4j-tests/target/test-classes
  if [ ! -f "$bindings/libjniShard4jNative.so" ] || [ ! -d "$test_classes/dev/shard4j/kernels" ]; then
    echo "sanitize-native: the Java tests need the Maven build first (mvn -Dshard4j.cuda=OFF package), or pass --native-only"
    exit 1
  fi
  java_dir=$PWD/$build/java
  # JavaCPP loads the library and its JNI glue from the first class path entry that has them.
  lib=$java_dir/lib/dev/shard4j/bindings/linux-x86_64
  mkdir -p "$lib"
  cp "$build/libshard4j.so" "$bindings/libjniShard4jNative.so" "$lib/"
  # The tests' third-party class path (our own classes come from the build folders).
  resolve=(-B -q -Dshard4j.cuda=OFF -pl artifacts/shard4j-tests -am dependency:build-classpath
           -Dmdep.outputFile="$java_dir/classpath.txt" -Dmdep.includeScope=test)
  mvn -o "${resolve[@]}" >"$java_dir/mvn.log" 2>&1 || mvn "${resolve[@]}" >"$java_dir/mvn.log" 2>&1 ||
    failed "$java_dir/mvn.log" "resolving the Java tests' class path"
  deps=$(tr ':' '\n' <"$java_dir/classpath.txt" | grep -v '/dev/shard4j/')
  engine=$(grep '/junit-platform-engine-' <<<"$deps")
  launcher=${engine//junit-platform-engine/junit-platform-launcher}
  if [ ! -f "$launcher" ]; then
    version=$(basename "$(dirname "$engine")")
    mvn -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-launcher:$version" >"$java_dir/mvn.log" 2>&1 ||
      failed "$java_dir/mvn.log" "fetching junit-platform-launcher $version"
  fi
  classpath=$java_dir/lib:$PWD/artifacts/shard4j/target/classes:$PWD/artifacts/shard4j-cli/target/classes
  classpath=$classpath:$PWD/$test_classes:$(paste -sd: <<<"$deps"):$launcher
  cat >"$java_dir/RunTests.java" <<'EOF'
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Runs the JUnit tests of the packages given and exits non-zero unless some ran and none failed. */
public class RunTests {
  public static void main(String[] packages) {
    LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
    for (String p : packages) request.selectors(DiscoverySelectors.selectPackage(p));
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request.build(), listener);
    TestExecutionSummary s = listener.getSummary();
    s.printFailuresTo(new java.io.PrintWriter(System.out), 25);
    System.out.println("java tests: " + s.getTestsSucceededCount() + " passed, " + s.getTotalFailureCount()
        + " failed, " + s.getTestsSkippedCount() + " skipped");
    System.exit(s.getTotalFailureCount() == 0 && s.getTestsSucceededCount() > 0 ? 0 : 1);
  }
}
EOF
  # ASan's runtime first in the process; the JVM keeps its own SIGSEGV handling (it uses the
  # signal for null checks and safepoints) and its memory, which LeakSanitizer would call leaks.
  log=$java_dir/java.log
  LD_PRELOAD=$(g++ -print-file-name=libasan.so) \
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:allocator_may_return_null=1 \
    java --enable-native-access=ALL-UNNAMED -Xss4m -Dorg.bytedeco.javacpp.cachedir="$java_dir/javacpp-cache" \
    -cp "$classpath" "$java_dir/RunTests.java" dev.shard4j.kernels dev.shard4j.tensor dev.shard4j.bindings \
    >"$log" 2>&1 || failed "$log" "Java tests"
  [ "$(grep -cE "$report" "$log" || true)" -eq 0 ] || failed "$log" "Java tests"
  java_summary="Java kernels/tensor/bindings $(grep -oE '[0-9]+ passed' "$log" | tail -n 1)"
fi
echo "sanitize-native: ASan+UBSan, native $native, $java_summary, 0 sanitizer reports ($(( $(date +%s) - start ))s)"
