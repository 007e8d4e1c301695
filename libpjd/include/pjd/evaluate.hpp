#pragma once
// Scoring a detection result against a simulator's truth.json (pjd evaluate).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pjd/detect.hpp"

namespace pjd {

/// The accuracy of one result against one truth. Pairs whose truth says low_coherence are
/// left out of the pair and ramp scores (both methods skip them by design).
struct EvalScore {
  std::string method;
  // Seams (first row after each seam), matched within +-1 row, per truth sub-swath.
  std::size_t seams_true = 0, seams_found = 0, seams_false = 0;
  std::vector<std::size_t> missed_seam_rows, false_seam_rows;
  // Ramps: result ramp_mm - truth ramp_mm over pairs the result assessed.
  std::size_t n_ramp = 0;
  double ramp_rmse_mm = NAN, ramp_median_bias_mm = NAN, ramp_max_abs_err_mm = NAN;
  // Pairs at the threshold: truth positive = (largest) truth ramp >= thr; predicted = excluded.
  double thr_mm = NAN;
  std::size_t n_pairs_scored = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  double precision = NAN, recall = NAN, f1 = NAN;
  std::vector<std::string> missed_pairs, false_pairs;
  // Dates.
  std::size_t bad_dates_true = 0, bad_dates_found = 0, bad_dates_false = 0;
  std::vector<std::string> missed_dates, false_dates;
  // Burst count (bursts per sub-swath) and sub-swaths.
  int n_burst_true = 0, n_burst_result = 0;
  bool n_burst_right = false;
  std::size_t n_subswaths_true = 1, n_subswaths_result = 1;
  /// Robust results: RMSE of the per-date misregistration (both sides median-centred), px.
  double misreg_rmse_px = NAN;
  // The targets for one stack.
  bool seams_ok() const { return seams_found == seams_true && seams_false == 0; }
  bool ramp_ok() const { return n_ramp > 0 && ramp_rmse_mm <= 1.0; }
  bool f1_ok() const { return f1 >= 0.95; }
  bool dates_ok() const { return bad_dates_found == bad_dates_true && bad_dates_false == 0; }
  bool all_ok() const { return seams_ok() && ramp_ok() && f1_ok() && dates_ok() && n_burst_right; }
};

/// Scores `result` against a truth document (simulate's truth.json or a parity truth.json).
/// Throws pjd::Error (Data) when the truth lacks a required key.
EvalScore evaluate(const nlohmann::json& truth, const DetectResult& result, const std::string& truth_name = "truth.json");

/// Reads truth.json (a file, or a directory holding truth.json) and a result (summary.json,
/// or a directory holding summary.json), then evaluate().
EvalScore evaluate_files(const std::filesystem::path& truth, const std::filesystem::path& result);

nlohmann::json to_json(const EvalScore& score);

}  // namespace pjd
