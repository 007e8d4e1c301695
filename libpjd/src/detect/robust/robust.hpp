#pragma once
// The robust method's steps (share/docs/robust-method.md), on plain arrays so each can be
// unit tested. Units are in the names: _rad (radians of unwrapped phase), _mm (LOS mm),
// _px (azimuth pixels), _rows. Profiles are (pairs x rows) row-major; NaN = no data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pjd::robust {

inline constexpr double kLineTimeS = 2.055556e-3;  ///< Sentinel-1 IW azimuth time interval
inline constexpr double kBurstCycleS = 2.7586;     ///< Sentinel-1 IW burst cycle
inline constexpr double kBurstCycleLines = kBurstCycleS / kLineTimeS;  ///< ~1342 single-look lines

/// J = 2 pi df_ovl dt (rad per px of azimuth misregistration) for IW1..IW3 (index 0..2);
/// other indices get IW2's value.
double jump_rad_per_px(int iw_index);

/// Column segments: near-equal ranges covering [0, cols), at most max_segments, each at
/// least min_width columns wide (one segment when cols < 2 * min_width). Returns K+1 bounds.
std::vector<std::size_t> segment_bounds(std::size_t cols, std::size_t max_segments, std::size_t min_width);

/// Per pair, per row r >= 1 and segment k: the sum and the count of the signed azimuth
/// gradient d = phi[r] - phi[r-1] (rad) over the segment's columns where both cells are valid
/// (finite, phase != 0, coherence >= coh_floor) and |d| < pi (a 2 pi unwrapping error is
/// left out rather than averaged in). Row 0 gets 0 / 0. sum_rad and count are rows x K.
/// The mean is linear, so the sum over rows of a profile telescopes to a phase difference.
void gradient_profile(const float* unw, const float* coh, std::size_t rows, std::size_t cols,
                      const std::vector<std::size_t>& bounds, float coh_floor, float* sum_rad, float* count);

/// gradient_profile() for rows [r0, r1) only (r0 >= 1; the other rows are left untouched).
/// Each segment's sum is taken in 8 interleaved lanes combined in a fixed order (it
/// vectorises; the same values whatever the thread count).
void gradient_rows(const float* unw, const float* coh, std::size_t r0, std::size_t r1, std::size_t cols,
                   const std::vector<std::size_t>& bounds, float coh_floor, float* sum_rad, float* count);
/// gradient_rows() for one row r >= 1, given rows r - 1 (unw_prev, coh_prev) and r (unw, coh):
/// writes the K sums and counts of row r (sum_rad, count: K values each).
void gradient_row(const float* unw_prev, const float* unw, const float* coh_prev, const float* coh, std::size_t cols,
                  const std::vector<std::size_t>& bounds, float coh_floor, float* sum_rad, float* count);

/// Squared gradients as exact integers: units of 2^-32 rad^2 (|d| < pi, so thousands of pairs
/// fit an int64), so sums do not depend on the order pairs are added in.
inline std::int64_t energy_units(float d) { return static_cast<std::int64_t>(static_cast<double>(d * d) * 4294967296.0); }
inline double energy_rad2(std::int64_t units) { return static_cast<double>(units) / 4294967296.0; }

/// Adds the squared gradients of one pair's columns (rows x w, row-major) to the energy plane
/// esum/ecnt (rows x plane_cols) at columns [col0, col0 + w), over the cells gradient_rows()
/// keeps.
void energy_columns(const float* unw, const float* coh, std::size_t rows, std::size_t w, float coh_floor,
                    std::size_t plane_cols, std::size_t col0, std::int64_t* esum, std::int32_t* ecnt);

/// Mean gradient of segments [k0, k1) of one pair's sums/counts (rows x K): out_rad[r] and
/// out_count[r]; NaN (and 0) where the segments hold no cell on that row.
void group_profile(const float* sum_rad, const float* count, std::size_t rows, std::size_t n_segments,
                   std::size_t k0, std::size_t k1, double* out_rad, double* out_count);

/// Stacked seam energy over pairs. mean_rad/count are (pairs x rows) profiles; use[p] says
/// whether the pair takes part. Each pair's profile is detrended by a running median (+-8 rows),
/// standardised by its own robust noise (so every pair weighs alike), squared, capped at
/// kEnergyCap and averaged over pairs: e1 for single rows, e3 for 3-row sums (a smeared
/// step). sig1/sig3 are (e - median) / (1.4826 MAD) over rows: robust sigmas above the floor.
inline constexpr double kEnergyCap = 25.0;
/// sig (detection) is the larger of sig3 and the significance of the capped single-row energy.
struct Stacked {
  std::vector<double> e1, e3, sig1, sig3, sig;
  std::size_t n_pairs = 0;  ///< pairs that took part
};
/// fast: detrend by a mean that leaves out rows r+-1 (O(rows)) instead of the running median;
/// strong seams then make side peaks a few rows away, so it serves only where the rows are
/// known already (the column signatures of the sub-swath split).
/// threads: workers for the per-pair profiles (the sums stay in pair order).
Stacked stack_energy(const std::vector<double>& mean_rad, const std::vector<double>& count, std::size_t rows,
                     const std::vector<bool>& use, bool fast = false, unsigned threads = 1);
