#pragma once
// The published method (Viotto & Bookhagen), as its reference implementation
// behaves, split into steps that take plain arrays so each can be unit tested.
// Stack-wide arrays are (pairs x rows) row-major doubles; NaN = no data.
// Step numbers refer to shared/docs/published-method.md.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/numeric.hpp"

namespace pjd::published {

/// Per-pair statistics, as the reference stores them: rounded to 2 decimals and
/// held in float32 (then widened), so the threshold M compares as that value.
struct PairStats {
  double coh_median = 0, coh_mean = 0, coh_std = 0;
  double grad_median_mm = 0, grad_mean_mm = 0, grad_std_mm = 0;
  bool skipped = false;  ///< step 7: coh_mean < 0.4
};

/// The largest coherence a stack may hold: 1 and float rounding. Coherence is a modulus of
/// a normalised correlation, 0 to 1; NaN is no data.
inline constexpr float kCoherenceMax = 1.0001f;

/// A cell no interferogram can hold: a coherence below 0 or above kCoherenceMax, or an
/// infinite phase (NaN is no data in both, never bad).
struct BadCell {
  bool found = false;
  bool coherence = false;  ///< true: the coherence cell; false: the unwrapped phase cell
  std::size_t row = 0, col = 0;  ///< in the plane process_pair was given
  float value = 0;
};

/// The first cell of coh[0, n) (row-major) that is not a coherence, or n. Vectorised.
std::size_t first_bad_coherence(const float* coh, std::size_t n);

/// Reusable per-thread storage for process_pair.
struct PairScratch {
  std::vector<float> f;                  ///< |azimuth difference| of the masked phase (float32), NaN = no data
  std::vector<float> row, mu, gathered, cgathered;
  std::vector<std::uint32_t> bk, rowbits, rowtmp;
  std::vector<std::uint8_t> mark;
  std::vector<double> drow;
  num::BucketHistogram fhist, chist;     ///< of f and of the masked coherence
  num::PairwiseStream<float> fsum;
  num::PairwiseStream<double> dsum;
  /// The first bad cell process_pair met (pass A, row-major; the coherence first in a row),
  /// found = false when none. process_pair goes on regardless (its results are the reference
  /// arithmetic's on whatever it was given); the caller refuses the pair.
  BadCell bad;
};

/// Steps 2-9 for one pair. unw and coh are rows x cols float32 (not modified).
/// Writes per row: intensity (% of valid cells with g >= M, rounded to 1 decimal,
/// NaN when no valid cell; 0 stays 0), counts (valid cells) and median |gradient|
/// in mm (NaN when no valid cell). Records in scratch.bad the first cell that is not a
/// coherence or an infinite phase (BadCell), at the cost of a comparison per cell.
PairStats process_pair(const float* unw, const float* coh, std::size_t rows, std::size_t cols,
                       double cmin, double wavelength_m, double* intensity, std::int32_t* counts,
                       double* med_grad_mm, PairScratch& scratch);
/// The same, the phase given row by row: unw_row(r) is row r (cols float32), asked for in
/// ascending order once each, so a reader can hand over one band of rows at a time.
PairStats process_pair(const std::function<const float*(std::size_t)>& unw_row, const float* coh,
                       std::size_t rows, std::size_t cols, double cmin, double wavelength_m, double* intensity,
                       std::int32_t* counts, double* med_grad_mm, PairScratch& scratch);

/// Step 10, intensity and median gradient: 0 -> NaN, and every row of a skipped pair -> NaN.
void nan_zero_and_skipped(std::vector<double>& a, const std::vector<bool>& skipped, std::size_t rows);

/// Step 10, counts as the masking steps see them: 0 and -999 -> NaN. Rows of skipped
/// pairs become INT64_MIN (as a double): the reference assigns NaN into an integer
/// xarray, which numpy casts to INT64_MIN; they then weigh in the percentile P.
std::vector<double> counts_for_masking(const std::vector<std::int32_t>& counts,
                                       const std::vector<bool>& skipped, std::size_t rows);

/// Step 11: P = nanpercentile(counts, pct*100), p = width * pct.
struct RowReliability {
  double percentile_count = 0;  ///< P
  double width_count = 0;       ///< p
  double threshold = 0;         ///< the one applied (C > threshold)
  bool auto_mask = false;       ///< p > P: the average-coherence mask switches on
};
RowReliability row_reliability(const std::vector<double>& counts_nan, std::size_t width, double pct);
/// Sets intensity to NaN where !(count > threshold).
void apply_row_reliability(std::vector<double>& intensity, const std::vector<double>& counts_nan,
                           const RowReliability& rel);

/// Step 12 accumulation: the NaN-aware temporal mean as numpy computes it over axis 0
/// (float32 sums in pair order; count of non-NaN). Call once per kept pair, in order, on
/// sums that start at +0.
void avg_coh_accumulate(const float* coh, std::size_t n, float* sum, std::int32_t* count);
/// Mean = float32(sum / count) (NaN when count == 0), then per row the number of
/// cells with mean >= cmin (compared in float32).
std::vector<std::int32_t> avg_coh_mask_counts(const float* sum, const std::int32_t* count,
                                              std::size_t rows, std::size_t cols, double cmin);
/// Sets intensity to NaN where !(count >= mask_counts[row]).
void apply_avg_coh_mask(std::vector<double>& intensity, const std::vector<double>& counts_nan,
                        const std::vector<std::int32_t>& mask_counts);

/// Steps 13-14: detrend by the per-row median over pairs, d[0] = I[0], d[i] = I[i]-I[i-1],
/// and the rows with d > 3 * nanstd(d) of each pair, concatenated pair after pair.
std::vector<std::size_t> coarse_detection(std::vector<double> intensity, std::size_t rows);

/// Step 15: refinement. n_pairs counts all pairs of med_grad (skipped included).
struct Refined {
  std::vector<std::size_t> rows;
  std::vector<std::size_t> votes;   ///< pairs that flagged each row
  std::vector<double> median_grad;  ///< median over pairs of med_grad at the row
};
Refined refine_detection(const std::vector<std::size_t>& ylist, const std::vector<double>& med_grad,
                         std::size_t rows, int n_burst);
/// Step 15 warnings (reference wording, with the reference's spacing test).
std::vector<std::string> seam_warnings(const std::vector<std::size_t>& seams, int n_burst, std::size_t rows);

/// Step 16: ramp per pair (NaN for pairs dropped: no value at any seam row, or no seams).
std::vector<double> measure_pj(const std::vector<double>& med_grad, std::size_t rows,
                               const std::vector<std::size_t>& seams, int n_burst);

/// Step 17, dates: over the assessed pairs (with a ramp), dates where more than 50%
/// of their pairs are excluded. Names are YYYYMMDD_yyyymmdd. Sorted output.
std::vector<std::string> excluded_dates(const std::vector<std::string>& assessed,
                                        const std::vector<std::string>& excluded);

}  // namespace pjd::published
