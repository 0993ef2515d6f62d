// A small persistent thread pool for the host kernels, so a large kernel uses every core.
#pragma once

#include <stdint.h>

#include <functional>

namespace s4j::cpu {

// Runs body(begin, end) over [0, n) in pieces of at least `grain` elements, on the pool's
// threads and the caller. When the pool is busy with another caller's work (several ranks of the
// in-process backend call at once) the whole range runs inline on the calling thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

// While a thread is inside a serial section, its parallel_for calls run inline: the ranks of the
// in-process collectives are already one thread per core, and the pool would oversubscribe them.
void serial_begin();
void serial_end();

// Threads used by parallel_for, the caller included (1 turns the pool off).
int thread_count();
void set_thread_count(int threads);

}  // namespace s4j::cpu
