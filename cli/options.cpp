#include "options.hpp"

#include <algorithm>

#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "pjd/figures.hpp"

namespace pjd::cli {

CLI::Option* add_result_argument(CLI::App& app, std::string& value) {
  return app.add_option("RESULT", value, "pjd detect output directory (holding summary.json) or the summary.json");
}

CLI::Option* add_catalog_option(CLI::App& app, std::string& value, const std::string& what) {
  return app.add_option("--catalog", value, what + " (default: $PJD_CATALOG or $XDG_DATA_HOME/pjd/catalog.gpkg)");
}

CLI::Option* add_progress_option(CLI::App& app, std::string& value, const std::string& what) {
  return app.add_option("--progress", value, what)
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}))
      ->capture_default_str();
}

CLI::Option* add_format_option(CLI::App& app, std::string& value, const std::vector<std::string>& choices,
                               const std::string& what) {
  return app.add_option("--format", value, what)->check(CLI::IsMember(choices))->capture_default_str();
}

CLI::Option* add_figure_format_option(CLI::App& app, std::string& value) {
  return app.add_option("--figure-format", value, "Figure file format")
      ->check(CLI::IsMember(enum_names<FigureFormat>()))
      ->capture_default_str();
}

CLI::Option* add_threads_option(CLI::App& app, unsigned& value, const std::string& what) {
  return app.add_option("--threads", value, what)->check(CLI::Range(0u, pjd::kMaxThreads))->capture_default_str();
}

std::filesystem::path catalog_path_or_default(const std::string& value) {
  return value.empty() ? default_catalog_path() : std::filesystem::path(value);
}

void add_method_options(CLI::App& sub, DetectParamOptions& o) {
  sub.add_option("-n,--n-burst", o.n_burst,
                 "Bursts per sub-swath, >= 2 (e.g. ls reference/IW1/*.vrt | wc -l); required by the published "
                 "method; optional with robust (estimated from the seam spacing; an override when given)");
  sub.add_option("--method", o.method, "Detection method: robust (stacked seams, estimated burst count, per-date misregistration) or published (the reference, exactly)")
      ->check(CLI::IsMember({"published", "robust"}))
      ->capture_default_str();
  sub.add_option("--date-thr-px", o.date_thr_px,
                 "Robust: a date is excluded when |misregistration| exceeds this many pixels (or 3.5 robust sigmas "
                 "of all dates, if larger)")
      ->capture_default_str();
}

void add_tuning_options(CLI::App& sub, DetectParamOptions& o, bool pair) {
  sub.add_option("--pct", o.pct, "Percentile of valid cells per row defining reliable rows, as a fraction (0-1)")
      ->capture_default_str();
  sub.add_option("--cmin", o.cmin, "Minimum coherence for a cell to count (0-1]")->capture_default_str();
  sub.add_flag("--msk-avgCoh,--msk-avg-coh", o.mask_avg_coh,
               "Always compare valid cells per row with the average-coherence mask");
  sub.add_option("--pj-thr", o.pj_thr, "Accumulated phase jump (mm) at or above which a pair is excluded")
      ->capture_default_str();
  sub.add_option("--sub-x", o.sub_x, "Analyse columns X0..X1 only (one sub-swath of a merged stack)")
      ->expected(2)
      ->type_name("INT");
  if (pair)
    sub.add_option("--pair", o.pair, "Analyse one pair only (YYYYMMDD_yyyymmdd); outputs are prefixed with it");
}

void add_detect_threads_option(CLI::App& sub, DetectParamOptions& o, const std::string& what) {
  add_threads_option(sub, o.threads, what);
}

DetectParams to_detect_params(const DetectParamOptions& o, const Stack* stack) {
  DetectParams p;
  p.n_burst = o.n_burst;
  p.method = o.method;
  p.pct = o.pct;
  p.cmin = o.cmin;
  p.mask_avg_coh = o.mask_avg_coh;
  p.pj_thr_mm = o.pj_thr;
  p.date_thr_px = o.date_thr_px;
  p.threads = o.threads;
  if (!o.pair.empty()) p.pair = o.pair;
  if (!o.sub_x.empty()) {
    const auto a = o.sub_x[0], b = o.sub_x[1];
    if (a < 0 || b < 0)
      throw_usage("--sub-x " + std::to_string(a) + " " + std::to_string(b) + " has a negative column" +
                  (stack ? " (WIDTH " + std::to_string(stack->width()) + " of " + stack->file().string() +
                               ": columns 0.." + std::to_string(stack->width() - 1) + ")"
                         : std::string(" (columns count from 0)")));
    p.sub_x = std::make_pair(static_cast<std::size_t>(a), static_cast<std::size_t>(b));
  }
  return p;
}

DetectParams detect_params_from_args(const std::vector<std::string>& args, const std::string& what) {
  CLI::App app{"detect parameters"};
  app.allow_extras(false);
  DetectParamOptions o;
  add_method_options(app, o);
  add_tuning_options(app, o);
  add_detect_threads_option(app, o);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a vector from its back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    std::string joined;
    for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
    throw_usage(what + " '" + joined + "': " + e.what());
  }
  return to_detect_params(o);
}

}  // namespace pjd::cli
