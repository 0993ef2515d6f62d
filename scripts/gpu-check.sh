#!/usr/bin/env bash
# Every GPU check in one go, on a machine with an NVIDIA GPU and a Java runtime but no Maven:
# the CUDA probe (shard4j info), the JUnit tests tagged "gpu", the kernel benchmark and the NCCL
# collectives through `shard4j perf`. Logs go under $OUT (or
# target/gpu-check); the last lines printed are the summary.
#
# On the GPU machine, from the project root (see shared/device/README.md):
#   source .device/env.sh && bash scripts/gpu-check.sh
# Here, after `mvn package`, it runs up to the point where it finds no GPU.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${OUT:-$root/target/gpu-check}
mkdir -p "$out"
JAVA=${JAVA:-java}
CP=${CP:-$root/target/classes:$root/target/test-classes:$root/target/lib/*}

# Expand "dir/*" entries: JUnit's launcher takes a class path but not Java's wildcards.
classpath=""
IFS=: read -r -a entries <<< "$CP"
for entry in "${entries[@]}"; do
  if [[ "$entry" == */\* ]]; then
    for jar in "${entry%\*}"*.jar; do [ -e "$jar" ] && classpath="$classpath:$jar"; done
  else
    classpath="$classpath:$entry"
  fi
done
classpath=${classpath#:}
java_opts=(--enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=/tmp/shard4j-javacpp)

echo "== shard4j info" | tee "$out/info.log"
"$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.collectives.cli.Shard4jCommand info 2>&1 | tee -a "$out/info.log"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU here (nvidia-smi finds none): the gpu tests and GPU benchmarks were not run."
  exit 0
fi

launcher=$(ls "$root"/.device/lib/junit-platform-console-standalone-*.jar 2>/dev/null | head -1)
if [ -z "$launcher" ]; then
  launcher=$(tr ':' '\n' <<< "$classpath" | grep 'junit-platform-console-standalone' | head -1)
fi
if [ -z "$launcher" ]; then
  echo "gpu-check: JUnit's console launcher is missing (run shared/device/pack.sh)" >&2
  exit 2
fi

echo "== gpu tests"
"$JAVA" "${java_opts[@]}" -jar "$launcher" -cp "$classpath" --scan-classpath --include-tag gpu \
  --details=tree --disable-banner --reports-dir "$out/junit" > "$out/gpu-tests.log" 2>&1
tests_status=$?
tail -n 25 "$out/gpu-tests.log"

echo "== kernel benchmark on cuda:0"
"$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.collectives.cli.Shard4jCommand bench kernels \
  --device cuda:0 --elements 67108864 -n 21 --json "$out/bench-kernels-cuda.json" 2>&1 | tee "$out/bench-kernels-cuda.log"
bench_status=${PIPESTATUS[0]}

echo "== collectives on the GPUs through NCCL (one rank per GPU)"
gpus=$(nvidia-smi -L | wc -l)
perf_status=0
for op in all_reduce all_gather reduce_scatter broadcast; do
  "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.collectives.cli.Shard4jCommand perf "$op" --backend nccl \
    --ranks "$gpus" -b 8 -e 256M -f 8 -n 20 -w 5 -d bfloat16 --json "$out/perf-nccl-$op.json" 2>&1 \
    | tee "$out/perf-nccl-$op.log" || perf_status=1
done

echo "== summary"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "gpu tests: $([ $tests_status -eq 0 ] && echo passed || echo "FAILED (exit $tests_status)")"
echo "kernel benchmark: $([ $bench_status -eq 0 ] && echo "done ($out/bench-kernels-cuda.json)" || echo "FAILED (exit $bench_status)")"
echo "nccl perf: $([ $perf_status -eq 0 ] && echo done || echo FAILED)"
[ $tests_status -eq 0 ] && [ $bench_status -eq 0 ] && [ $perf_status -eq 0 ]
