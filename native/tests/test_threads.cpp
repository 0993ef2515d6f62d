// The host thread pool: many threads and one, streams of short jobs (a worker waking late from
// one job must never touch the next, whose bookkeeping lives on the caller's stack), several
// callers at once (all but one run inline), the thread count changed while kernels run, and
// serial sections that nest. Every result is checked against a serial run.
#include <atomic>
#include <thread>
#include <vector>

#include "reference.h"

using namespace s4jt;

namespace {

// Sixteen f32 tensors packed into one bf16 buffer: just over the size below which a plan runs on
// one thread, so that every run is split among the pool's threads.
struct PackJob {
  std::vector<Bytes> sources;
  Bytes flat, expected;
  s4j_plan_t plan = nullptr;

  explicit PackJob(uint64_t seed) {
    Random r(seed);
    std::vector<uint64_t> src, dst;
    std::vector<int64_t> count;
    int64_t total = 0;
    for (int s = 0; s < 16; s++) {
      sources.push_back(random_bytes(r, S4J_F32, 4100 + s));
      total += 4100 + s;
    }
    flat.assign(total * 2, 0);
    expected.assign(total * 2, 0);
    int64_t at = 0;
    for (int s = 0; s < 16; s++) {
      src.push_back(reinterpret_cast<uint64_t>(sources[s].data()));
      dst.push_back(reinterpret_cast<uint64_t>(flat.data() + at * 2));
      count.push_back(4100 + s);
      for (int64_t k = 0; k < 4100 + s; k++) convert_element(S4J_BF16, expected.data(), at + k, S4J_F32, sources[s].data(), k);
      at += 4100 + s;
    }
    std::vector<int32_t> f32(16, S4J_F32), bf16(16, S4J_BF16);
    CHECK_OK(s4j_plan_create(S4J_HOST, 16, src.data(), dst.data(), count.data(), f32.data(), bf16.data(), &plan));
  }
  ~PackJob() { s4j_plan_destroy(plan); }

  // Runs the plan `runs` times, checking the output every so often; false on a wrong result.
  bool run(int runs) {
    for (int i = 0; i < runs; i++) {
      if (i % 100 == 0) memset(flat.data(), 0, flat.size());
      if (s4j_plan_run(plan, 1.0, nullptr) != S4J_OK) return false;
      if (i % 100 == 0 && flat != expected) return false;
    }
    return flat == expected;
  }
};

}  // namespace

TEST(threads_many_and_one) {
  const int threads = s4j_cpu_threads();
  PackJob job(50);
  for (int n : {1, 2, 3, 7, 16, 64, 1}) {
    CHECK_OK(s4j_cpu_set_threads(n));
    CHECK(s4j_cpu_threads() == n);
    CHECK_MSG(job.run(200), "%d threads: a wrong pack", n);
  }
  CHECK_OK(s4j_cpu_set_threads(threads));
}

TEST(threads_streams_of_short_jobs) {
  // Busy threads beside the pool preempt its workers at arbitrary points, as a loaded machine does.
  const int threads = s4j_cpu_threads();
  CHECK_OK(s4j_cpu_set_threads(4));
  std::atomic<bool> stop{false};
  std::vector<std::thread> noise;
  for (int t = 0; t < 2; t++) {
    noise.emplace_back([&] {
      volatile uint64_t x = 0;
      while (!stop.load()) x = x + 1;
    });
  }
  PackJob job(51);
  CHECK(job.run(2000));
  stop = true;
  for (auto& t : noise) t.join();
  CHECK_OK(s4j_cpu_set_threads(threads));
}

TEST(threads_several_callers_at_once) {
  // Callers that find the pool busy run their whole range inline; one thread keeps changing the
  // pool's size meanwhile.
  const int threads = s4j_cpu_threads();
  std::atomic<int> wrong{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; c++) {
    callers.emplace_back([&wrong, c] {
      PackJob job(60 + c);
      if (!job.run(300)) wrong++;
      // Reductions too, large enough to split: sum of three equal inputs, exactly 3x.
      std::vector<float> a(200003, 1.5f + c), out(200003);
      uint64_t srcs[3] = {reinterpret_cast<uint64_t>(a.data()), reinterpret_cast<uint64_t>(a.data()),
                          reinterpret_cast<uint64_t>(a.data())};
      uint64_t dst = reinterpret_cast<uint64_t>(out.data());
      for (int i = 0; i < 20; i++) {
        if (s4j_reduce(S4J_HOST, nullptr, 3, srcs, S4J_F32, 1, &dst, S4J_F32, 200003, S4J_OP_SUM, 1, 1) != S4J_OK) wrong++;
        for (float x : out) {
          if (x != 3 * (1.5f + c)) {
            wrong++;
            break;
          }
        }
      }
    });
  }
  std::thread resizer([&] {
    for (int i = 0; !done.load(); i++) {
      s4j_cpu_set_threads(1 + i % 8);
      std::this_thread::yield();
    }
  });
  for (auto& t : callers) t.join();
  done = true;
  resizer.join();
  CHECK_MSG(wrong.load() == 0, "%d wrong results", wrong.load());
  CHECK_OK(s4j_cpu_set_threads(threads));
}

TEST(threads_serial_sections_nest) {
  PackJob job(70);
  CHECK_OK(s4j_cpu_serial(1));
  CHECK_OK(s4j_cpu_serial(1));
  CHECK(job.run(50));
  CHECK_OK(s4j_cpu_serial(0));
  CHECK(job.run(50));  // still inside the outer section
  CHECK_OK(s4j_cpu_serial(0));
  CHECK_OK(s4j_cpu_serial(0));  // one end too many is harmless
  CHECK(job.run(50));
  // A section is the calling thread's own: another thread's kernels still use the pool.
  CHECK_OK(s4j_cpu_serial(1));
  bool other_ok = false;
  std::thread other([&] { other_ok = job.run(50); });
  other.join();
  CHECK(other_ok);
  CHECK_OK(s4j_cpu_serial(0));
}
