#pragma once
// Private: what every detection method puts in its result before the work starts.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
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
    res.profiles.counts[i] = counts[i];
  }
  if (!res.skipped_pairs.empty())
    res.warnings.push_back("Excluding a total of " + std::to_string(res.skipped_pairs.size()) +
                           " pairs from the assessment due to mean coherence < 0.4");
  return skipped;
}

}  // namespace pjd
