// detect(): the published method, streamed over the stack (stream_pass.hpp, the pass both
// methods share: uncompressed and LZF stacks read by every worker straight from the file,
// others in blocks of pairs through HDF5; the average coherence summed in stack order).
#include "pjd/detect.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "detect/common.hpp"
#include "detect/direct_pass.hpp"
#include "detect/stream_pass.hpp"
#include "core/numeric.hpp"
#include "core/parallel.hpp"
#include "pjd/error.hpp"
#include "detect/published/published.hpp"
#include "detect/robust/robust_detect.hpp"

namespace pjd {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

DetectResult detect(const Stack& stack, const DetectParams& params_in, const ProgressFn& progress,
                    const ProfileCache* reuse) {
  if (params_in.method == "robust") return detect_robust(stack, params_in, progress, reuse);
  const auto t_total = Clock::now();
  const DetectParams params = validate_params(stack, params_in);

  DetectResult res = begin_result(stack, params);
  const std::size_t rows = stack.length();
  const std::size_t cols = res.x1 - res.x0;
  const int n_burst = params.n_burst;

  // The analysed pairs: every pair of the stack (dropIfgram ignored), or the one --pair.
  std::vector<std::size_t> pair_idx;
  if (params.pair) {
    auto i = stack.pair_index(*params.pair);
    if (!i) throw_usage("pair " + *params.pair + " is not in " + stack.file().string());
    pair_idx.push_back(*i);
  } else {
    for (std::size_t i = 0; i < stack.n_pairs(); ++i) pair_idx.push_back(i);
  }
  const std::size_t np = pair_idx.size();
  const auto& keep = stack.keep();

  // One streamed pass over the pairs an earlier run (a grown stack) did not leave: the
  // per-pair profiles, and the temporal mean coherence of the kept pairs (step 12).
  StreamPass pass(stack, params, res.x0, res.x1, pair_idx);
  pass.reuse(reuse, [](const PairProfile&) { return true; }, [](std::size_t, const PairProfile&) {});
  res.n_pairs_reused = pass.n_reused;
  pass.run(progress, [&](PassPair& in) {
    const std::size_t q = in.q;
    pass.stats[q] = published::process_pair(in.phase_rows(), in.coh, rows, cols, params.cmin, res.wavelength_m,
                                            pass.intensity.data() + q * rows, pass.counts.data() + q * rows,
                                            pass.med_grad.data() + q * rows, *in.scratch);
  });
  const auto& intensity = pass.intensity;
  const auto& med_grad = pass.med_grad;
  const auto& counts = pass.counts;
  const auto& coh_sum = pass.coh_sum;
  const auto& coh_cnt = pass.coh_cnt;
  const bool coh_accumulated = pass.coh_summed;

  const auto t_analyse = Clock::now();
  // Per-pair results and profiles.
  const std::vector<bool> skipped =
      fill_pair_results(stack, pair_idx, pass.stats, intensity, med_grad, counts, rows, res);
  if (np > 0 && res.skipped_pairs.size() == np)
    res.warnings.push_back("Every pair has mean coherence < 0.4: nothing can be assessed.");

  // Step 10.
  std::vector<double> inten = intensity, mgrad = med_grad;
  published::nan_zero_and_skipped(inten, skipped, rows);
  published::nan_zero_and_skipped(mgrad, skipped, rows);
  const auto counts_nan = published::counts_for_masking(counts, skipped, rows);
  // Step 11.
  const auto rel = published::row_reliability(counts_nan, cols, params.pct);
  published::apply_row_reliability(inten, counts_nan, rel);
  res.row_count_threshold = rel.threshold;
  res.row_count_percentile = rel.percentile_count;
  res.row_count_width = rel.width_count;
  res.avg_coh_mask_auto = rel.auto_mask;
  res.avg_coh_mask_used = params.mask_avg_coh || rel.auto_mask;
  // Step 12.
  if (res.avg_coh_mask_used) {
    if (!coh_accumulated) pass.sum_coherence();  // --pair, reused pairs: one more pass over the coherence
    if (std::none_of(keep.begin(), keep.end(), [](bool k) { return k; }))
      res.warnings.push_back("Every pair is marked dropped (dropIfgram): the average coherence is undefined "
                             "and the average-coherence mask removes nothing.");
    res.avg_coh_mask_counts = published::avg_coh_mask_counts(coh_sum.data(), coh_cnt.data(), rows, cols, params.cmin);
    published::apply_avg_coh_mask(inten, counts_nan, res.avg_coh_mask_counts);
  }
  // The mean coherence itself, for figures (same arithmetic as avg_coh_mask_counts).
  if (coh_accumulated || res.avg_coh_mask_used) res.avg_coherence = pass.mean_coherence();
  // Steps 13-15.
  const auto ylist = published::coarse_detection(inten, rows);
  const auto refined = published::refine_detection(ylist, mgrad, rows, n_burst);
  for (std::size_t j = 0; j < refined.rows.size(); ++j)
    res.seams.push_back(SeamRow{refined.rows[j], refined.votes[j], refined.median_grad[j]});
  for (auto& w : published::seam_warnings(refined.rows, n_burst, rows)) res.warnings.push_back(w);
  // Step 16.
  const auto ramps = published::measure_pj(mgrad, rows, refined.rows, n_burst);
  // Step 17.
  std::vector<std::string> assessed;
  for (std::size_t q = 0; q < np; ++q) {
    PairResult& r = res.pairs[q];
    for (auto y : refined.rows) r.seam_grad_mm.push_back(mgrad[q * rows + y]);
    if (!std::isnan(ramps[q])) {
      r.ramp_mm = ramps[q];
      r.excluded = ramps[q] >= params.pj_thr_mm;
      assessed.push_back(r.pair);
      if (r.excluded) res.excluded_pairs.push_back(r.pair);
    } else {
      res.unassessed_pairs.push_back(r.pair);
    }
  }
  std::sort(assessed.begin(), assessed.end());
  std::sort(res.excluded_pairs.begin(), res.excluded_pairs.end());
  std::sort(res.unassessed_pairs.begin(), res.unassessed_pairs.end());
  res.excluded_dates = published::excluded_dates(assessed, res.excluded_pairs);
  report(progress, 1.0, "analyse");

  res.timings_s["read"] = pass.t_read;
  res.timings_s["compute"] = pass.t_compute;
  res.timings_s["analyse"] = seconds_since(t_analyse);
  res.timings_s["total"] = seconds_since(t_total);
  return res;
}

namespace {
nlohmann::json num_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// to_json_text() leaves these in place of the profile arrays, then writes the arrays itself.
const char* const kProfileMarkers[3] = {"\x01pjd:intensity_pct\x01", "\x01pjd:counts\x01",
                                        "\x01pjd:median_grad_mm\x01"};

nlohmann::json to_json_impl(const DetectResult& r, bool profile_arrays);

/// A number as nlohmann::json writes it, nearly: the shortest text that reads back to the
/// same double, ".0" after an integral value (so it stays a float), null for NaN and inf.
void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  const std::string_view t(buf, static_cast<std::size_t>(end - buf));
  out += t;
  if (t.find_first_of(".e") == std::string_view::npos) out += ".0";
}
void append_number(std::string& out, std::int32_t v) {
  char buf[16];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}
}  // namespace

