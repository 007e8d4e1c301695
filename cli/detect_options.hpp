#pragma once
// The options of `pjd detect` that become DetectParams, shared by `pjd detect` and by
// `pjd bench accuracy` (which applies a parity case's reference_args with them).
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "pjd/detect.hpp"
#include "pjd/stack.hpp"

namespace pjd::cli {

struct DetectParamOptions {
  int n_burst = 0;
  std::string method = "robust";
  double pct = 0.25, cmin = 0.75, pj_thr = 5.0, date_thr_px = 0.005;
  bool mask_avg_coh = false;
  std::vector<long long> sub_x;
  std::string pair;
  unsigned threads = 0;
};

/// -n/--n-burst, --method, --date-thr-px.
void add_method_options(CLI::App& app, DetectParamOptions& o);
/// --pct, --cmin, --msk-avgCoh, --pj-thr, --sub-x, --pair.
void add_tuning_options(CLI::App& app, DetectParamOptions& o);
/// --threads.
void add_threads_option(CLI::App& app, DetectParamOptions& o);

/// The parameters the options give for `stack` (not yet validated: see validate_params).
/// Throws pjd::Error (Usage) for a negative --sub-x column.
DetectParams to_detect_params(const DetectParamOptions& o, const Stack& stack);

/// `args` (e.g. {"--sub-x", "20", "180", "--pct", "0.1"}) parsed with the options above, as
/// `pjd detect` would, then to_detect_params. `what` names the arguments in errors.
/// Throws pjd::Error (Usage) for an unknown option or a bad value.
DetectParams detect_params_from_args(const std::vector<std::string>& args, const Stack& stack,
                                     const std::string& what);

}  // namespace pjd::cli
