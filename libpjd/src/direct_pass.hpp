#pragma once
// Private: the streamed pass of the detection methods over an uncompressed stack. Each of
// `threads` workers reads its own pair straight from the file (direct_read.hpp) and works
// on it while it is in cache; no thread only reads. The temporal coherence sum is made in
// the order of the pairs (numpy's float32 order), the same to the bit whatever the threads.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <mutex>
#include <vector>

#include "detect_common.hpp"
#include "direct_read.hpp"
#include "parallel.hpp"
#include "pjd/progress.hpp"
#include "pjd/stack.hpp"
#include "published.hpp"

namespace pjd {

/// The direct reader of `dsets` (unwrapPhase, coherence), unless PJD_DIRECT_READ=0 (read
/// through HDF5, to compare) or the stack cannot be read directly (compressed, ...).
inline std::unique_ptr<DirectReader> open_direct(const Stack& stack, const std::vector<std::string>& dsets) {
  const char* env = std::getenv("PJD_DIRECT_READ");
  if (env && std::string(env) == "0") return nullptr;
  return DirectReader::open(stack.file(), dsets);
}

/// One worker's buffers, reused from pair to pair.
struct DirectWorker {
  std::vector<float, NoFillAllocator<float>> unw, coh;  ///< as the method reads them
  std::vector<float> stage;                             ///< DirectReader's scratch
  published::PairScratch scratch;
  double read_s = 0;  ///< seconds spent reading
};

/// For i in [0, pairs.size()): reads the coherence of stack pair pairs[i] (columns [x0, x1))
/// into w.coh band by band, adding each band to coh_sum / coh_cnt when accumulate and
/// keep[pairs[i]] (in the order of i), then calls work(i, w). Reports progress 0..0.9 as "read". Returns the wall seconds
/// of the pass; adds the workers' reading seconds to t_read.
template <typename Work>
double direct_pass(const DirectReader& rd, const std::vector<std::size_t>& pairs, unsigned threads, std::size_t x0,
                   std::size_t x1, std::size_t rows, bool accumulate, const std::vector<bool>& keep, float* coh_sum,
                   std::int32_t* coh_cnt, const ProgressFn& progress, double& t_read, Work&& work) {
  using Clock = std::chrono::steady_clock;
  const std::size_t plane = rows * (x1 - x0), n = pairs.size();
  const std::size_t cols = x1 - x0, band = rd.band_rows(1), n_bands = (rows + band - 1) / band;
  std::vector<DirectWorker> workers(threads);
  // The coherence is read and summed one band of rows at a time, while the band is in cache:
  // the worker of pair i adds band b when the one of pair i - 1 has (acc_next[b] == i).
  std::mutex acc_mu;
  std::condition_variable acc_cv;
  std::vector<std::size_t> acc_next(n_bands, 0);
  bool failed = false;
  std::atomic<std::size_t> done{0};
  std::mutex progress_mu;
  std::size_t reported = 0;
  const auto t0 = Clock::now();
  parallel_for(n, threads, [&](std::size_t i, unsigned wi) {
    DirectWorker& w = workers[wi];
    try {
      w.coh.resize(plane);
      for (std::size_t b = 0; b < n_bands; ++b) {
        const auto tr = Clock::now();
        float* c = w.coh.data() + b * band * cols;
        rd.read_band(1, pairs[i], b, x0, x1, c, w.stage);
        w.read_s += std::chrono::duration<double>(Clock::now() - tr).count();
        if (!accumulate) continue;
        std::unique_lock<std::mutex> lk(acc_mu);
        acc_cv.wait(lk, [&] { return acc_next[b] == i || failed; });
        if (failed) return;
        lk.unlock();
        const std::size_t at = b * band * cols, m = std::min(band, rows - b * band) * cols;
        if (keep[pairs[i]]) published::avg_coh_accumulate(c, m, coh_sum + at, coh_cnt + at);
        lk.lock();
        ++acc_next[b];
        acc_cv.notify_all();
      }
      work(i, w);
      const std::size_t n_done = ++done;
      if (progress && n_done * 100 / n != (n_done - 1) * 100 / n) {
        std::lock_guard<std::mutex> lk(progress_mu);
        if (n_done > reported) {  // another worker may have reported a later count already
          reported = n_done;
          report(progress, 0.9 * static_cast<double>(n_done) / static_cast<double>(n), "read");
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(acc_mu);
      failed = true;  // nobody waits for this pair's coherence any more
      acc_cv.notify_all();
      throw;
    }
  });
  for (const auto& w : workers) t_read += w.read_s;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace pjd