nlohmann::json to_json(const DetectResult& r) { return to_json_impl(r, true); }

std::string to_json_text(const DetectResult& r, const nlohmann::json& extra) {
  nlohmann::json j = to_json_impl(r, false);
  for (const auto& [k, v] : extra.items()) j[k] = v;
  std::string text = j.dump(2);
  // Splice the arrays in, laid out as dump(2) lays out an array: one value per line.
  std::string out;
  out.reserve(text.size() + 16 * (r.profiles.intensity_pct.size() + r.profiles.counts.size() +
                                  r.profiles.median_grad_mm.size()));
  // The markers in the order they appear (dump sorts keys).
  std::vector<std::pair<std::size_t, int>> found;
  for (int a = 0; a < 3; ++a) {
    const std::size_t at = text.find(nlohmann::json(kProfileMarkers[a]).dump());
    if (at == std::string::npos) throw std::logic_error("to_json_text: profile marker not found");
    found.emplace_back(at, a);
  }
  std::sort(found.begin(), found.end());
  std::size_t from = 0;
  for (const auto& [at, a] : found) {
    const std::string marker = nlohmann::json(kProfileMarkers[a]).dump();
    const std::size_t line = text.rfind('\n', at) + 1;
    const std::string indent(text.find('"', line) - line, ' ');
    out.append(text, from, at - from);
    auto write = [&](const auto& values) {
      if (values.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (std::size_t i = 0; i < values.size(); ++i) {
        out += indent;
        out += "  ";
        append_number(out, values[i]);
        out += i + 1 < values.size() ? ",\n" : "\n";
      }
      out += indent;
      out += "]";
    };
    if (a == 0) write(r.profiles.intensity_pct);
    else if (a == 1) write(r.profiles.counts);
    else write(r.profiles.median_grad_mm);
    from = at + marker.size();
  }
  out.append(text, from, std::string::npos);
  return out;
}

nlohmann::json params_to_json(const DetectParams& p) {
  using nlohmann::json;
  json jp;
  jp["n_burst"] = p.n_burst;
  jp["method"] = p.method;
  jp["pct"] = p.pct;
  jp["cmin"] = p.cmin;
  jp["mask_avg_coh"] = p.mask_avg_coh;
  jp["pj_thr_mm"] = p.pj_thr_mm;
  jp["sub_x"] = p.sub_x ? json::array({p.sub_x->first, p.sub_x->second}) : json(nullptr);
  jp["pair"] = p.pair ? json(*p.pair) : json(nullptr);
  jp["threads"] = p.threads;
  jp["block_bytes"] = p.block_bytes;
  const bool robust = p.method == "robust";  // robust-only keys: published summaries stay as they were
  if (robust) jp["date_thr_px"] = p.date_thr_px;
  return jp;
}

DetectParams params_from_json(const nlohmann::json& jp, const std::string& source) {
  try {
    DetectParams p;
    p.n_burst = jp.at("n_burst").get<int>();
    p.method = jp.at("method").get<std::string>();
    p.pct = jp.at("pct").get<double>();
    p.cmin = jp.at("cmin").get<double>();
    p.mask_avg_coh = jp.at("mask_avg_coh").get<bool>();
    p.pj_thr_mm = jp.at("pj_thr_mm").get<double>();
    if (jp.contains("sub_x") && jp["sub_x"].is_array())
      p.sub_x = std::pair{jp["sub_x"][0].get<std::size_t>(), jp["sub_x"][1].get<std::size_t>()};
    if (jp.contains("pair") && jp["pair"].is_string()) p.pair = jp["pair"].get<std::string>();
    p.threads = jp.value("threads", 0u);
    p.block_bytes = jp.value("block_bytes", p.block_bytes);
    p.date_thr_px = jp.value("date_thr_px", p.date_thr_px);
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Data, source, std::string("malformed detection parameters: ") + e.what());
  }
}

