#pragma once
// A minimal worker pool for the detectors: fn(i, worker) for i in [0, n).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pjd {

/// Runs fn(i, w) for i in [0, n) on `threads` threads (w = worker index). Rethrows the
/// first exception after all threads have finished.
template <typename Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
  const unsigned t = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), std::max<std::size_t>(n, 1)));
  std::atomic<std::size_t> next{0};
  std::exception_ptr err;
  std::mutex err_mu;
  auto work = [&](unsigned w) {
    try {
      for (std::size_t i = next++; i < n; i = next++) fn(i, w);
    } catch (...) {
      std::lock_guard<std::mutex> lk(err_mu);
      if (!err) err = std::current_exception();
      next = n;
    }
  };
  if (t == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(t);
    for (unsigned w = 0; w < t; ++w) pool.emplace_back(work, w);
    for (auto& th : pool) th.join();
  }
  if (err) std::rethrow_exception(err);
}

}  // namespace pjd
