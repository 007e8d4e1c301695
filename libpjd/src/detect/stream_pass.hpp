#pragma once
// Private: the streamed pass over the stack, the one scaffold of both detection methods.
// A StreamPass holds what every method computes per pair (the published profiles and
// statistics) and the temporal mean-coherence sum; the method adds its own per-pair work.
//  - reuse(): pairs whose profiles an earlier run left (a grown stack, ProfileCache) are
//    copied from it and not read again;
//  - run(): the other pairs, each handed to the method's work as a PassPair on a worker
//    thread. Uncompressed and LZF stacks are read directly by the workers (direct_pass.hpp);
//    otherwise in blocks of contiguous pairs, read through HDF5 on the calling thread while
//    a block runner computes the previous block (stream_blocks). The coherence sum is made
//    in pair order either way (numpy's float32 order), the same to the bit whatever the
//    thread count.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "core/parallel.hpp"
#include "detect/common.hpp"
#include "detect/direct_pass.hpp"
#include "detect/published/published.hpp"
#include "pjd/detect.hpp"
#include "pjd/progress.hpp"
#include "pjd/stack.hpp"

namespace pjd {

/// Worker threads of a pass: --threads, or one per core when 0.
inline unsigned pass_threads(const DetectParams& params) {
  return params.threads ? params.threads : std::max(1u, std::thread::hardware_concurrency());
}

/// One block of pairs, (pair, row, column) float32, for the blocked pass.
struct Block {
  std::size_t p0 = 0, p1 = 0;  ///< positions in the method's list of pairs to compute
  std::vector<float, NoFillAllocator<float>> unw, coh;
};

/// The blocked pass: blocks[k] = [p0, p1) is read by read(Block&, p0, p1) on the calling
/// thread (HDF5 stays there) while compute(Block&) runs on a block runner thread for the
/// previous block. With overlap = false (--threads 1: one core) each block is read and then
/// computed on the calling thread. Returns the compute seconds; reports progress 0..0.9 as
/// "read".
template <typename Read, typename Compute>
double stream_blocks(const std::vector<std::pair<std::size_t, std::size_t>>& blocks, Read&& read,
                     Compute&& compute, const ProgressFn& progress, bool overlap = true) {
  using Clock = std::chrono::steady_clock;
  const std::size_t nb = blocks.size();
  double t_compute = 0;
  if (!overlap) {
    Block buf;
    for (std::size_t k = 0; k < nb; ++k) {
      read(buf, blocks[k].first, blocks[k].second);
      const auto t0 = Clock::now();
      compute(buf);
      t_compute += std::chrono::duration<double>(Clock::now() - t0).count();
      report(progress, 0.9 * static_cast<double>(k + 1) / static_cast<double>(nb), "read");
    }
    return t_compute;
  }
  Block bufs[2];
  if (nb > 0) read(bufs[0], blocks[0].first, blocks[0].second);
  for (std::size_t k = 0; k < nb; ++k) {
    Block& cur = bufs[k % 2];
    std::exception_ptr err;
    double t_block = 0;
    std::thread runner([&] {
      const auto t0 = Clock::now();
      try {
        compute(cur);
      } catch (...) {
        err = std::current_exception();
      }
      t_block = std::chrono::duration<double>(Clock::now() - t0).count();
    });
    try {
      if (k + 1 < nb) read(bufs[(k + 1) % 2], blocks[k + 1].first, blocks[k + 1].second);
    } catch (...) {
      runner.join();
      throw;
    }
    runner.join();
    t_compute += t_block;
    if (err) std::rethrow_exception(err);
    report(progress, 0.9 * static_cast<double>(k + 1) / static_cast<double>(nb), "read");
  }
  return t_compute;
}

/// One pair as the pass hands it to the method's work, on a worker thread: its coherence
/// plane and its phase, row by row.
class PassPair {
 public:
  std::size_t q = 0;          ///< position in the method's list of pairs
  std::size_t pair = 0;       ///< index in the stack
  const float* coh = nullptr; ///< coherence, rows x cols
  published::PairScratch* scratch = nullptr;

