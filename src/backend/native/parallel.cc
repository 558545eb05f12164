// netc's native kernels on several cores: a small pool of threads that stay for the life of the process. A kernel
// call splits its work into parts (images, rows of the filter gradient); the calling thread runs part 0 and the
// pool the rest, and the call returns when all are done. Between calls the pool's threads spin for a while before
// they sleep: kernels follow each other within a fraction of a millisecond in a training step, and a sleeping
// thread is woken late (tenths of a millisecond on a virtual machine's idle core).
//
// Each JavaScript thread says how many parts its calls may use (setThreads; netc's data-parallel training threads
// say 1). One call at a time has the pool; another thread's call meanwhile runs its parts itself.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "simd.h"

namespace netc {
namespace {

constexpr auto kSpin = std::chrono::microseconds(10000);

class Pool {
 public:
  explicit Pool(int helpers) {
    for (int i = 0; i < helpers; i++) std::thread([this, i] { work(i + 1); }).detach();
    size_ = helpers + 1;
  }

  int size() const { return size_; }

  /** Runs part(0..parts-1), part 0 here; false (nothing run) when another call has the pool. */
  bool run(int parts, const std::function<void(int)>& part) {
    std::unique_lock<std::mutex> owner(busy_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    task_ = &part;
    parts_ = parts;
    pending_.store(size_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    part(0);
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    task_ = nullptr;
    return true;
  }

 private:
  void work(int index) {
    uint64_t seen = 0;
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) {
      }
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      seen = generation_.load(std::memory_order_acquire);
      if (index < parts_) (*task_)(index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int size_ = 1;
  std::mutex busy_, mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int)>* task_ = nullptr;
  int parts_ = 0;
};

/** The cores the pool may use: NETC_NATIVE_THREADS, else the machine's (at most 16). */
int poolSize() {
  if (const char* env = std::getenv("NETC_NATIVE_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, 64);
  }
  const int cores = int(std::thread::hardware_concurrency());
  return std::clamp(cores, 1, 16);
}

Pool& pool() {
  static Pool* p = new Pool(poolSize() - 1);  // never destroyed: its threads outlive every caller
  return *p;
}

thread_local int allowed = 0;  // 0: the pool's size

}  // namespace

int setThreads(int n) {
  const int previous = threads();
  allowed = std::max(0, n);
  return previous;
}

int threads() { return allowed > 0 ? std::min(allowed, pool().size()) : pool().size(); }

void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  const int64_t most = grain > 0 ? (count + grain - 1) / grain : count;
  const int parts = int(std::min<int64_t>(threads(), std::max<int64_t>(1, most)));
  if (parts <= 1) return body(0, count);
  const auto range = [&](int part) {
    const int64_t begin = count * part / parts;
    const int64_t end = count * (part + 1) / parts;
    if (begin < end) body(begin, end);
  };
  if (!pool().run(parts, range)) body(0, count);
}

}  // namespace netc
