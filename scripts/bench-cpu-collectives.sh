#!/usr/bin/env bash
# The CPU collective comparison of BENCHMARKS.md: shard4j's in-process backend (`./shard4j perf`)
# and Open MPI's shared-memory collectives on the same machine, one after the other.
# Needs Debian's openmpi-bin and libopenmpi-dev (installed when missing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$root/target/bench-cpu-collectives}
mkdir -p "$out"
if ! command -v mpicc >/dev/null; then
  apt-get update -q && apt-get install -y -q openmpi-bin libopenmpi-dev
fi
mpicc -O2 -o "$out/mpi_collectives" "$root/scripts/peers/mpi_collectives.c"
mpi=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader)
for ranks in 2 4; do
  for size in 1024 67108864; do
    iters=$([ "$size" -le 1024 ] && echo 20000 || echo 10)
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "${mpi[@]}" -np "$ranks" \
      "$out/mpi_collectives" "$size" "$iters" | tee -a "$out/openmpi.txt"
    for op in all_reduce all_gather reduce_scatter broadcast; do
      "$root/shard4j" perf "$op" -b "$size" -e "$size" --ranks "$ranks" -n "$iters" -w 3 -z 1 --memory \
        | grep -E '^ +[0-9]|Copy' | sed "s/^/shard4j $op ranks $ranks: /" | tee -a "$out/shard4j.txt"
    done
  done
done
