#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace s4j::cpu {

namespace {

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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      n_ = n;
      piece_ = (n + pieces - 1) / pieces;
      pieces_ = pieces;
      next_.store(0);
      pending_.store(pieces);
      generation_++;
    }
    wake_.notify_all();
    work();
    // The caller helped until no piece was left; wait for the ones still running elsewhere.
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_.load() == 0; });
    body_ = nullptr;
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
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      work();
    }
  }

  void work() {
    for (;;) {
      int64_t p = next_.fetch_add(1);
      if (p >= pieces_) return;
      int64_t begin = p * piece_;
      int64_t end = std::min(n_, begin + piece_);
      if (begin < end) (*body_)(begin, end);
      if (pending_.fetch_sub(1) == 1) {
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
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
  int64_t n_ = 0, piece_ = 0, pieces_ = 0;
  std::atomic<int64_t> next_{0}, pending_{0};
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