/// stack_energy() on the mean profiles of segments [k0, k1) of per-pair segment sums and
/// counts (np x rows x K, as gradient_rows() writes them), each pair's profile made by
/// group_profile() as it is needed: the same result, without the (pairs x rows) arrays.
Stacked stack_energy_segments(const float* sum_rad, const float* count, std::size_t np, std::size_t rows,
                              std::size_t K, std::size_t k0, std::size_t k1, const std::vector<bool>& use,
                              bool fast = false, unsigned threads = 1);

/// Seam rows from the stacked significance: peaks, a regular spacing, the burst count.
struct SeamSearch {
  std::vector<std::size_t> rows;       ///< first row after each seam, ascending
  std::vector<double> significance;    ///< detection significance (Stacked::sig) at each
  double spacing_rows = 0;             ///< estimated seam spacing (0 when < 2 seams)
  std::vector<std::string> notes;      ///< how it was decided, rejected peaks
  /// Every peak >= kSigWeak (located), on the grid or not: the input of the sub-swath split.
  std::vector<std::size_t> candidate_rows;
  std::vector<double> candidate_sig;
};
inline constexpr double kSigStrong = 9.0;  ///< a peak this strong is a seam candidate by itself
inline constexpr double kSigWeak = 5.0;    ///< a peak on the seam grid needs this much
inline constexpr double kRelativeSig = 0.35;  ///< ... and this fraction of the median strong seam's significance
/// spacing_prior_rows: ~1342 / ALOOKS (0 = none); n_burst_override: >= 2 forces B-1 seams.
SeamSearch find_seams(const Stacked& st, std::size_t rows, double spacing_prior_rows, int n_burst_override);

/// Signed step at a seam whose first row after it is b: the sum of the mean-gradient rows
/// b-h..b+h (a telescoping phase difference across the smeared step) minus (2h+1) times the
/// local azimuth trend, the mean gradient of up to w rows either side beyond a one-row gap.
/// NaN without data.
/// order 2 fits a quadratic trend to the phase profile either side instead (curvature of
/// deformation or troposphere), with the step as a fourth unknown.
double fit_step(const double* mean_rad, std::size_t rows, std::size_t b, int h, int w, int order = 1);
/// Noise of fit_step on this profile: 1.4826 MAD of fit_step at rows whose windows touch no
/// seam. NaN when fewer than 5 such rows.
double step_sigma(const double* mean_rad, std::size_t rows, const std::vector<std::size_t>& seams, int h, int w,
                  int order = 1);

/// Robust least squares on a pair network: obs[i] = v[sec[i]] - v[ref[i]] (+ noise sigma[i]).
/// Huber IRLS; each connected component's datum puts the median of its v at 0.
struct Network {
  std::vector<double> v, sigma_v;   ///< per date
  std::vector<double> cov;          ///< n x n covariance of v (mean-zero datum per component)
  std::vector<double> weight;       ///< final robust weight per observation (0..1)
  std::vector<double> residual;     ///< obs - fit
  std::vector<int> component;       ///< per date; -1 = in no observation
  double scale = 1;                 ///< robust scale of the standardised residuals (>= 1)
};
Network invert_network(std::size_t n_dates, const std::vector<std::size_t>& ref, const std::vector<std::size_t>& sec,
                       const std::vector<double>& obs, const std::vector<double>& sigma);

/// Sub-swath split by seam signatures: the peaks found on the full width (rows, sig) are
/// grouped by their column profiles (each peak's strength in each segment, from seg_sig, the
/// segments' detection significance profiles); peaks of one sub-swath are strong in the same segments. Groups
/// with at least two strong peaks (>= kSigStrong) are sub-swaths; each segment goes to the one
/// whose peaks are strongest in it, and runs of segments become [k0, k1) ranges, left to right.
std::vector<std::pair<std::size_t, std::size_t>> split_by_signatures(const std::vector<std::size_t>& peak_rows,
                                                                     const std::vector<double>& peak_sig,
                                                                     const std::vector<std::vector<double>>& seg_sig,
                                                                     double min_similarity = 0.8);
/// Column cut between two sub-swaths from per-column seam evidence d_col (positive: left
/// sub-swath's seams, negative: right's), searched in [lo, hi): the x maximising
/// sum_{lo<=c<x} d - sum_{x<=c<hi} d.
std::size_t best_cut(const std::vector<double>& d_col, std::size_t lo, std::size_t hi);

/// v in fixed notation with prec decimals ("12.3"), for notes and summaries.
std::string fixed(double v, int prec = 1);

/// Robust statistics on finite values (NaN ignored; NaN when none).
double median_of(const std::vector<double>& v);
double mad_sigma(const std::vector<double>& v);  ///< 1.4826 * median |v - median|

}  // namespace pjd::robust
