#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace s4j::cpu {

namespace {

// How long a worker keeps looking for the next job, and the caller for the last pieces, before
// sleeping: a training step calls hundreds of short kernels back to back, and waking a sleeping
// thread for each took longer than many of them run (OpenMP runtimes spin likewise).
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() or kSpin has passed; returns done().
template <class Done>
bool spin_until(Done&& done) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; i++) {
    if (done()) return true;
    cpu_relax();
    if ((i & 63) == 0 && std::chrono::steady_clock::now() > until) return done();
  }
}

// One parallel_for: its pieces are claimed through its own counters, so a worker that is late
// from an earlier job can never claim (or count) a piece of this one.
struct Job {
  const std::function<void(int64_t, int64_t)>* body;
  int64_t n, piece, pieces;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> pending;
  int users = 0;  // workers that took the job and have not left it; guarded by the pool's mutex
};

class Pool {
 public:
  Pool() : threads_(std::max(1u, std::thread::hardware_concurrency())) {}

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int threads() const { return threads_.load(); }

  void set_threads(int n) {
    std::lock_guard<std::mutex> submit(submit_);
    threads_ = std::max(1, n);
  }

  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
    const int threads = threads_.load();
    const int64_t pieces = std::min<int64_t>(threads * 4, (n + grain - 1) / std::max<int64_t>(grain, 1));
    std::unique_lock<std::mutex> submit(submit_, std::try_to_lock);
    if (threads <= 1 || pieces <= 1 || !submit.owns_lock()) {
      if (n > 0) body(0, n);
      return;
    }
    start_workers(threads - 1);
    Job job;
    job.body = &body;
    job.n = n;
    job.piece = (n + pieces - 1) / pieces;
    job.pieces = pieces;
    job.pending.store(pieces);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_++;
      posted_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    work(job);
    // The caller helped until no piece was left. Withdraw the job, then wait for the pieces still
    // running elsewhere and for every worker that took it to let go: it lives on this stack.
    spin_until([&] { return job.pending.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = nullptr;
    done_.wait(lock, [&] { return job.pending.load() == 0 && job.users == 0; });
  }

 private:
  void start_workers(int count) {
    while ((int)workers_.size() < count) {
      workers_.emplace_back([this] { loop(); });
    }
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      Job* job;
      spin_until([&] { return posted_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
        if (job == nullptr) continue;  // woke after the job was over
        job->users++;
      }
      work(*job);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--job->users == 0) done_.notify_all();
    }
  }

  void work(Job& job) {
    for (;;) {
      int64_t p = job.next.fetch_add(1);
      if (p >= job.pieces) return;
      int64_t begin = p * job.piece;
      int64_t end = std::min(job.n, begin + job.piece);
      if (begin < end) (*job.body)(begin, end);
      if (job.pending.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_all();
      }
    }
  }

  std::atomic<int> threads_;
  std::mutex submit_;  // one caller's job at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> posted_{0};  // generation_, readable without the mutex by spinning workers
  Job* job_ = nullptr;  // the job on offer; guarded by mutex_
};

thread_local int serial_depth = 0;

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction order
  return *p;
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (serial_depth > 0) {
    if (n > 0) body(0, n);
    return;
  }
  pool().run(n, grain, body);
}

void serial_begin() { serial_depth++; }

void serial_end() {
  if (serial_depth > 0) serial_depth--;
}

int thread_count() { return pool().threads(); }

void set_thread_count(int threads) { pool().set_threads(threads); }

}  // namespace s4j::cpu
