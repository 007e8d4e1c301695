// The accuracy benchmark (pjd bench accuracy): pooling, the markdown table, the CLI's
// usage errors, and the regression test: robust meets the targets on the CI grid.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "pjd/accuracy.hpp"
#include "pjd/error.hpp"

namespace fs = std::filesystem;

namespace {

using pjd::test::slurp;

pjd::StackAccuracy stack_with(std::size_t seams_true, std::size_t seams_found, std::size_t n_ramp, double rmse,
                              double bias, std::size_t tp, std::size_t fp, std::size_t fn, bool bursts_right) {
  pjd::StackAccuracy s;
  pjd::EvalScore e;
  e.seams_true = seams_true;
  e.seams_found = seams_found;
  e.n_ramp = n_ramp;
  e.ramp_rmse_mm = rmse;
  e.ramp_median_bias_mm = bias;
  e.tp = tp;
  e.fp = fp;
  e.fn = fn;
  e.f1 = tp + fp + fn ? 2.0 * double(tp) / double(2 * tp + fp + fn) : NAN;
  e.bad_dates_true = 2;
  e.bad_dates_found = 2;
  e.n_burst_right = bursts_right;
  s.methods["robust"] = {e, 1.0};
  return s;
}

}  // namespace

TEST_CASE("accuracy grids: the cells of the benchmark and of CI", "[accuracy]") {
  const auto& full = pjd::accuracy_grid_full();
  REQUIRE(full.size() == 20);
  CHECK(full.front().name == "baseline");
  CHECK(full.back().name == "coh 0.7, scatter 0.003, smear 1, 3 sub-swaths");
  const auto p = full.back().sim_params(7);
  CHECK(p.coherence_mean == 0.7);
  CHECK(p.misreg_sigma_px == 0.003);
  CHECK(p.smear_rows == 1.0);
  CHECK(p.n_subswaths == 3);
  CHECK(p.width == 240);
  CHECK(p.seed == 7);
  CHECK(p.threads == 1);
  CHECK(p.n_dates == pjd::sim_preset("small").n_dates);
  const auto& ci = pjd::accuracy_grid("ci");
  REQUIRE(ci.size() == 5);
  for (const auto& c : ci) CHECK(c.sim_params(1).n_dates == 20);
  CHECK(ci[1].params_json()["orbit"] == "desc");
  CHECK(ci[4].params_json()["scatter"] == 0.005);  // bad dates must stand out of a large scatter too
  CHECK_THROWS_AS(pjd::accuracy_grid("huge"), pjd::Error);
}

TEST_CASE("accuracy: a cell's scores are pooled over its stacks", "[accuracy]") {
  // Two stacks: seams 5/5 and 4/5; ramps 10 at 0.3 mm and 30 at 0.5 mm; TP/FP/FN 8/1/0 and 9/0/1.
  const std::vector<pjd::StackAccuracy> st = {stack_with(5, 5, 10, 0.3, -0.1, 8, 1, 0, true),
                                              stack_with(5, 4, 30, 0.5, 0.2, 9, 0, 1, false)};
  const auto a = pjd::aggregate_accuracy(st, "robust");
  CHECK(a.stacks == 2);
  CHECK(a.seams_found_pct == Approx(90.0));
  CHECK(a.ramp_rmse_mm == Approx(std::sqrt((10 * 0.09 + 30 * 0.25) / 40)));
  CHECK(a.ramp_median_bias_mm == Approx(0.05));
  CHECK(a.pair_f1 == Approx(2.0 * 17 / (2 * 17 + 1 + 1)));
  CHECK(a.pair_f1_min == Approx(16.0 / 17));  // the first stack: 2*8/(16+1)
  CHECK(a.pair_precision == Approx(17.0 / 18));
  CHECK(a.pair_recall == Approx(17.0 / 18));
  CHECK(a.bad_dates_found == 4);
  CHECK(a.bursts_right_pct == 50.0);
  CHECK(a.missed_targets() == std::vector<std::string>{"seams", "f1", "bursts"});
  CHECK_FALSE(a.all_ok());
  CHECK_THROWS_AS(pjd::aggregate_accuracy(st, "published"), pjd::Error);

  // No ramp scored: RMSE and bias n/a, the ramp target missed.
  const auto b = pjd::aggregate_accuracy({stack_with(0, 0, 0, NAN, NAN, 0, 0, 0, true)}, "robust");
  CHECK(std::isnan(b.ramp_rmse_mm));
  CHECK(b.seams_found_pct == 100.0);
  CHECK(b.pair_f1 == 1.0);
  CHECK(b.missed_targets() == std::vector<std::string>{"ramp"});
  CHECK(pjd::to_json(b)["ramp_rmse_mm"].is_null());
}

