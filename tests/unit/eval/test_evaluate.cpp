// pjd evaluate: scores on hand-made truths and results with known answers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "test_config.hpp"
#include "pjd/evaluate.hpp"

using nlohmann::json;

namespace {

json truth_one() {
  json t = {{"n_burst", 4}, {"length", 300}, {"width", 50}, {"boundary_rows", {75, 150, 225}},
            {"bad_dates", {"20210115"}}};
  t["pairs"] = json::array({
      {{"pair", "20210103_20210115"}, {"ramp_mm", 9.0}, {"low_coherence", false}},
      {{"pair", "20210103_20210127"}, {"ramp_mm", 1.0}, {"low_coherence", false}},
      {{"pair", "20210115_20210127"}, {"ramp_mm", 8.0}, {"low_coherence", false}},
      {{"pair", "20210115_20210208"}, {"ramp_mm", 6.0}, {"low_coherence", true}},
  });
  return t;
}

pjd::DetectResult result_one() {
  pjd::DetectResult r;
  r.length = 300;
  r.width = 50;
  r.x1 = 50;
  r.params.n_burst = 4;
  r.params.pj_thr_mm = 5;
  r.seams = {{76, 10, 1.0}, {150, 10, 1.0}, {190, 3, 1.0}};  // 76: within 1 row; 190: false; 225 missed
  for (auto [name, ramp] : std::vector<std::pair<std::string, double>>{
           {"20210103_20210115", 8.0}, {"20210103_20210127", 5.5}, {"20210115_20210127", 4.0}, {"20210115_20210208", 1.0}}) {
    pjd::PairResult p;
    p.pair = name;
    p.ramp_mm = ramp;
    p.excluded = ramp >= 5;
    if (p.excluded) r.excluded_pairs.push_back(name);
    r.pairs.push_back(p);
  }
  r.excluded_dates = {"20210103"};
  return r;
}

}  // namespace

TEST_CASE("evaluate: seams, ramps, pairs, dates and bursts", "[evaluate]") {
  const auto s = pjd::evaluate(truth_one(), result_one());
  CHECK(s.seams_true == 3);
  CHECK(s.seams_found == 2);
  CHECK(s.seams_false == 1);
  CHECK(s.missed_seam_rows == std::vector<std::size_t>{225});
  CHECK(s.false_seam_rows == std::vector<std::size_t>{190});
  // Low-coherence truth pairs are not scored: errors -1, +4.5, -4.
  CHECK(s.n_ramp == 3);
  CHECK(s.ramp_rmse_mm == Approx(std::sqrt((1 + 20.25 + 16) / 3.0)));
  CHECK(s.ramp_median_bias_mm == Approx(-1.0));
  CHECK(s.tp == 1);
  CHECK(s.fp == 1);
  CHECK(s.fn == 1);
  CHECK(s.tn == 0);
  CHECK(s.f1 == Approx(0.5));
  CHECK(s.bad_dates_found == 0);
  CHECK(s.bad_dates_false == 1);
  CHECK(s.n_burst_right);
  CHECK(!s.all_ok());
  const auto j = pjd::to_json(s);
  CHECK(j["pairs"]["f1"].get<double>() == Approx(0.5));
  CHECK(j["targets"]["bursts"].get<bool>());
}

TEST_CASE("evaluate: merged sub-swaths are matched by columns", "[evaluate]") {
  json t = {{"n_burst", 3}, {"length", 200}, {"width", 100}, {"bad_dates", json::array()}};
  t["boundary_rows"] = {{60, 130}, {80, 150}};
  t["subswaths"] = {{{"x0", 0}, {"x1", 50}, {"boundary_rows", {60, 130}}},
                    {{"x0", 50}, {"x1", 100}, {"boundary_rows", {80, 150}}}};
  t["pairs"] = json::array({{{"pair", "20210103_20210115"}, {"ramp_mm", {2.0, 7.0}}, {"low_coherence", false}}});
  pjd::DetectResult r;
  r.length = 200;
  r.width = 100;
  r.x1 = 100;
  r.params.n_burst = 3;
  r.params.pj_thr_mm = 5;
  r.subswaths = {{"IW1", 0, 48, 3, 70.0, 63.0}, {"IW2", 48, 100, 3, 70.0, 53.0}};
  pjd::SeamRow s;
  for (auto [row, sw] : std::vector<std::pair<std::size_t, std::size_t>>{{61, 0}, {80, 1}, {130, 0}, {151, 1}}) {
    s.row = row;
    s.subswath = sw;
    r.seams.push_back(s);
  }
  pjd::PairResult p;
  p.pair = "20210103_20210115";
  p.ramp_mm = 7.5;
  p.subswath_ramp_mm = {2.5, 7.5};
  p.excluded = true;
  r.pairs.push_back(p);
  r.excluded_pairs = {p.pair};
  auto sc = pjd::evaluate(t, r);
  CHECK(sc.n_subswaths_true == 2);
  CHECK(sc.n_subswaths_result == 2);
  CHECK(sc.seams_found == 4);
  CHECK(sc.seams_false == 0);
  CHECK(sc.n_ramp == 2);
  CHECK(sc.ramp_rmse_mm == Approx(0.5));
  CHECK(sc.f1 == Approx(1.0));
  CHECK(sc.all_ok());
  // The seam of IW2 at row 80 listed under IW1 does not count for IW2.
  r.seams[1].subswath = 0;
  sc = pjd::evaluate(t, r);
  CHECK(sc.seams_found == 3);
  CHECK(sc.seams_false == 1);  // IW1's columns [0, 48) overlap only the truth's IW1
}

TEST_CASE("pjd evaluate: command line, text and json, bad input", "[evaluate][cli]") {
  pjd::test::TempDir dir("eval_cli");
  const std::string nominal = std::string(pjd::test::kParityDir) + "/nominal";
  const auto out = dir.path() / "det";
  const auto det = pjd::test::run_pjd("detect " + nominal + " --method robust --no-catalog --progress none --out " +
                                      out.string());
  REQUIRE(det.exit_code == 0);
  const auto txt = pjd::test::run_pjd("evaluate " + nominal + " " + out.string());
  CHECK(txt.exit_code == 0);
  CHECK(txt.out.find("seams:      5 of 5 found") != std::string::npos);
  const auto js = pjd::test::run_pjd("evaluate " + nominal + "/truth.json " + (out / "summary.json").string() +
                                     " --format json");
  REQUIRE(js.exit_code == 0);
  const auto j = json::parse(js.out);
  CHECK(j["method"] == "robust");
  CHECK(j["bursts"]["right"].get<bool>());
  CHECK(j["dates"]["found"] == 2);
  const auto bad = pjd::test::run_pjd("evaluate " + (dir.path() / "nothing.json").string() + " " + out.string());
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("nothing.json") != std::string::npos);
}
