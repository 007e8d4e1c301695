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

#include "detect/common.hpp"
#include "io/direct_read.hpp"
#include "core/parallel.hpp"
#include "pjd/progress.hpp"
#include "pjd/stack.hpp"
#include "detect/published/published.hpp"

namespace pjd {

/// The direct reader of `dsets` (unwrapPhase, coherence), unless PJD_DIRECT_READ=0 (read
/// through HDF5, to compare), the stack cannot be read directly (another filter than LZF,
/// ...), or it is compressed and `threads` rows of chunks (each worker decompresses one)
/// would take more than 512 MB.
inline std::unique_ptr<DirectReader> open_direct(const Stack& stack, const std::vector<std::string>& dsets,
                                                 unsigned threads, std::size_t cols) {
  const char* env = std::getenv("PJD_DIRECT_READ");
  if (env && std::string(env) == "0") return nullptr;
  auto rd = DirectReader::open(stack.file(), dsets);
  if (rd && rd->compressed() &&
      rd->group_pairs() * stack.length() * cols * sizeof(float) * dsets.size() * threads > (512u << 20))
    rd.reset();
  return rd;
}

/// One worker's buffers, reused from pair to pair.
struct DirectWorker {
  std::vector<float, NoFillAllocator<float>> unw, coh;  ///< as the method reads them
  std::vector<float> stage;                             ///< DirectReader's scratch
  std::vector<float> prev_row;                          ///< a phase row kept across bands (PassPair)
  std::vector<char> packed;                             ///< an LZF chunk as stored
  published::PairScratch scratch;
  double read_s = 0;  ///< seconds spent reading
  // For work(): the pair's coherence plane, and its phase plane when the pass read it
  // (compressed stacks), else nullptr (the method reads it as it likes).
  const float* coh_p = nullptr;
  const float* unw_p = nullptr;
};

/// For i in [0, pairs.size()) (ascending stack pairs): makes w.coh_p the coherence of stack
/// pair pairs[i] (columns [x0, x1)), adds it to coh_sum / coh_cnt when accumulate and
/// keep[pairs[i]] (in the order of i), then calls work(i, w). Uncompressed stacks are read
/// pair by pair, the coherence band by band (each band summed while in cache; the worker of
/// pair i adds band b after the one of pair i - 1); compressed ones a row of chunks at a time
/// (w.unw_p set too). Reports progress 0..0.9 as "read". Returns the wall seconds of the pass;
/// adds the workers' reading seconds to t_read.
template <typename Work>
double direct_pass(const DirectReader& rd, const std::vector<std::size_t>& pairs, unsigned threads, std::size_t x0,
                   std::size_t x1, std::size_t rows, bool accumulate, const std::vector<bool>& keep, float* coh_sum,
                   std::int32_t* coh_cnt, const ProgressFn& progress, double& t_read, Work&& work) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const std::size_t cols = x1 - x0, plane = rows * cols, n = pairs.size();
  std::vector<DirectWorker> workers(threads);
  std::mutex acc_mu;
  std::condition_variable acc_cv;
  bool failed = false;
  // Waits for turn `t` of counter c, runs fn, passes the turn on.
  auto in_turn = [&](std::size_t& c, std::size_t t, auto&& fn) {
    std::unique_lock<std::mutex> lk(acc_mu);
    acc_cv.wait(lk, [&] { return c == t || failed; });
    if (failed) return false;
    lk.unlock();
    fn();
    lk.lock();
    ++c;
    acc_cv.notify_all();
    return true;
  };
  std::atomic<std::size_t> done{0};
  std::mutex progress_mu;
  std::size_t reported = 0;
  auto one_done = [&] {
    const std::size_t n_done = ++done;
    if (progress && n_done * 100 / n != (n_done - 1) * 100 / n) {
      std::lock_guard<std::mutex> lk(progress_mu);
      if (n_done > reported) {  // another worker may have reported a later count already
        reported = n_done;
        report(progress, 0.9 * static_cast<double>(n_done) / static_cast<double>(n), "read");
      }
    }
  };
  auto guarded = [&](auto&& body) {
    try {
      body();
    } catch (...) {
      std::lock_guard<std::mutex> lk(acc_mu);
      failed = true;  // nobody waits for this worker's turns any more
      acc_cv.notify_all();
      throw;
    }
  };
  const auto t0 = Clock::now();
  if (!rd.compressed()) {
    const std::size_t band = rd.band_rows(1), n_bands = (rows + band - 1) / band;
    std::vector<std::size_t> acc_next(n_bands, 0);
    parallel_for(n, threads, [&](std::size_t i, unsigned wi) {
      DirectWorker& w = workers[wi];
      guarded([&] {
        w.coh.resize(plane);
        for (std::size_t b = 0; b < n_bands; ++b) {
          const auto tr = Clock::now();
          float* c = w.coh.data() + b * band * cols;
          rd.read_band(1, pairs[i], b, x0, x1, c, w.stage);
          w.read_s += since(tr);
          const std::size_t at = b * band * cols, m = std::min(band, rows - b * band) * cols;
          if (accumulate && !in_turn(acc_next[b], i, [&] {
                if (keep[pairs[i]]) published::avg_coh_accumulate(c, m, coh_sum + at, coh_cnt + at);
              }))
            return;
        }
        w.coh_p = w.coh.data();
        w.unw_p = nullptr;
        work(i, w);
        one_done();
      });
    });
  } else {
    // Tasks: the pairs of one row of chunks (decompressed once for all of them).
    const std::size_t cp = rd.group_pairs();
    std::vector<std::pair<std::size_t, std::size_t>> tasks;
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && pairs[j] / cp == pairs[i] / cp) ++j;
      tasks.emplace_back(i, j);
      i = j;
    }
    std::size_t acc_task = 0;
    parallel_for(tasks.size(), threads, [&](std::size_t t, unsigned wi) {
      DirectWorker& w = workers[wi];
      guarded([&] {
        const std::size_t i0 = tasks[t].first, i1 = tasks[t].second;  // (clang 14 cannot capture structured bindings)
        const std::size_t g = pairs[i0] / cp, first = g * cp;
        const auto tr = Clock::now();
        w.unw.resize(cp * plane);
        w.coh.resize(cp * plane);
        rd.read_group(0, g, x0, x1, w.unw.data(), w.packed, w.stage);
        rd.read_group(1, g, x0, x1, w.coh.data(), w.packed, w.stage);
        w.read_s += since(tr);
        if (accumulate && !in_turn(acc_task, t, [&] {
              for (std::size_t i = i0; i < i1; ++i)
                if (keep[pairs[i]])
                  published::avg_coh_accumulate(w.coh.data() + (pairs[i] - first) * plane, plane, coh_sum, coh_cnt);
            }))
          return;
        for (std::size_t i = i0; i < i1; ++i) {
          w.coh_p = w.coh.data() + (pairs[i] - first) * plane;
          w.unw_p = w.unw.data() + (pairs[i] - first) * plane;
          work(i, w);
          one_done();
        }
      });
    });
  }
  for (const auto& w : workers) t_read += w.read_s;
  return since(t0);
}

}  // namespace pjd