  /// Phase row r (cols float32). Rows are asked for in ascending order, each at most once:
  /// an uncompressed stack is read a band of rows at a time, as they are needed.
  const float* phase_row(std::size_t r) {
    if (plane_) return plane_ + r * cols_;
    if (r / band_ != have_) {
      // The last row of the band in hand stays readable as previous_row().
      if (have_ != kNone)
        std::copy_n(w_->unw.data() + (band_ - 1) * cols_, cols_, w_->prev_row.begin());
      have_ = r / band_;
      const auto t0 = std::chrono::steady_clock::now();
      rd_->read_band(0, pair, have_, x0_, x0_ + cols_, w_->unw.data(), w_->stage);
      w_->read_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    return w_->unw.data() + (r % band_) * cols_;
  }
  /// Phase row r - 1, right after phase_row(r) for r >= 1 and r - 1 the row asked for before.
  const float* previous_row(std::size_t r) const {
    if (plane_ || (r - 1) / band_ == have_) return phase_row_in_hand(r - 1);
    return w_->prev_row.data();
  }
  /// phase_row() as the std::function that published::process_pair takes.
  std::function<const float*(std::size_t)> phase_rows() {
    return [this](std::size_t r) { return phase_row(r); };
  }

  /// A pair whose phase plane is in memory (a block, a row of LZF chunks).
  PassPair(std::size_t q_, std::size_t pair_, const float* coh_, const float* unw, std::size_t cols,
           published::PairScratch& s)
      : q(q_), pair(pair_), coh(coh_), scratch(&s), plane_(unw), cols_(cols) {}
  /// A pair of an uncompressed stack, its phase read by bands with rd into w.
  PassPair(std::size_t q_, std::size_t pair_, const DirectReader& rd, DirectWorker& w, std::size_t x0,
           std::size_t cols)
      : q(q_), pair(pair_), coh(w.coh_p), scratch(&w.scratch), rd_(&rd), w_(&w), x0_(x0), cols_(cols),
        band_(rd.band_rows(0)) {
    w.unw.resize(band_ * cols);
    w.prev_row.resize(cols);
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  const float* phase_row_in_hand(std::size_t r) const {
    return plane_ ? plane_ + r * cols_ : w_->unw.data() + (r % band_) * cols_;
  }
  const float* plane_ = nullptr;
  const DirectReader* rd_ = nullptr;
  DirectWorker* w_ = nullptr;
  std::size_t x0_ = 0, cols_ = 0, band_ = 1, have_ = kNone;
};

/// The streamed pass of one detection run over the columns [x0, x1) of the pairs pair_idx
/// (ascending stack indices; position q of the method's lists is stack pair pair_idx[q]).
class StreamPass {
 public:
  StreamPass(const Stack& stack, const DetectParams& params, std::size_t x0, std::size_t x1,
             std::vector<std::size_t> pair_idx);

  // Per pair (position q), (pairs x rows): the published profiles and statistics.
  std::vector<double> intensity, med_grad;
  std::vector<std::int32_t> counts;
  std::vector<published::PairStats> stats;
  // The temporal sum of the coherence of the kept pairs (dropIfgram) and its count, per cell.
  std::vector<float> coh_sum;
  std::vector<std::int32_t> coh_cnt;
  bool coh_summed = false;    ///< coh_sum holds every kept pair of the stack
  std::size_t n_reused = 0;   ///< pairs taken from the ProfileCache
  double t_read = 0, t_compute = 0;

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  unsigned threads() const { return threads_; }
  const std::vector<std::size_t>& pair_idx() const { return pair_idx_; }

  /// Takes the profiles of the pairs that `cache` holds with rows-long published profiles and
  /// for which accept(profile) holds, and calls on_reused(q, profile) for each; the others
  /// are left for run(). Without a cache every pair is left.
  void reuse(const ProfileCache* cache, const std::function<bool(const PairProfile&)>& accept,
             const std::function<void(std::size_t, const PairProfile&)>& on_reused);

  /// The pass over the pairs reuse() left: work(PassPair&) for each, on `threads()` workers,
  /// writing only what belongs to its pair; the coherence sum of the kept pairs as well when
  /// the whole stack is analysed (no --pair) and no pair was reused (coh_summed). Reports
  /// progress 0..0.9 as "read".
  template <typename Work>
  void run(const ProgressFn& progress, Work&& work);

  /// One more pass, over the coherence of every kept pair of the stack, for the sum alone
  /// (when run() did not make it: --pair, reused pairs).
  void sum_coherence();
  /// The temporal mean coherence, float32(sum / count) per cell (NaN where no kept pair has
  /// a value), as numpy's nanmean leaves it.
  std::vector<float> mean_coherence() const;

 private:
  /// Blocks of at most `per_block` positions of `list` (indices into it), each contiguous in
  /// the stack (never across a gap).
  static std::vector<std::pair<std::size_t, std::size_t>> blocks_of(const std::vector<std::size_t>& list,
                                                                     std::size_t per_block);
  /// Reads positions [p0, p1) of `list` (contiguous stack pairs) into b: coherence, and the
  /// phase when with_unw.
  void read_block(Block& b, const std::vector<std::size_t>& list, std::size_t p0, std::size_t p1, bool with_unw);
  /// Adds the coherence of the kept pairs of block b (positions of `list`) to the sum, split
  /// by rows over the workers; in each cell, in pair order.
  void sum_block(const Block& b, const std::vector<std::size_t>& list);
  /// Refuses stack pair `pair` for the cell `bad` (row and column of the analysed plane):
  /// an Error (Data) naming the file, the dataset, the pair, the cell and its value.
  [[noreturn]] void refuse_bad_cell(std::size_t pair, const published::BadCell& bad) const;

  const Stack& stack_;
  const DetectParams& params_;
  std::vector<std::size_t> pair_idx_, todo_;  // todo_: positions left for run(), ascending
  std::size_t rows_, x0_, x1_, cols_, plane_;
  unsigned threads_;
};

template <typename Work>
void StreamPass::run(const ProgressFn& progress, Work&& work) {
  const bool sum = !params_.pair && n_reused == 0;
  std::vector<std::size_t> todo_idx(todo_.size());  // stack pairs of the positions to compute
  for (std::size_t i = 0; i < todo_.size(); ++i) todo_idx[i] = pair_idx_[todo_[i]];
  const auto direct = todo_.empty() ? nullptr : open_direct(stack_, {"unwrapPhase", "coherence"}, threads_, cols_);
  // The method's work, then the pair refused if process_pair met a cell no stack can hold.
  auto checked = [&](PassPair& in) {
    work(in);
    if (in.scratch->bad.found) refuse_bad_cell(in.pair, in.scratch->bad);
  };
  if (direct) {
    t_compute = direct_pass(*direct, todo_idx, threads_, x0_, x1_, rows_, sum, stack_.keep(), coh_sum.data(),
                            coh_cnt.data(), progress, t_read, [&](std::size_t i, DirectWorker& w) {
                              if (w.unw_p) {  // a compressed stack: the pass read the phase
                                PassPair in(todo_[i], todo_idx[i], w.coh_p, w.unw_p, cols_, w.scratch);
                                checked(in);
                              } else {
                                PassPair in(todo_[i], todo_idx[i], *direct, w, x0_, cols_);
                                checked(in);
                              }
                            });
  } else {
    const std::size_t bp = params_.pair ? 1
                                        : std::max<std::size_t>(1, stack_.block_pairs({"unwrapPhase", "coherence"},
                                                                                      cols_, params_.block_bytes));
    std::vector<published::PairScratch> scratch(threads_);
    t_compute = stream_blocks(
        blocks_of(todo_idx, bp),
        [&](Block& b, std::size_t p0, std::size_t p1) { read_block(b, todo_idx, p0, p1, true); },
        [&](const Block& cur) {
          parallel_for(cur.p1 - cur.p0, threads_, [&](std::size_t i, unsigned w) {
            const std::size_t p = cur.p0 + i;
            PassPair in(todo_[p], todo_idx[p], cur.coh.data() + i * plane_, cur.unw.data() + i * plane_, cols_,
                        scratch[w]);
            checked(in);
          });
          if (sum) sum_block(cur, todo_idx);
        },
        progress, /*overlap=*/threads_ > 1);  // --threads 1: one core
  }
  coh_summed = sum;
}

}  // namespace pjd
