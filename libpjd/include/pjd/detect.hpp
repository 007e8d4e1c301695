#pragma once
// Phase-jump detection over a stack: the published method (Viotto & Bookhagen),
// streamed in blocks of pairs. One DetectResult feeds the CLI, the catalogue and QGIS.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pjd/progress.hpp"
#include "pjd/stack.hpp"

namespace pjd {

inline constexpr int kDetectSchemaVersion = 1;

struct DetectParams {
  /// B, bursts per sub-swath; b = B-1 seams. Published: required (>= 2). Robust: 0 = estimate
  /// from the data (the result's params then hold the count used), >= 2 = override.
  int n_burst = 0;
  std::string method = "robust";  ///< "robust" (share/docs/robust-method.md) or "published" (the reference)
  double pct = 0.25;                ///< --pct: percentile of row counts, as a fraction (0-1)
  double cmin = 0.75;               ///< --cmin: minimum coherence for a cell to count
  bool mask_avg_coh = false;        ///< --msk-avgCoh: force the average-coherence mask on
  double pj_thr_mm = 5.0;           ///< --pj-thr: ramp threshold for exclusion, mm
  std::optional<std::pair<std::size_t, std::size_t>> sub_x;  ///< --sub-x X0 X1 (any order)
  std::optional<std::string> pair;  ///< --pair YYYYMMDD_yyyymmdd: analyse one pair only
  unsigned threads = 0;             ///< worker threads; 0 = every core
  std::size_t block_bytes = 256u << 20;  ///< target bytes of one block of pairs (both datasets)
  /// Robust only: a date is excluded when |misregistration| exceeds
  /// max(date_thr_px, 3.5 robust standard deviations of all dates' misregistrations).
  double date_thr_px = 0.005;
};

/// Per-pair statistics (numpy conventions, rounded to 2 decimals) and outcome.
struct PairResult {
  std::string pair;           ///< YYYYMMDD_yyyymmdd
  int btemp_days = 0;
  double coh_median = NAN, coh_mean = NAN, coh_std = NAN;
  double grad_median_mm = NAN, grad_mean_mm = NAN, grad_std_mm = NAN;
  bool skipped = false;       ///< mean coherence < 0.4: left out of the assessment
  std::optional<double> ramp_mm;  ///< accumulated jump (Eq. 8); empty when not assessed
  bool excluded = false;      ///< ramp_mm >= pj_thr_mm
  /// Median |azimuth gradient| (mm) of the pair at each seam row (same order as
  /// DetectResult::seams); NaN where the row has no value or the pair is skipped.
  std::vector<double> seam_grad_mm;
  // Robust method only (empty / unset for published):
  /// Signed step phi(after) - phi(before) at each seam (same order as DetectResult::seams),
  /// LOS mm, measured in the pair's own sub-swath columns with the local azimuth trend removed;
  /// NaN where not measured (skipped pair, no data).
  std::vector<double> seam_jump_mm;
  std::vector<double> seam_jump_sigma_mm;  ///< 1-sigma uncertainty of seam_jump_mm
  std::optional<double> ramp_sigma_mm;     ///< 1-sigma uncertainty of ramp_mm
  /// Accumulated jump per sub-swath (DetectResult::subswaths order); ramp_mm is their maximum.
  std::vector<double> subswath_ramp_mm;
  /// Robust residual of the pair in the network inversion (measured - fitted total step), mm.
  std::optional<double> network_residual_mm;
};

/// Robust method: one date's azimuth misregistration from the network inversion.
struct DateMisregistration {
  std::string date;           ///< YYYYMMDD
  double misreg_px = NAN;     ///< azimuth misregistration, pixels (median of all dates = 0)
  double sigma_px = NAN;      ///< 1-sigma uncertainty
  double jump_mm = NAN;       ///< the LOS jump per seam it causes against a perfect date, mm (signed)
  double jump_sigma_mm = NAN;
  std::size_t n_pairs = 0;    ///< measured pairs containing the date
  bool excluded = false;      ///< |misreg_px| above the date threshold
};

/// Robust method: a range of columns whose seams sit on the same rows (one sub-swath).
struct SubswathRange {
  std::string name;            ///< "IW1", "IW2", ... by column order (near range first)
  std::size_t x0 = 0, x1 = 0;  ///< columns [x0, x1) of the stack
  int n_burst = 0;             ///< seams + 1
  double seam_spacing_rows = NAN;
  double jump_rad_per_px = NAN;  ///< J = 2 pi df_ovl dt assumed for the sub-swath
};

/// A seam row found by the refinement, with the number of pairs that flagged it.
struct SeamRow {
  std::size_t row = 0;        ///< first row after the seam (reference convention)
  std::size_t votes = 0;      ///< pairs whose coarse peaks include this row
  double median_grad_mm = NAN;  ///< median over pairs of the row's median |gradient|
  // Robust method only:
  std::size_t subswath = 0;     ///< index into DetectResult::subswaths
  double significance = NAN;    ///< stacked step energy above the noise floor, in robust sigmas
};

/// Row profiles, (pairs x rows) row-major, for all pairs analysed (skipped included).
struct Profiles {
  std::size_t n_pairs = 0;
  std::size_t length = 0;
  std::vector<double> intensity_pct;   ///< % of valid cells with g >= median, 1 decimal; NaN = no data (or 0)
  /// Valid cells per row (C); -999 = never computed. Int32: a row of a full-resolution
  /// stack holds more than 32767 cells (the reference keeps int64 in memory and writes int16).
  std::vector<std::int32_t> counts;
  std::vector<double> median_grad_mm;  ///< median |azimuth gradient| per row, mm; NaN = no data (or 0)
};

/// One pair's profiles and statistics from an earlier run, for reuse when a stack has
/// grown (see detect()). Valid only for the same columns and cmin.
struct PairProfile {
  PairResult stats;                    ///< pair, btemp_days, statistics, skipped
  std::vector<double> intensity_pct;   ///< per row, as Profiles
  std::vector<std::int32_t> counts;
  std::vector<double> median_grad_mm;
  /// Robust method: gradient sums (rad) and cell counts per row and column segment
  /// (rows x n_segments); empty when the earlier run was published.
  std::size_t n_segments = 0;
  std::vector<float> seg_grad_sum_rad, seg_grad_cnt;
};
/// Reusable profiles by pair name (YYYYMMDD_yyyymmdd).
using ProfileCache = std::map<std::string, PairProfile>;

struct DetectResult {
  int schema_version = kDetectSchemaVersion;
  DetectParams params;
  // Stack identity.
  std::string stack_file;
  std::size_t length = 0, width = 0;   ///< full stack size
  std::size_t x0 = 0, x1 = 0;          ///< analysed columns [x0, x1)
  std::size_t n_pairs_stack = 0;
  std::string orbit_direction, platform;
  double wavelength_m = NAN;
  std::string first_date, last_date;
  // Outcome.
  std::vector<PairResult> pairs;       ///< in stack order (one entry with --pair)
  std::vector<SeamRow> seams;          ///< ascending rows
  std::vector<std::string> warnings;
  std::vector<std::string> skipped_pairs;   ///< mean coherence < 0.4, stack order
  std::vector<std::string> excluded_pairs;  ///< ramp >= threshold, sorted by name
  std::vector<std::string> excluded_dates;  ///< sorted
  /// Pairs without a ramp (skipped, or no value at any seam row), sorted by name:
  /// the list the reference writes as "pairs skipped from assessment".
  std::vector<std::string> unassessed_pairs;
  double row_count_threshold = NAN;    ///< the reliability threshold actually applied to C
  double row_count_percentile = NAN;   ///< P: the pct-th percentile of the row counts
  double row_count_width = NAN;        ///< p: effective width * pct
  bool avg_coh_mask_used = false;
  bool avg_coh_mask_auto = false;      ///< switched on by the dynamic threshold
  std::vector<std::int32_t> avg_coh_mask_counts;  ///< per row, when the mask is used
  Profiles profiles;
  /// Temporal mean coherence of the pairs kept by dropIfgram over the analysed columns,
  /// (rows x (x1 - x0)) row-major, NaN where no pair has a value: what step 12 compares
  /// with cmin. In memory only, for figures: not in summary.json (empty after
  /// result_from_json) and empty with --pair unless the average-coherence mask was used.
  std::vector<float> avg_coherence;
  std::map<std::string, double> timings_s;  ///< stage -> wall seconds
  std::size_t n_pairs_reused = 0;      ///< pairs whose profiles came from a ProfileCache
  // Robust method only:
  int n_burst_hint = 0;                ///< --n-burst as given (0 = none); params.n_burst holds the count used
  std::string n_burst_source;          ///< how the burst count was decided, in words
  std::vector<SubswathRange> subswaths;        ///< sub-swaths found (one when not merged)
  std::vector<DateMisregistration> dates;      ///< per-date misregistration, date order
  /// Per-pair gradient profiles per column segment ((pairs x rows x n_segments), as
  /// PairProfile), for the catalogue's incremental runs. In memory only; empty with --pair.
  std::size_t n_segments = 0;
  std::vector<float> seg_grad_sum_rad, seg_grad_cnt;
};

/// Checks parameters against the stack before any work: B >= 2, radar coordinates,
/// --sub-x within the width, a known --pair, enough rows for B bursts, cmin/pct/thr
/// ranges. Throws pjd::Error (Usage for bad options, Data for an unsuitable stack).
/// Returns the parameters normalised (sub_x sorted).
DetectParams validate_params(const Stack& stack, const DetectParams& params);

/// More worker threads than any machine here has: a larger --threads is a usage error.
inline constexpr unsigned kMaxThreads = 1024;
/// The checks of validate_params() that need no stack (method, burst count, thresholds,
/// threads); throws pjd::Error (Usage). n_burst_from_stack: 0 is allowed (an audit takes
/// each stack's own count).
void check_detect_options(const DetectParams& params, bool n_burst_from_stack = false);

/// Runs the detector (calls validate_params first). Throws pjd::Error (Usage for bad parameters, Data for an
/// unsuitable stack). Reports progress in [0, 1].
///
/// `reuse` (optional) holds per-pair profiles of an earlier run with the same columns and
/// cmin: those pairs are not read again, and the result is identical to a full run.
/// (When the average-coherence mask is needed, the coherence of every pair is read once
/// more, in stack order, so the temporal mean is the same to the bit.)
DetectResult detect(const Stack& stack, const DetectParams& params, const ProgressFn& progress = {},
                    const ProfileCache* reuse = nullptr);

/// The parameters as JSON: the one form of DetectParams, in summary.json ("params") and in
/// the catalogue (pjd_runs.params_json). date_thr_px is written for the robust method only.
nlohmann::json params_to_json(const DetectParams& params);
/// The inverse of params_to_json; keys added later (threads, block_bytes, date_thr_px) take
/// their defaults when missing. Throws pjd::Error (Data) naming `source` when malformed.
DetectParams params_from_json(const nlohmann::json& params, const std::string& source);

/// The whole result as JSON (summary.json), with schema_version.
nlohmann::json to_json(const DetectResult& result);

/// to_json(result) plus the keys of `extra`, as text laid out as dump(2) lays it out (no
/// final newline), written without building the profile arrays as JSON values: several
/// times faster on a large stack. Numbers are the shortest text that reads back to the
/// same double.
std::string to_json_text(const DetectResult& result, const nlohmann::json& extra = nlohmann::json::object());

/// The inverse of to_json (reads summary.json back). Throws pjd::Error (Data) on a
/// document of another schema version or with missing keys.
DetectResult result_from_json(const nlohmann::json& doc, const std::string& source = "summary.json");

}  // namespace pjd
