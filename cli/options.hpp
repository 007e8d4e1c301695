#pragma once
// Options shared by several subcommands, each declared once here (as GDAL's gdalalg_*
// helpers do): the flag, its default, its choices and its check. A command passes its
// own description where the meaning differs in detail.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "pjd/detect.hpp"
#include "pjd/stack.hpp"

namespace pjd::cli {

// ------------------------------------------------------------------ common options

/// RESULT: a `pjd detect` output directory or its summary.json.
CLI::Option* add_result_argument(CLI::App& app, std::string& value);
/// --catalog FILE (default: $PJD_CATALOG or $XDG_DATA_HOME/pjd/catalog.gpkg).
CLI::Option* add_catalog_option(CLI::App& app, std::string& value, const std::string& what = "Catalogue");
/// --progress auto|bar|json|none (default auto: a bar on a terminal).
CLI::Option* add_progress_option(CLI::App& app, std::string& value, const std::string& what = "Progress on stderr");
/// --format CHOICE: what is printed on stdout (text tables for people, json/csv for scripts).
CLI::Option* add_format_option(CLI::App& app, std::string& value, const std::vector<std::string>& choices,
                               const std::string& what = "What to print on stdout");
/// --figure-format png|svg|pdf.
CLI::Option* add_figure_format_option(CLI::App& app, std::string& value);
/// --threads N (0 = every core).
CLI::Option* add_threads_option(CLI::App& app, unsigned& value, const std::string& what);

/// `value`, or the default catalogue when empty.
std::filesystem::path catalog_path_or_default(const std::string& value);

// ------------------------------------------------------------------ detect parameters

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
/// --pct, --cmin, --msk-avgCoh, --pj-thr, --sub-x, and (with `pair`) --pair.
void add_tuning_options(CLI::App& app, DetectParamOptions& o, bool pair = true);
/// --threads for a detection.
void add_detect_threads_option(CLI::App& app, DetectParamOptions& o,
                               const std::string& what = "Threads (0 = every core; 1 = one core, reading and "
                                                         "computing in turn)");

/// The parameters the options give (not yet validated against a stack: see
/// validate_params). Throws pjd::Error (Usage) for a negative --sub-x column, naming the
/// stack's width when `stack` is given.
DetectParams to_detect_params(const DetectParamOptions& o, const Stack* stack = nullptr);

/// `args` (e.g. {"--sub-x", "20", "180", "--pct", "0.1"}) parsed with the options above, as
/// `pjd detect` would, then to_detect_params. `what` names the arguments in errors.
/// Throws pjd::Error (Usage) for an unknown option or a bad value.
DetectParams detect_params_from_args(const std::vector<std::string>& args, const std::string& what);

}  // namespace pjd::cli
