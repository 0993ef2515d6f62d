/*
 * The Open MPI side of the CPU collective comparison in BENCHMARKS.md: times MPI_Allreduce,
 * MPI_Allgather, MPI_Reduce_scatter_block and MPI_Bcast on float buffers, the way
 * `shard4j perf` does (warm-up, then the mean of timed iterations between barriers), and prints
 * nccl-tests' algbw and busbw. Usage: mpirun -np N ./mpi_collectives BYTES ITERS
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*op_fn)(float* send, float* recv, size_t count, int world);

static void allreduce(float* s, float* r, size_t n, int w) {
  (void)w;
  MPI_Allreduce(s, r, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static void allgather(float* s, float* r, size_t n, int w) {
  MPI_Allgather(s, (int)(n / w), MPI_FLOAT, r, (int)(n / w), MPI_FLOAT, MPI_COMM_WORLD);
}
static void reducescatter(float* s, float* r, size_t n, int w) {
  MPI_Reduce_scatter_block(s, r, (int)(n / w), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static void broadcast(float* s, float* r, size_t n, int w) {
  (void)s;
  (void)w;
  MPI_Bcast(r, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, world;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  size_t bytes = argc > 1 ? strtoull(argv[1], NULL, 10) : (64u << 20);
  int iters = argc > 2 ? atoi(argv[2]) : 10;
  size_t count = bytes / sizeof(float) / world * world;
  float* send = malloc(count * sizeof(float));
  float* recv = malloc(count * sizeof(float));
  for (size_t i = 0; i < count; i++) send[i] = recv[i] = (float)((rank + i) % 7);
  const char* names[] = {"all_reduce", "all_gather", "reduce_scatter", "broadcast"};
  op_fn fns[] = {allreduce, allgather, reducescatter, broadcast};
  double factors[] = {2.0 * (world - 1) / world, (double)(world - 1) / world, (double)(world - 1) / world, 1.0};
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < 3; i++) fns[k](send, recv, count, world);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) fns[k](send, recv, count, world);
    MPI_Barrier(MPI_COMM_WORLD);
    double us = (MPI_Wtime() - t0) * 1e6 / iters;
    double algbw = count * sizeof(float) / (us * 1e3);
    if (rank == 0) {
      printf("openmpi %-15s ranks %d size %10zu time %10.2f us algbw %7.2f busbw %7.2f GB/s\n", names[k], world,
             count * sizeof(float), us, algbw, algbw * factors[k]);
    }
  }
  free(send);
  free(recv);
  MPI_Finalize();
  return 0;
}
