// pjd evaluate TRUTH RESULT [--format text|json]: score a detection result (summary.json)
// against a simulator's truth.json.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "command.hpp"
#include "options.hpp"
#include "pjd/evaluate.hpp"

namespace pjd::cli {
namespace {

std::string f2(double v) {
  if (!std::isfinite(v)) return "n/a";
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << v;
  return s.str();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void print_text(const EvalScore& s) {
  auto& o = std::cout;
  auto ok = [](bool b) { return b ? "  [target met]" : "  [target missed]"; };
  o << "method:     " << s.method << "\n";
  o << "seams:      " << s.seams_found << " of " << s.seams_true << " found within +-1 row, " << s.seams_false
    << " false" << ok(s.seams_ok()) << "\n";
  if (!s.missed_seam_rows.empty()) {
    o << "            missed rows:";
    for (auto r : s.missed_seam_rows) o << " " << r;
    o << "\n";
  }
  if (!s.false_seam_rows.empty()) {
    o << "            false rows:";
    for (auto r : s.false_seam_rows) o << " " << r;
    o << "\n";
  }
  o << "ramps:      RMSE " << f2(s.ramp_rmse_mm) << " mm, median bias " << f2(s.ramp_median_bias_mm)
    << " mm, largest error " << f2(s.ramp_max_abs_err_mm) << " mm over " << s.n_ramp << " ramp(s)"
    << ok(s.ramp_ok()) << "\n";
  o << "pairs:      at " << f2(s.thr_mm) << " mm: precision " << f2(s.precision) << ", recall " << f2(s.recall)
    << ", F1 " << f2(s.f1) << " (TP " << s.tp << ", FP " << s.fp << ", FN " << s.fn << ", TN " << s.tn << " of "
    << s.n_pairs_scored << ")" << ok(s.f1_ok()) << "\n";
  if (!s.missed_pairs.empty()) o << "            missed: " << join(s.missed_pairs) << "\n";
  if (!s.false_pairs.empty()) o << "            false: " << join(s.false_pairs) << "\n";
  o << "bad dates:  " << s.bad_dates_found << " of " << s.bad_dates_true << " found, " << s.bad_dates_false
    << " false" << ok(s.dates_ok()) << "\n";
  if (!s.missed_dates.empty()) o << "            missed: " << join(s.missed_dates) << "\n";
  if (!s.false_dates.empty()) o << "            false: " << join(s.false_dates) << "\n";
  if (std::isfinite(s.misreg_rmse_px))
    o << "            misregistration RMSE " << f2(s.misreg_rmse_px * 1000) << " mpx\n";
  o << "bursts:     " << s.n_burst_result << " (truth " << s.n_burst_true << ")" << ok(s.n_burst_right) << "\n";
  o << "sub-swaths: " << s.n_subswaths_result << " (truth " << s.n_subswaths_true << ")\n";
  o << "all targets " << (s.all_ok() ? "met" : "NOT met") << "\n";
}

const Registrar reg{{"evaluate", "Score a detection result (summary.json) against a simulator's truth.json",
                     [](CLI::App& sub) {
                       auto truth = std::make_shared<std::string>();
                       auto result = std::make_shared<std::string>();
                       auto format = std::make_shared<std::string>("text");
                       sub.add_option("TRUTH", *truth, "truth.json, or the simulated directory holding it")->required();
                       add_result_argument(sub, *result)->required();
                       add_format_option(sub, *format, {"text", "json"});
                       return [truth, result, format]() {
                         const EvalScore s = evaluate_files(*truth, *result);
                         if (*format == "json") std::cout << to_json(s).dump(2) << "\n";
                         else print_text(s);
                         return 0;
                       };
                     }}};

}  // namespace
}  // namespace pjd::cli