namespace {
nlohmann::json to_json_impl(const DetectResult& r, bool profile_arrays) {
  using nlohmann::json;
  json j;
  j["schema_version"] = r.schema_version;
  j["params"] = params_to_json(r.params);
  const auto& p = r.params;
  const bool robust = p.method == "robust";
  j["stack"] = {{"file", r.stack_file},
                {"length", r.length},
                {"width", r.width},
                {"x0", r.x0},
                {"x1", r.x1},
                {"n_pairs", r.n_pairs_stack},
                {"orbit_direction", r.orbit_direction},
                {"platform", r.platform},
                {"wavelength_m", num_or_null(r.wavelength_m)},
                {"first_date", r.first_date},
                {"last_date", r.last_date}};
  json seams = json::array();
  for (const auto& s : r.seams) {
    json js = {{"row", s.row}, {"votes", s.votes}, {"median_grad_mm", num_or_null(s.median_grad_mm)}};
    if (robust) {
      js["subswath"] = s.subswath;
      js["significance"] = num_or_null(s.significance);
    }
    seams.push_back(js);
  }
  j["seams"] = seams;
  json pairs = json::array();
  auto nums = [](const std::vector<double>& v) {
    json a = json::array();
    for (double x : v) a.push_back(num_or_null(x));
    return a;
  };
  for (const auto& pr : r.pairs) {
    json sg = json::array();
    for (double v : pr.seam_grad_mm) sg.push_back(num_or_null(v));
    json jpr = {{"pair", pr.pair},
                     {"btemp_days", pr.btemp_days},
                     {"coh_median", num_or_null(pr.coh_median)},
                     {"coh_mean", num_or_null(pr.coh_mean)},
                     {"coh_std", num_or_null(pr.coh_std)},
                     {"grad_median_mm", num_or_null(pr.grad_median_mm)},
                     {"grad_mean_mm", num_or_null(pr.grad_mean_mm)},
                     {"grad_std_mm", num_or_null(pr.grad_std_mm)},
                     {"skipped", pr.skipped},
                     {"ramp_mm", pr.ramp_mm ? num_or_null(*pr.ramp_mm) : json(nullptr)},
                     {"excluded", pr.excluded},
                     {"seam_grad_mm", sg}};
    if (robust) {
      jpr["seam_jump_mm"] = nums(pr.seam_jump_mm);
      jpr["seam_jump_sigma_mm"] = nums(pr.seam_jump_sigma_mm);
      jpr["ramp_sigma_mm"] = pr.ramp_sigma_mm ? num_or_null(*pr.ramp_sigma_mm) : json(nullptr);
      jpr["subswath_ramp_mm"] = nums(pr.subswath_ramp_mm);
      jpr["network_residual_mm"] = pr.network_residual_mm ? num_or_null(*pr.network_residual_mm) : json(nullptr);
    }
    pairs.push_back(jpr);
  }
  j["pairs"] = pairs;
  j["warnings"] = r.warnings;
  j["skipped_pairs"] = r.skipped_pairs;
  j["unassessed_pairs"] = r.unassessed_pairs;
  j["excluded_pairs"] = r.excluded_pairs;
  j["excluded_dates"] = r.excluded_dates;
  j["thresholds"] = {{"row_count", num_or_null(r.row_count_threshold)},
                     {"row_count_percentile", num_or_null(r.row_count_percentile)},
                     {"row_count_width", num_or_null(r.row_count_width)},
                     {"pj_thr_mm", p.pj_thr_mm},
                     {"cmin", p.cmin}};
  j["avg_coh_mask"] = {{"used", r.avg_coh_mask_used},
                       {"auto", r.avg_coh_mask_auto},
                       {"row_counts", r.avg_coh_mask_counts}};
  json prof = {{"n_pairs", r.profiles.n_pairs}, {"length", r.profiles.length}};
  if (profile_arrays) {
    json ip = json::array(), ct = json::array(), mg = json::array();
    for (double v : r.profiles.intensity_pct) ip.push_back(num_or_null(v));
    for (auto v : r.profiles.counts) ct.push_back(v);
    for (double v : r.profiles.median_grad_mm) mg.push_back(num_or_null(v));
    prof["intensity_pct"] = ip;
    prof["counts"] = ct;
    prof["median_grad_mm"] = mg;
  } else {
    prof["intensity_pct"] = kProfileMarkers[0];
    prof["counts"] = kProfileMarkers[1];
    prof["median_grad_mm"] = kProfileMarkers[2];
  }
  j["profiles"] = prof;
  j["timings_s"] = r.timings_s;
  j["n_pairs_reused"] = r.n_pairs_reused;
  if (robust) {
    j["n_burst"] = {{"used", p.n_burst}, {"hint", r.n_burst_hint}, {"source", r.n_burst_source}};
    json sw = json::array();
    for (const auto& s : r.subswaths)
      sw.push_back({{"name", s.name},
                    {"x0", s.x0},
                    {"x1", s.x1},
                    {"n_burst", s.n_burst},
                    {"seam_spacing_rows", num_or_null(s.seam_spacing_rows)},
                    {"jump_rad_per_px", num_or_null(s.jump_rad_per_px)}});
    j["subswaths"] = sw;
    json dates = json::array();
    for (const auto& d : r.dates)
      dates.push_back({{"date", d.date},
                       {"misreg_px", num_or_null(d.misreg_px)},
                       {"sigma_px", num_or_null(d.sigma_px)},
                       {"jump_mm", num_or_null(d.jump_mm)},
                       {"jump_sigma_mm", num_or_null(d.jump_sigma_mm)},
                       {"n_pairs", d.n_pairs},
                       {"excluded", d.excluded}});
    j["dates"] = dates;
  }
  return j;
}
}  // namespace

