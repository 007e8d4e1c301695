#pragma once
// Private: what every detection method puts in its result before the work starts.
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "pjd/detect.hpp"
#include "detect/published/published.hpp"

namespace pjd {

/// A result holding the (validated) parameters, the stack's identity and the analysed
/// columns [x0, x1).
inline DetectResult begin_result(const Stack& stack, const DetectParams& params) {
  DetectResult res;
  res.params = params;
  res.stack_file = std::filesystem::weakly_canonical(std::filesystem::absolute(stack.file())).string();
  res.length = stack.length();
  res.width = stack.width();
  res.n_pairs_stack = stack.n_pairs();
  res.orbit_direction = stack.orbit_direction();
  res.platform = stack.platform();
  res.wavelength_m = stack.wavelength_m();
  const auto dates = stack.dates();
  if (!dates.empty()) {
    res.first_date = dates.front();
    res.last_date = dates.back();
  }
  res.x0 = params.sub_x ? params.sub_x->first : 0;
  res.x1 = params.sub_x ? params.sub_x->second : stack.width();
  return res;
}

/// Allocator of the block buffers (hundreds of MB that HDF5 overwrites): resize does not
/// zero-fill them first.
template <typename T>
struct NoFillAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = NoFillAllocator<U>;
  };
  NoFillAllocator() = default;
  template <typename U>
  NoFillAllocator(const NoFillAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: no zero fill
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// One block of pairs, (pair, row, column) float32, for the streamed pass.
struct Block {
  std::size_t p0 = 0, p1 = 0;  ///< positions in the method's list of pairs to compute
  std::vector<float, NoFillAllocator<float>> unw, coh;
};

/// The streamed pass shared by the methods: blocks[k] = [p0, p1) is read by read(Block&,
/// p0, p1) on the calling thread (HDF5 stays there) while compute(Block&) runs on a block
/// runner thread for the previous block. With overlap = false (--threads 1: one core) each
/// block is read and then computed on the calling thread. Returns the compute seconds;
/// reports progress 0..0.9 as "read".
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

/// Per-pair results (name, baseline, statistics, skipped) and the published profiles from
/// the per-pair pass; pair q of the result is stack pair pair_idx[q]. Fills res.pairs,
/// res.skipped_pairs, res.profiles and the skip warning; returns the skipped flags.
inline std::vector<bool> fill_pair_results(const Stack& stack, const std::vector<std::size_t>& pair_idx,
                                           const std::vector<published::PairStats>& stats,
                                           const std::vector<double>& intensity,
                                           const std::vector<double>& med_grad,
                                           const std::vector<std::int32_t>& counts, std::size_t rows,
                                           DetectResult& res) {
  const std::size_t np = pair_idx.size();
  std::vector<bool> skipped(np);
  res.pairs.resize(np);
  for (std::size_t q = 0; q < np; ++q) {
    const Pair& pr = stack.pairs()[pair_idx[q]];
    PairResult& r = res.pairs[q];
    r.pair = pr.name();
    r.btemp_days = pr.btemp_days();
    r.coh_median = stats[q].coh_median;
    r.coh_mean = stats[q].coh_mean;
    r.coh_std = stats[q].coh_std;
    r.grad_median_mm = stats[q].grad_median_mm;
    r.grad_mean_mm = stats[q].grad_mean_mm;
    r.grad_std_mm = stats[q].grad_std_mm;
    r.skipped = stats[q].skipped;
    skipped[q] = r.skipped;
    if (r.skipped) res.skipped_pairs.push_back(r.pair);
  }
  res.profiles.n_pairs = np;
  res.profiles.length = rows;
  res.profiles.intensity_pct.resize(np * rows);
  res.profiles.median_grad_mm.resize(np * rows);
  res.profiles.counts.resize(np * rows);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < np * rows; ++i) {
    res.profiles.intensity_pct[i] = intensity[i] == 0.0 ? kNaN : intensity[i];
    res.profiles.median_grad_mm[i] = med_grad[i] == 0.0 ? kNaN : med_grad[i];
    res.profiles.counts[i] = static_cast<std::int16_t>(counts[i]);
  }
  if (!res.skipped_pairs.empty())
    res.warnings.push_back("Excluding a total of " + std::to_string(res.skipped_pairs.size()) +
                           " pairs from the assessment due to mean coherence < 0.4");
  return skipped;
}

}  // namespace pjd