TEST_CASE("accuracy: the markdown table goes between the markers, atomically", "[accuracy]") {
  pjd::test::TempDir tmp("accuracy_md");
  pjd::AccuracyRun run;
  run.grid = "ci";
  run.seeds = 2;
  run.methods = {"robust"};
  run.elapsed_s = 12.4;
  pjd::CellAccuracy c;
  c.name = "ci baseline";
  c.pair_mean_coherence = 0.7512;
  c.stacks = {stack_with(5, 5, 10, 0.3, -0.001, 8, 1, 0, true)};
  c.methods["robust"] = pjd::aggregate_accuracy(c.stacks, "robust");
  run.cells.push_back(c);

  const fs::path md = tmp.path() / "accuracy.md";
  {
    std::ofstream out(md);
    out << "# Accuracy\n\nintro\n\n<!-- accuracy-table:start -->\nold table\n<!-- accuracy-table:end -->\n\n## After\n";
  }
  pjd::write_accuracy_markdown(md, run, "build/bin/pjd bench accuracy --grid ci --seeds 2 --markdown x.md");
  const std::string text = slurp(md);
  CHECK(text.rfind("# Accuracy\n\nintro\n\n<!-- accuracy-table:start -->\n\nRegenerate with:\n\n```\n"
                   "build/bin/pjd bench accuracy --grid ci --seeds 2 --markdown x.md\n```\n\n"
                   "1 cells, 2 seeds per simulated cell, 12 s.\n\n| cell | pair coh | method |",
                   0) == 0);
  CHECK(text.find("old table") == std::string::npos);
  CHECK(text.find("| ci baseline | 0.75 | robust | 100% | 0 | 0.30 | -0.00 | 0.94 (0.89/1.00) | 2/2 (0) | 100% | "
                  "missed: f1 |\n<!-- accuracy-table:end -->\n\n## After\n") != std::string::npos);
  // No temporary left next to it.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 1);
  // A file without markers gets the table appended; a missing one is created.
  const fs::path fresh = tmp.path() / "new.md";
  pjd::write_accuracy_markdown(fresh, run, "cmd");
  CHECK(slurp(fresh).rfind("# Accuracy\n\n<!-- accuracy-table:start -->\n\nRegenerate with:", 0) == 0);
}

TEST_CASE("pjd bench accuracy: bad usage exits 2, a bad parity directory 3, one line each", "[accuracy][cli]") {
  using pjd::test::run_pjd;
  auto one_line = [](const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; };
  auto r = run_pjd("bench");
  CHECK(r.exit_code == 2);
  CHECK(one_line(r.err));
  r = run_pjd("bench accuracy --grid huge");
  CHECK(r.exit_code == 2);
  CHECK(one_line(r.err));
  r = run_pjd("bench accuracy --grid ci --methods robust,magic");
  CHECK(r.exit_code == 2);
  CHECK(r.err == "pjd bench: unknown method 'magic' (published, robust)\n");
  r = run_pjd("bench accuracy --grid ci --seeds 0");
  CHECK(r.exit_code == 2);
  CHECK(one_line(r.err));

  pjd::test::TempDir tmp("accuracy_cli");
  r = run_pjd("bench accuracy --grid ci --parity " + (tmp.path() / "nowhere").string());
  CHECK(r.exit_code == 3);
  CHECK(one_line(r.err));
  r = run_pjd("bench accuracy --grid ci --parity " + tmp.path().string());  // no cases.json
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("cases.json") != std::string::npos);

  r = run_pjd("bench accuracy --help-json");
  REQUIRE(r.exit_code == 0);
  const auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["command"] == "pjd bench accuracy");
  std::vector<std::string> names;
  for (const auto& o : doc["options"]) names.push_back(o["name"]);
  for (const char* n : {"grid", "seeds", "first-seed", "jobs", "methods", "parity", "markdown", "work", "keep",
                        "format", "progress"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
}

// The regression test: 4 cells x 2 seeds of 20-date simulated stacks (mean coherence >= 0.65,
// smear 0.3-2 rows, 6-10 bursts, asc/desc, water or none, one or two sub-swaths), robust only.
// Per cell: every seam found within +-1 row and none false, ramp RMSE <= 1 mm, pair F1 >= 0.95,
// every bad date found and none false, burst count right in >= 95 % of the stacks. The full
// grid is the benchmark in docs/accuracy.md (pjd bench accuracy --grid full).
TEST_CASE("robust meets the targets on the CI accuracy grid", "[accuracy][grid]") {
  pjd::test::TempDir tmp("accuracy_ci");
  pjd::AccuracyOptions o;
  o.grid = "ci";
  o.seeds = 2;
  o.methods = {"robust"};
  o.jobs = 2;
  o.work = tmp.path();
  const pjd::AccuracyRun run = pjd::run_accuracy(o);
  REQUIRE(run.cells.size() == 5);
  for (const auto& c : run.cells) {
    const auto& a = c.methods.at("robust");
    char line[256];
    std::snprintf(line, sizeof line,
                  "%-40s seams %5.1f%% false %zu | RMSE %.2f mm | F1 %.3f | dates %zu/%zu false %zu | bursts %3.0f%%",
                  c.name.c_str(), a.seams_found_pct, a.seams_false, a.ramp_rmse_mm, a.pair_f1, a.bad_dates_found,
                  a.bad_dates_true, a.bad_dates_false, a.bursts_right_pct);
    INFO(line);
    CHECK(a.stacks == 2);
    CHECK(a.seams_found_pct == 100.0);
    CHECK(a.seams_false == 0);
    CHECK(a.ramp_rmse_mm <= 1.0);  // false for NaN (no ramp scored)
    CHECK(a.pair_f1 >= 0.95);
    CHECK(a.bad_dates_found == a.bad_dates_true);
    CHECK(a.bad_dates_false == 0);
    CHECK(a.bursts_right_pct >= 95.0);
  }
  // The stacks are gone: only the work directory itself is left.
  CHECK(fs::is_empty(tmp.path()));
}
