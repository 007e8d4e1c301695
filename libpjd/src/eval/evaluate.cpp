#include "pjd/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "pjd/error.hpp"
#include "core/json_file.hpp"
#include "detect/robust/robust.hpp"

namespace pjd {
namespace {

struct TruthSubswath {
  std::size_t x0 = 0, x1 = 0;
  std::vector<std::size_t> rows;
};


std::size_t overlap(std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1) {
  const std::size_t lo = std::max(a0, b0), hi = std::min(a1, b1);
  return hi > lo ? hi - lo : 0;
}

bool near(std::size_t a, std::size_t b) { return (a > b ? a - b : b - a) <= 1; }

}  // namespace

EvalScore evaluate(const nlohmann::json& t, const DetectResult& r, const std::string& name) {
  using nlohmann::json;
  EvalScore s;
  s.method = r.params.method;
  try {
    const std::size_t width = t.value("width", r.width);
    // Truth sub-swaths.
    std::vector<TruthSubswath> tsw;
    if (t.contains("subswaths") && t["subswaths"].is_array() && !t["subswaths"].empty()) {
      for (const auto& sw : t["subswaths"])
        tsw.push_back({sw.at("x0").get<std::size_t>(), sw.at("x1").get<std::size_t>(),
                       sw.at("boundary_rows").get<std::vector<std::size_t>>()});
    } else {
      tsw.push_back({0, width, t.at("boundary_rows").get<std::vector<std::size_t>>()});
    }
    s.n_subswaths_true = tsw.size();
    // Result sub-swaths: robust lists them; otherwise the analysed columns.
    struct RSw {
      std::size_t x0, x1;
    };
    std::vector<RSw> rsw;
    for (const auto& sw : r.subswaths) rsw.push_back({sw.x0, sw.x1});
    if (rsw.empty()) rsw.push_back({r.x0, r.x1});
    s.n_subswaths_result = rsw.size();
    auto seam_sw = [&](const SeamRow& sr) { return r.subswaths.empty() ? 0 : std::min(sr.subswath, rsw.size() - 1); };
    // Truth sub-swaths the analysed columns see at all (a --sub-x run sees part of the stack).
    std::vector<bool> t_seen(tsw.size());
    for (std::size_t i = 0; i < tsw.size(); ++i) t_seen[i] = overlap(tsw[i].x0, tsw[i].x1, r.x0, r.x1) > 0;
    // Seams found: per truth sub-swath, the result sub-swath overlapping it most.
    for (std::size_t i = 0; i < tsw.size(); ++i) {
      if (!t_seen[i]) continue;
      std::size_t best = 0, bo = 0;
      for (std::size_t k = 0; k < rsw.size(); ++k) {
        const auto o = overlap(tsw[i].x0, tsw[i].x1, rsw[k].x0, rsw[k].x1);
        if (o > bo) {
          bo = o;
          best = k;
        }
      }
      for (auto row : tsw[i].rows) {
        ++s.seams_true;
        bool hit = false;
        for (const auto& sr : r.seams)
          if (seam_sw(sr) == best && near(sr.row, row)) hit = true;
        if (hit) ++s.seams_found;
        else s.missed_seam_rows.push_back(row);
      }
    }
    // False seams: not within +-1 of a seam of any truth sub-swath its columns overlap.
    for (const auto& sr : r.seams) {
      const auto& c = rsw[seam_sw(sr)];
      bool ok = false;
      for (const auto& ts : tsw)
        if (overlap(ts.x0, ts.x1, c.x0, c.x1) > 0)
          for (auto row : ts.rows) ok = ok || near(sr.row, row);
      if (!ok) {
        ++s.seams_false;
        s.false_seam_rows.push_back(sr.row);
      }
    }
    // Pairs.
    s.thr_mm = r.params.pj_thr_mm;
    std::map<std::string, const PairResult*> by_name;
    for (const auto& p : r.pairs) by_name[p.pair] = &p;
    const std::set<std::string> excluded(r.excluded_pairs.begin(), r.excluded_pairs.end());
    std::vector<double> err;
    for (const auto& tp : t.at("pairs")) {
      const std::string pn = tp.at("pair").get<std::string>();
      if (tp.value("low_coherence", false)) continue;
      auto it = by_name.find(pn);
      if (it == by_name.end()) continue;
      std::vector<double> truth_ramps;
      if (tp.at("ramp_mm").is_array()) truth_ramps = tp["ramp_mm"].get<std::vector<double>>();
      else truth_ramps.push_back(tp["ramp_mm"].get<double>());
      // Only the sub-swaths the result analysed.
      std::vector<double> seen;
      for (std::size_t i = 0; i < truth_ramps.size() && i < tsw.size(); ++i)
        if (t_seen[i]) seen.push_back(truth_ramps[i]);
      if (seen.empty()) continue;
      const double tmax = *std::max_element(seen.begin(), seen.end());
      const bool pos = tmax >= s.thr_mm, pred = excluded.count(pn) > 0;
      ++s.n_pairs_scored;
      if (pos && pred) ++s.tp;
      else if (pos) {
        ++s.fn;
        s.missed_pairs.push_back(pn);
      } else if (pred) {
        ++s.fp;
        s.false_pairs.push_back(pn);
      } else {
        ++s.tn;
      }
      const PairResult& pr = *it->second;
      if (!pr.ramp_mm) continue;
      if (tsw.size() > 1 && pr.subswath_ramp_mm.size() == rsw.size() && rsw.size() > 1) {
        // Per truth sub-swath against the result sub-swath overlapping it most.
        for (std::size_t i = 0; i < tsw.size() && i < truth_ramps.size(); ++i) {
          if (!t_seen[i]) continue;
          std::size_t best = 0, bo = 0;
          for (std::size_t k = 0; k < rsw.size(); ++k) {
            const auto o = overlap(tsw[i].x0, tsw[i].x1, rsw[k].x0, rsw[k].x1);
            if (o > bo) {
              bo = o;
              best = k;
            }
          }
          if (std::isfinite(pr.subswath_ramp_mm[best])) err.push_back(pr.subswath_ramp_mm[best] - truth_ramps[i]);
        }
      } else {
        err.push_back(*pr.ramp_mm - tmax);
      }
    }
    s.n_ramp = err.size();
    if (!err.empty()) {
      double ss = 0, mx = 0;
      for (double e : err) {
        ss += e * e;
        mx = std::max(mx, std::fabs(e));
      }
      s.ramp_rmse_mm = std::sqrt(ss / static_cast<double>(err.size()));
      s.ramp_median_bias_mm = robust::median_of(err);
      s.ramp_max_abs_err_mm = mx;
    }
    if (s.n_pairs_scored > 0) {
      s.precision = s.tp + s.fp ? static_cast<double>(s.tp) / static_cast<double>(s.tp + s.fp) : 1.0;
      s.recall = s.tp + s.fn ? static_cast<double>(s.tp) / static_cast<double>(s.tp + s.fn) : 1.0;
      s.f1 = s.tp + s.fp + s.fn ? 2.0 * static_cast<double>(s.tp) / static_cast<double>(2 * s.tp + s.fp + s.fn) : 1.0;
    }
    // Dates.
    const auto bad = t.at("bad_dates").get<std::vector<std::string>>();
    const std::set<std::string> tbad(bad.begin(), bad.end());
    const std::set<std::string> rbad(r.excluded_dates.begin(), r.excluded_dates.end());
    s.bad_dates_true = tbad.size();
    for (const auto& d : tbad) {
      if (rbad.count(d)) ++s.bad_dates_found;
      else s.missed_dates.push_back(d);
    }
    for (const auto& d : rbad)
      if (!tbad.count(d)) {
        ++s.bad_dates_false;
        s.false_dates.push_back(d);
      }
    // Bursts.
    s.n_burst_true = t.at("n_burst").get<int>();
    s.n_burst_result = r.params.n_burst;
    s.n_burst_right = s.n_burst_true == s.n_burst_result;
    // Per-date misregistration (robust), median-centred on both sides.
    if (!r.dates.empty() && t.contains("misreg_px_per_date")) {
      const auto& m = t["misreg_px_per_date"];
      std::vector<double> tv, rv;
      for (const auto& d : r.dates)
        if (std::isfinite(d.misreg_px) && m.contains(d.date)) {
          tv.push_back(m[d.date].get<double>());
          rv.push_back(d.misreg_px);
        }
      if (!tv.empty()) {
        const double tm = robust::median_of(tv), rm = robust::median_of(rv);
        double ss = 0;
        for (std::size_t i = 0; i < tv.size(); ++i) ss += std::pow((rv[i] - rm) - (tv[i] - tm), 2);
        s.misreg_rmse_px = std::sqrt(ss / static_cast<double>(tv.size()));
      }
    }
  } catch (const json::exception& e) {
    throw_data(name, "not a usable truth document: " + json_problem(e));
  }
  return s;
}

EvalScore evaluate_files(const std::filesystem::path& truth, const std::filesystem::path& result) {
  namespace fs = std::filesystem;
  fs::path tf = fs::is_directory(truth) ? truth / "truth.json" : truth;
  fs::path rf = result;
  if (fs::is_directory(result)) {
    rf = result / "summary.json";
    if (!fs::exists(rf))
      for (const auto& e : fs::directory_iterator(result)) {
        const auto n = e.path().filename().string();
        if (n.size() > 13 && n.substr(n.size() - 13) == "_summary.json") rf = e.path();
      }
  }
  if (!fs::exists(tf)) throw_data(tf.string(), "no such truth file");
  if (!fs::exists(rf)) throw_data(rf.string(), "no such result (summary.json)");
  const auto r = result_from_json(read_json_file(rf), rf.string());
  return evaluate(read_json_file(tf), r, tf.string());
}

nlohmann::json to_json(const EvalScore& s) {
  using nlohmann::json;
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"method", s.method},
          {"seams", {{"true", s.seams_true}, {"found", s.seams_found}, {"false", s.seams_false},
                     {"missed_rows", s.missed_seam_rows}, {"false_rows", s.false_seam_rows}}},
          {"ramp", {{"n", s.n_ramp}, {"rmse_mm", num(s.ramp_rmse_mm)}, {"median_bias_mm", num(s.ramp_median_bias_mm)},
                    {"max_abs_err_mm", num(s.ramp_max_abs_err_mm)}}},
          {"pairs", {{"thr_mm", num(s.thr_mm)}, {"scored", s.n_pairs_scored}, {"tp", s.tp}, {"fp", s.fp}, {"fn", s.fn},
                     {"tn", s.tn}, {"precision", num(s.precision)}, {"recall", num(s.recall)}, {"f1", num(s.f1)},
                     {"missed", s.missed_pairs}, {"false", s.false_pairs}}},
          {"dates", {{"true", s.bad_dates_true}, {"found", s.bad_dates_found}, {"false", s.bad_dates_false},
                     {"missed", s.missed_dates}, {"false_dates", s.false_dates}, {"misreg_rmse_px", num(s.misreg_rmse_px)}}},
          {"bursts", {{"true", s.n_burst_true}, {"result", s.n_burst_result}, {"right", s.n_burst_right}}},
          {"subswaths", {{"true", s.n_subswaths_true}, {"result", s.n_subswaths_result}}},
          {"targets", {{"seams", s.seams_ok()}, {"ramp", s.ramp_ok()}, {"f1", s.f1_ok()}, {"dates", s.dates_ok()},
                       {"bursts", s.n_burst_right}, {"all", s.all_ok()}}}};
}

}  // namespace pjd
