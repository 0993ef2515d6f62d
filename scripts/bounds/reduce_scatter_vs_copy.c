/*
 * The reduce_scatter kernel alone beside the copy that `perf --memory` takes as its ceiling, and
 * beside reading alone, without the JVM, the ranks or their barriers (BENCHMARKS.md, "The
 * reduce_scatter kernel alone against the copy"). Two threads, buffers on transparent huge pages,
 * AVX-512; the variants take turns for ROUNDS rounds (default 12) of 10 timed runs each, and the
 * medians are printed, the ratios taken within each round:
 *   copy     64 MiB, a streamed store per vector (perf --memory's ceiling)
 *   sumN     the out-of-place reduce_scatter of N ranks: out[k] = in0[k] + ... + inN-1[k], each
 *            thread a half of the outputs, streamed stores; bytes counted as perf counts them
 *            (every input read once, every output written once)
 *   read N   the same N inputs read and summed into registers only (no stores)
 * Build and run: gcc -O2 -mavx512f -pthread scripts/bounds/reduce_scatter_vs_copy.c \
 *   -o /tmp/rs_vs_copy && /tmp/rs_vs_copy [ROUNDS]
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define INPUT (16L << 20) /* floats per rank input: 64 MiB, as perf -b 64M */
#define THREADS 2
#define REPS 10

enum { COPY, SUM2, SUM4, READ2, READ4, VARIANTS };
static const char *names[VARIANTS] = {"copy", "sum2 (2 ranks)", "sum4 (4 ranks)", "read 2", "read 4"};
static float *in[4], *out, *src, *dst;
static int variant;
static volatile float sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *huge(long floats) {
  float *p = aligned_alloc(2 << 20, floats * 4);
  madvise(p, floats * 4, MADV_HUGEPAGE);
  for (long i = 0; i < floats; i++) p[i] = (float)(i & 1023);
  return p;
}

static int ranks(void) { return variant == SUM2 || variant == READ2 ? 2 : 4; }

/* Outputs in all: every rank's block of INPUT / ranks elements. */
static long outputs(void) { return INPUT; }

static void *work(void *arg) {
  long t = (long)arg;
  if (variant == COPY) {
    for (long i = t * INPUT / THREADS; i < (t + 1) * INPUT / THREADS; i += 16)
      _mm512_stream_ps(dst + i, _mm512_loadu_ps(src + i));
    _mm_sfence();
    return 0;
  }
  int n = ranks();
  long block = INPUT / n; /* rank q's output: block q of every input */
  __m512 acc = _mm512_setzero_ps();
  for (long e = t * outputs() / THREADS; e < (t + 1) * outputs() / THREADS; e += 16) {
    long q = e / block, k = e % block, at = q * block + k;
    __m512 s = _mm512_loadu_ps(in[0] + at);
    for (int r = 1; r < n; r++) s = _mm512_add_ps(s, _mm512_loadu_ps(in[r] + at));
    if (variant == SUM2 || variant == SUM4) {
      _mm512_stream_ps(out + e, s);
    } else {
      acc = _mm512_add_ps(acc, s);
    }
  }
  _mm_sfence();
  sink = _mm512_reduce_add_ps(acc);
  return 0;
}

/* perf's minimal bytes: copy reads and writes INPUT floats; sumN reads N inputs, writes INPUT. */
static double bytes(void) {
  if (variant == COPY) return 2.0 * INPUT * 4;
  double read = (double)ranks() * INPUT * 4;
  return variant == SUM2 || variant == SUM4 ? read + INPUT * 4.0 : read;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 12;
  if (rounds < 1 || rounds > 1000) rounds = 12;
  for (int r = 0; r < 4; r++) in[r] = huge(INPUT);
  out = huge(INPUT);
  src = huge(INPUT);
  dst = huge(INPUT);
  double *gbps = calloc((size_t)VARIANTS * rounds, sizeof(double));
  for (int round = 0; round < rounds; round++) {
    for (variant = 0; variant < VARIANTS; variant++) {
      double seconds = 0;
      for (int rep = 0; rep < REPS; rep++) {
        pthread_t th[THREADS];
        double t0 = now();
        for (long t = 0; t < THREADS; t++) pthread_create(&th[t], 0, work, (void *)t);
        for (int t = 0; t < THREADS; t++) pthread_join(th[t], 0);
        seconds += now() - t0;
      }
      gbps[variant * rounds + round] = bytes() / (seconds / REPS) / 1e9;
    }
  }
  double median[VARIANTS], ratio[VARIANTS];
  for (variant = 0; variant < VARIANTS; variant++) {
    double *r = malloc(rounds * sizeof(double)), *v = gbps + variant * rounds;
    for (int i = 0; i < rounds; i++) r[i] = v[i] / gbps[COPY * rounds + i]; /* same round's copy */
    qsort(r, rounds, sizeof(double), compare);
    ratio[variant] = r[rounds / 2];
    memcpy(r, v, rounds * sizeof(double));
    qsort(r, rounds, sizeof(double), compare);
    median[variant] = r[rounds / 2];
    free(r);
  }
  printf("# %d threads, 64 MiB inputs, medians of %d alternating rounds of %d runs\n", THREADS, rounds, REPS);
  printf("%-16s %8s %8s\n", "variant", "GB/s", "of copy");
  for (variant = 0; variant < VARIANTS; variant++)
    printf("%-16s %8.1f %8.2f\n", names[variant], median[variant], ratio[variant]);
  /* The sums' reads against reading alone. */
  printf("sum2 reads at %.2f of read 2; sum4 reads at %.2f of read 4\n",
         median[SUM2] * 2 / 3 / median[READ2], median[SUM4] * 4 / 5 / median[READ4]);
  free(gbps);
  return 0;
}
