#!/usr/bin/env bash
# The long API fuzz run of BENCHMARKS.md: random sequences of the public API (tensor factories,
# views, copies, casts, kernels, allocators, collectives over an in-process group), valid calls
# checked against a plain Java model and invalid ones against their documented exceptions, from
# several seeds on both cores. Prints calls/s, calls per operation, valid and invalid counts; exits
# 1 on any failure (a wrong value, an undocumented exception, a leak, a hang), whose report names
# the seed and the call to replay with --seed S --calls N --trace.
# Default: seeds 1..8, 300000 calls each (2.4 million, of which about half are the closes and the
# operand factories around the other calls), 2 threads. Arguments go to the fuzzer:
#   --seed S | --seeds A..B, --calls N, --threads T, --trace.
# MAVEN_ARGS adds Maven options (e.g. -o offline); the build is CPU-only.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck disable=SC2086 # MAVEN_ARGS is a list of options
mvn -B -q ${MAVEN_ARGS:-} -Dshard4j.cuda=OFF -DskipTests -pl artifacts/shard4j-tests -am package \
  dependency:build-classpath -Dmdep.outputFile=target/fuzz.classpath -Dmdep.includeScope=test
tests=artifacts/shard4j-tests/target
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--seeds 1..8 --calls 300000 --threads 2)
exec java --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir="$root/target/javacpp-cache" \
  -cp "$tests/test-classes:$(cat "$tests/fuzz.classpath")" dev.shard4j.fuzz.FuzzMain "${args[@]}"
