#!/usr/bin/env bash
# The CPU collective comparison of BENCHMARKS.md: shard4j's in-process backend (`./shard4j perf`)
# and Open MPI's shared-memory collectives on the same machine. The machine's bandwidth and latency
# drift several-fold within minutes, so the two take turns for ROUNDS rounds (default 3), each round
# in the opposite order to the last; compare within a round.
# Needs Debian's openmpi-bin and libopenmpi-dev (installed when missing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$root/target/bench-cpu-collectives}
rounds=${ROUNDS:-3}
mkdir -p "$out"
if ! command -v mpicc >/dev/null; then
  apt-get update -q && apt-get install -y -q openmpi-bin libopenmpi-dev
fi
mpicc -O2 -o "$out/mpi_collectives" "$root/scripts/peers/mpi_collectives.c"
mpi=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader)

open_mpi() { # ranks size iters round
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "${mpi[@]}" -np "$1" \
    "$out/mpi_collectives" "$2" "$3" | sed "s/^/round $4: /" | tee -a "$out/openmpi.txt"
}

shard4j() { # ranks size iters round
  for op in all_reduce all_gather reduce_scatter broadcast; do
    "$root/shard4j" perf "$op" -b "$2" -e "$2" --ranks "$1" -n "$3" -w 3 -z 1 --memory \
      | grep -E '^ +[0-9]|Copy' | sed "s/^/round $4: shard4j $op ranks $1: /" | tee -a "$out/shard4j.txt"
  done
}

for ranks in 2 4; do
  for size in 1024 67108864; do
    iters=$([ "$size" -le 1024 ] && echo 20000 || echo 10)
    for round in $(seq "$rounds"); do
      if [ $((round % 2)) = 1 ]; then
        open_mpi "$ranks" "$size" "$iters" "$round"
        shard4j "$ranks" "$size" "$iters" "$round"
      else
        shard4j "$ranks" "$size" "$iters" "$round"
        open_mpi "$ranks" "$size" "$iters" "$round"
      fi
    done
  done
done