namespace {

double num_or_nan(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : NAN; }

}  // namespace

DetectResult result_from_json(const nlohmann::json& j, const std::string& source) {
  using nlohmann::json;
  try {
    if (!j.is_object() || !j.contains("schema_version"))
      throw Error(ErrorKind::Data, source, "not a pjd result (no schema_version)");
    const int version = j.at("schema_version").get<int>();
    if (version != kDetectSchemaVersion)
      throw Error(ErrorKind::Data, source,
                  "result schema version " + std::to_string(version) + " is not the one this pjd reads (" +
                      std::to_string(kDetectSchemaVersion) + ")");
    DetectResult r;
    r.params = params_from_json(j.at("params"), source);
    const auto& st = j.at("stack");
    r.stack_file = st.at("file").get<std::string>();
    r.length = st.at("length").get<std::size_t>();
    r.width = st.at("width").get<std::size_t>();
    r.x0 = st.at("x0").get<std::size_t>();
    r.x1 = st.at("x1").get<std::size_t>();
    r.n_pairs_stack = st.value("n_pairs", std::size_t(0));
    r.orbit_direction = st.value("orbit_direction", "");
    r.platform = st.value("platform", "");
    r.wavelength_m = num_or_nan(st.value("wavelength_m", json(nullptr)));
    r.first_date = st.value("first_date", "");
    r.last_date = st.value("last_date", "");
    for (const auto& s : j.at("seams")) {
      SeamRow sr{s.at("row").get<std::size_t>(), s.at("votes").get<std::size_t>(),
                 num_or_nan(s.value("median_grad_mm", json(nullptr)))};
      sr.subswath = s.value("subswath", std::size_t(0));
      sr.significance = num_or_nan(s.value("significance", json(nullptr)));
      r.seams.push_back(sr);
    }
    for (const auto& jp2 : j.at("pairs")) {
      PairResult pr;
      pr.pair = jp2.at("pair").get<std::string>();
      pr.btemp_days = jp2.value("btemp_days", 0);
      pr.coh_median = num_or_nan(jp2.value("coh_median", json(nullptr)));
      pr.coh_mean = num_or_nan(jp2.value("coh_mean", json(nullptr)));
      pr.coh_std = num_or_nan(jp2.value("coh_std", json(nullptr)));
      pr.grad_median_mm = num_or_nan(jp2.value("grad_median_mm", json(nullptr)));
      pr.grad_mean_mm = num_or_nan(jp2.value("grad_mean_mm", json(nullptr)));
      pr.grad_std_mm = num_or_nan(jp2.value("grad_std_mm", json(nullptr)));
      pr.skipped = jp2.value("skipped", false);
      if (jp2.contains("ramp_mm") && jp2["ramp_mm"].is_number()) pr.ramp_mm = jp2["ramp_mm"].get<double>();
      pr.excluded = jp2.value("excluded", false);
      if (jp2.contains("seam_grad_mm"))
        for (const auto& v : jp2["seam_grad_mm"]) pr.seam_grad_mm.push_back(num_or_nan(v));
      auto read_nums = [&](const char* key, std::vector<double>& out) {
        if (jp2.contains(key) && jp2[key].is_array())
          for (const auto& v : jp2[key]) out.push_back(num_or_nan(v));
      };
      read_nums("seam_jump_mm", pr.seam_jump_mm);
      read_nums("seam_jump_sigma_mm", pr.seam_jump_sigma_mm);
      read_nums("subswath_ramp_mm", pr.subswath_ramp_mm);
      if (jp2.contains("ramp_sigma_mm") && jp2["ramp_sigma_mm"].is_number())
        pr.ramp_sigma_mm = jp2["ramp_sigma_mm"].get<double>();
      if (jp2.contains("network_residual_mm") && jp2["network_residual_mm"].is_number())
        pr.network_residual_mm = jp2["network_residual_mm"].get<double>();
      r.pairs.push_back(std::move(pr));
    }
    auto strings = [&](const char* key) {
      return j.contains(key) ? j[key].get<std::vector<std::string>>() : std::vector<std::string>{};
    };
    r.warnings = strings("warnings");
    r.skipped_pairs = strings("skipped_pairs");
    r.unassessed_pairs = strings("unassessed_pairs");
    r.excluded_pairs = strings("excluded_pairs");
    r.excluded_dates = strings("excluded_dates");
    if (j.contains("thresholds")) {
      const auto& t = j["thresholds"];
      r.row_count_threshold = num_or_nan(t.value("row_count", json(nullptr)));
      r.row_count_percentile = num_or_nan(t.value("row_count_percentile", json(nullptr)));
      r.row_count_width = num_or_nan(t.value("row_count_width", json(nullptr)));
    }
    if (j.contains("avg_coh_mask")) {
      const auto& m = j["avg_coh_mask"];
      r.avg_coh_mask_used = m.value("used", false);
      r.avg_coh_mask_auto = m.value("auto", false);
      r.avg_coh_mask_counts = m.value("row_counts", std::vector<std::int32_t>{});
    }
    if (j.contains("profiles")) {
      const auto& pj = j["profiles"];
      r.profiles.n_pairs = pj.value("n_pairs", std::size_t(0));
      r.profiles.length = pj.value("length", std::size_t(0));
      for (const auto& v : pj.value("intensity_pct", json::array())) r.profiles.intensity_pct.push_back(num_or_nan(v));
      for (const auto& v : pj.value("counts", json::array())) r.profiles.counts.push_back(v.get<std::int32_t>());
      for (const auto& v : pj.value("median_grad_mm", json::array())) r.profiles.median_grad_mm.push_back(num_or_nan(v));
    }
    if (j.contains("timings_s")) r.timings_s = j["timings_s"].get<std::map<std::string, double>>();
    r.n_pairs_reused = j.value("n_pairs_reused", std::size_t(0));
    if (j.contains("n_burst") && j["n_burst"].is_object()) {
      r.n_burst_hint = j["n_burst"].value("hint", 0);
      r.n_burst_source = j["n_burst"].value("source", "");
    }
    if (j.contains("subswaths"))
      for (const auto& s : j["subswaths"]) {
        SubswathRange sw;
        sw.name = s.value("name", "");
        sw.x0 = s.value("x0", std::size_t(0));
        sw.x1 = s.value("x1", std::size_t(0));
        sw.n_burst = s.value("n_burst", 0);
        sw.seam_spacing_rows = num_or_nan(s.value("seam_spacing_rows", json(nullptr)));
        sw.jump_rad_per_px = num_or_nan(s.value("jump_rad_per_px", json(nullptr)));
        r.subswaths.push_back(sw);
      }
    if (j.contains("dates"))
      for (const auto& d : j["dates"]) {
        DateMisregistration dm;
        dm.date = d.value("date", "");
        dm.misreg_px = num_or_nan(d.value("misreg_px", json(nullptr)));
        dm.sigma_px = num_or_nan(d.value("sigma_px", json(nullptr)));
        dm.jump_mm = num_or_nan(d.value("jump_mm", json(nullptr)));
        dm.jump_sigma_mm = num_or_nan(d.value("jump_sigma_mm", json(nullptr)));
        dm.n_pairs = d.value("n_pairs", std::size_t(0));
        dm.excluded = d.value("excluded", false);
        r.dates.push_back(dm);
      }
    // Consistency: what later steps (overlays, figures) index with.
    if (r.length == 0 || r.width == 0) throw Error(ErrorKind::Data, source, "length and width must be positive");
    if (r.x0 >= r.x1 || r.x1 > r.width)
      throw Error(ErrorKind::Data, source,
                  "analysed columns [" + std::to_string(r.x0) + ", " + std::to_string(r.x1) +
                      ") do not fit the width " + std::to_string(r.width));
    for (std::size_t i = 0; i < r.seams.size(); ++i) {
      if (r.seams[i].row >= r.length)
        throw Error(ErrorKind::Data, source,
                    "seam row " + std::to_string(r.seams[i].row) + " is outside the " + std::to_string(r.length) + " rows");
      if (i > 0 && r.seams[i].row <= r.seams[i - 1].row)
        throw Error(ErrorKind::Data, source, "seam rows are not in ascending order");
    }
    return r;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Data, source, std::string("malformed pjd result: ") + e.what());
  }
}

}  // namespace pjd
