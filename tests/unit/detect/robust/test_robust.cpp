// The robust method: its steps on hand-made arrays with known answers, then end to end on a
// simulated stack (libpjd/src/robust.hpp, share/docs/robust-method.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "helpers.hpp"
#include "pjd/error.hpp"
#include "test_config.hpp"
#include "pjd/catalog.hpp"
#include "pjd/detect.hpp"
#include "pjd/evaluate.hpp"
#include "pjd/simulate.hpp"
#include "pjd/stack.hpp"
#include "detect/robust/robust.hpp"

namespace rb = pjd::robust;

namespace {

/// Mean-gradient profile (rad per row) of a phase that steps by `jump` between rows b-1 and b,
/// smeared by an erf (sigma rows), on top of a trend of `slope` rad per row.
std::vector<double> step_profile(std::size_t rows, std::size_t b, double jump, double sigma, double slope) {
  auto phase = [&](double r) {
    const double x = r - (static_cast<double>(b) - 0.5);
    const double s = sigma > 0 ? 0.5 * (1 + std::erf(x / (sigma * std::sqrt(2.0)))) : (x > 0 ? 1.0 : 0.0);
    return slope * r + jump * s;
  };
  std::vector<double> m(rows, NAN);
  for (std::size_t r = 1; r < rows; ++r) m[r] = phase(static_cast<double>(r)) - phase(static_cast<double>(r) - 1);
  return m;
}

/// A stack of profiles (pairs x rows): seams at `seams`, each pair with a random signed jump,
/// plus white noise of `noise` rad per row; counts 100 cells per row.
void noisy_stack(std::size_t np, std::size_t rows, const std::vector<std::size_t>& seams, double jump_sd,
                 double noise, std::uint32_t seed, std::vector<double>& mean, std::vector<double>& count) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  mean.assign(np * rows, NAN);
  count.assign(np * rows, 0.0);
  for (std::size_t p = 0; p < np; ++p) {
    const double j = jump_sd * n01(rng);
    for (std::size_t r = 1; r < rows; ++r) {
      double v = noise * n01(rng);
      for (auto s : seams)
        if (r == s) v += j;
      mean[p * rows + r] = v;
      count[p * rows + r] = 100;
    }
  }
}

}  // namespace

TEST_CASE("robust: segment bounds cover the columns", "[robust]") {
  auto b = rb::segment_bounds(140, 16, 8);
  REQUIRE(b.size() == 17);
  CHECK(b.front() == 0);
  CHECK(b.back() == 140);
  for (std::size_t i = 1; i < b.size(); ++i) CHECK(b[i] - b[i - 1] >= 8);
  CHECK(rb::segment_bounds(10, 16, 8).size() == 2);  // one segment
}

TEST_CASE("robust: gradient profile sums telescope and skip 2-pi errors", "[robust]") {
  const std::size_t rows = 6, cols = 4;
  std::vector<float> unw(rows * cols), coh(rows * cols, 0.9f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) unw[r * cols + c] = 1.0f + 0.1f * static_cast<float>(r) + 0.01f * c;
  unw[3 * cols + 1] += 6.2832f;  // an unwrapping error on one cell: its two gradients are left out
  coh[4 * cols + 3] = 0.1f;      // below the floor
  std::vector<float> sum(rows * 2), cnt(rows * 2);
  rb::gradient_profile(unw.data(), coh.data(), rows, cols, {0, 2, 4}, 0.3f, sum.data(), cnt.data());
  CHECK(cnt[0] == 0);
  CHECK(cnt[1 * 2 + 0] == 2);
  CHECK(sum[1 * 2 + 0] == Approx(0.2).margin(1e-5));
  CHECK(cnt[3 * 2 + 0] == 1);  // column 1 jumped by 2 pi
  CHECK(cnt[4 * 2 + 0] == 1);
  CHECK(cnt[4 * 2 + 1] == 1);  // column 3 below the coherence floor
  CHECK(cnt[5 * 2 + 1] == 1);
  std::vector<double> mean(rows), n(rows);
  rb::group_profile(sum.data(), cnt.data(), rows, 2, 0, 2, mean.data(), n.data());
  CHECK(std::isnan(mean[0]));
  CHECK(mean[2] == Approx(0.1).margin(1e-5));
  CHECK(n[2] == 4);
}

TEST_CASE("robust: the step fit removes the trend and sums a smeared step", "[robust]") {
  const std::size_t rows = 120, b = 60;
  SECTION("hard step on a linear trend") {
    const auto m = step_profile(rows, b, 0.7, 0.0, 0.05);
    CHECK(rb::fit_step(m.data(), rows, b, 2, 6) == Approx(0.7).margin(1e-9));
    CHECK(rb::fit_step(m.data(), rows, b, 2, 6, 2) == Approx(0.7).margin(1e-9));
  }
  SECTION("smear of 2 rows (10-90 %), located one row late") {
    const auto m = step_profile(rows, b, -0.4, 2.0 / 2.5631, -0.02);
    CHECK(rb::fit_step(m.data(), rows, b, 2, 6) == Approx(-0.4).margin(0.01));
    CHECK(rb::fit_step(m.data(), rows, b + 1, 2, 6) == Approx(-0.4).margin(0.03));
    // A one-row sample of the gradient (the published magnitude) sees about half of it.
    CHECK(std::fabs(m[b]) < 0.6 * 0.4);
  }
  SECTION("quadratic phase trend: order 2 is exact, order 1 is close") {
    auto m = step_profile(rows, b, 0.3, 0.0, 0.0);
    for (std::size_t r = 1; r < rows; ++r) m[r] += 0.002 * (static_cast<double>(r) - 0.5);  // P = 0.001 r^2
    CHECK(rb::fit_step(m.data(), rows, b, 2, 8, 2) == Approx(0.3).margin(1e-9));
    CHECK(rb::fit_step(m.data(), rows, b, 2, 8, 1) == Approx(0.3).margin(0.01));
  }
  SECTION("no data") {
    auto m = step_profile(rows, b, 0.3, 0.0, 0.0);
    m[b] = NAN;
    CHECK(std::isnan(rb::fit_step(m.data(), rows, b, 2, 6)));
    CHECK(std::isnan(rb::fit_step(m.data(), rows, 1, 2, 6)));
  }
}

TEST_CASE("robust: step sigma measures the noise away from the seams", "[robust]") {
  std::vector<double> mean, count;
  noisy_stack(1, 400, {100, 200, 300}, 0.0, 0.05, 3, mean, count);
  // fit_step with h = 2, w = 6: sum of 5 rows minus 5 x the mean of 12 -> sd = 0.05 sqrt(5 + 25/12).
  const double expect = 0.05 * std::sqrt(5.0 + 25.0 / 12.0);
  CHECK(rb::step_sigma(mean.data(), 400, {100, 200, 300}, 2, 6) == Approx(expect).epsilon(0.2));
}

TEST_CASE("robust: stacking finds weak seams no single pair shows", "[robust]") {
  const std::size_t np = 40, rows = 400;
  const std::vector<std::size_t> seams{57, 157, 257, 357};
  std::vector<double> mean, count;
  // Per-pair jumps of 3 noise sigmas (rms) on one row: a 3-row sum sees ~1.7 of its own
  // sigmas, under a pair-by-pair 3-sigma rule for most pairs; obvious when stacked.
  noisy_stack(np, rows, seams, 0.15, 0.05, 7, mean, count);
  // One pair with a huge artefact on another row: capped, it cannot make a seam.
  mean[5 * rows + 120] += 5.0;
  const auto st = rb::stack_energy(mean, count, rows, std::vector<bool>(np, true));
  CHECK(st.n_pairs == np);
  for (auto s : seams) CHECK(st.sig[s] > rb::kSigStrong);
  CHECK(st.sig[120] < rb::kSigWeak);
  const auto found = rb::find_seams(st, rows, 0.0, 0);
  CHECK(found.rows == seams);
  CHECK(found.spacing_rows == Approx(100).margin(0.5));
  // Very strong seams in every pair make no side peaks a few rows away (a mean detrend would).
  std::vector<double> mean2, count2;
  noisy_stack(np, rows, seams, 2.0, 0.05, 9, mean2, count2);
  const auto strong = rb::find_seams(rb::stack_energy(mean2, count2, rows, std::vector<bool>(np, true)), rows, 0.0, 0);
  CHECK(strong.rows == seams);
  CHECK(strong.notes.empty());
  // Skipped pairs take no part.
  std::vector<bool> use(np, false);
  CHECK(rb::stack_energy(mean, count, rows, use).n_pairs == 0);
}

TEST_CASE("robust: burst count from the seam spacing; off-grid peaks are rejected", "[robust]") {
  const std::size_t rows = 540;
  rb::Stacked st;
  st.e1.assign(rows, 1.0);
  st.sig.assign(rows, 0.0);
  const std::vector<std::size_t> seams{62, 151, 241, 330, 420, 509};  // ~89.5 rows apart, +-1 jitter
  for (auto s : seams) {
    st.sig[s - 1] = st.sig[s] = st.sig[s + 1] = 30.0;
    st.e1[s] = 40.0;
  }
  st.sig[280] = 12.0;  // strong, but between two seams: not on the grid
  auto found = rb::find_seams(st, rows, 447.0, 0);
  CHECK(found.rows == seams);
  CHECK(found.rows.size() + 1 == 7);  // bursts
  CHECK(found.spacing_rows == Approx(89.4).margin(0.5));
  REQUIRE(!found.notes.empty());
  CHECK(found.notes.front().find("row 280") != std::string::npos);
  SECTION("a weaker seam on the grid is kept, a weak peak off the grid is not") {
    st.sig[509] = st.sig[508] = st.sig[510] = 12.0;
    st.sig[200] = 12.0;
    found = rb::find_seams(st, rows, 447.0, 0);
    CHECK(found.rows == seams);
  }
  SECTION("a peak on the grid far weaker than the other seams is noise") {
    st.sig[509] = st.sig[508] = st.sig[510] = 6.0;
    found = rb::find_seams(st, rows, 447.0, 0);
    CHECK(found.rows == std::vector<std::size_t>(seams.begin(), seams.end() - 1));
  }
  SECTION("--n-burst overrides the count") {
    found = rb::find_seams(st, rows, 447.0, 5);
    CHECK(found.rows.size() == 4);
    found = rb::find_seams(st, rows, 447.0, 9);
    CHECK(found.rows.size() == 8);
  }
  SECTION("nothing above the noise: no seam, one burst") {
    std::fill(st.sig.begin(), st.sig.end(), 0.5);
    found = rb::find_seams(st, rows, 447.0, 0);
    CHECK(found.rows.empty());
  }
}

TEST_CASE("robust: network inversion recovers dates, down-weights an outlier", "[robust]") {
  // 6 dates, each linked to its next 2: v = date values (median 0 after the datum).
  const std::vector<double> v{0.0, 1.0, -2.0, 0.5, 3.0, -0.5};
  std::vector<std::size_t> ref, sec;
  std::vector<double> obs, sg;
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t k = 1; k <= 2 && i + k < v.size(); ++k) {
      ref.push_back(i);
      sec.push_back(i + k);
      obs.push_back(v[i + k] - v[i]);
      sg.push_back(0.1);
    }
  SECTION("exact data") {
    const auto net = rb::invert_network(v.size(), ref, sec, obs, sg);
    const double med = 0.25;  // median of v
    for (std::size_t d = 0; d < v.size(); ++d) CHECK(net.v[d] == Approx(v[d] - med).margin(1e-9));
    for (std::size_t d = 0; d < v.size(); ++d) CHECK(net.component[d] == 0);
    CHECK(net.scale == 1.0);
  }
  SECTION("one gross outlier") {
    obs[3] += 5.0;
    const auto net = rb::invert_network(v.size(), ref, sec, obs, sg);
    CHECK(net.weight[3] < 0.2);
    // The difference of two dates is what the pairs see.
    CHECK(net.v[4] - net.v[1] == Approx(2.0).margin(0.3));
    CHECK(std::fabs(net.residual[3]) > 4.0);
  }
  SECTION("covariance: one observation between two dates") {
    const auto net = rb::invert_network(3, {0}, {1}, {2.0}, {0.5});
    CHECK(net.v[1] - net.v[0] == Approx(2.0));
    const double var = net.cov[1 * 3 + 1] + net.cov[0] - 2 * net.cov[1];
    CHECK(var == Approx(0.25));
    CHECK(net.component[2] == -1);
    CHECK(std::isnan(net.v[2]));
  }
  SECTION("a normal matrix that cannot be factored raises pjd::Error, the one exception") {
    // Regression: this was a std::runtime_error, which front ends report as an internal error.
    // Weights of 1/sigma^2 overflow to infinity, so the factorisation meets inf - inf.
    CHECK_THROWS_AS(rb::invert_network(3, {0, 1}, {1, 2}, {1.0, 1.0}, {1e-200, 1e-200}), pjd::Error);
  }
  SECTION("two components, each with its own datum") {
    const auto net = rb::invert_network(4, {0, 2}, {1, 3}, {1.0, -4.0}, {0.1, 0.1});
    CHECK(net.component[0] != net.component[2]);
    CHECK(net.v[1] - net.v[0] == Approx(1.0));
    CHECK(net.v[3] - net.v[2] == Approx(-4.0));
    CHECK(net.v[0] + net.v[1] == Approx(0.0).margin(1e-12));
  }
}

TEST_CASE("robust: sub-swath split by seam signatures and a column cut", "[robust]") {
  const std::size_t rows = 300;
  std::mt19937 rng(1);
  std::normal_distribution<double> n01;
  // 7 segments: 0-2 see IW1's seams (50, 150, 250), 4-6 IW2's (80, 180, 280); segment 3 is
  // mixed (IW2 stronger); one more segment without data after segment 1.
  std::vector<std::vector<double>> seg;
  for (int k = 0; k < 7; ++k) {
    std::vector<double> p(rows);
    for (auto& x : p) x = n01(rng);
    const double a = k < 3 ? 30 : (k == 3 ? 10 : 0), b = k > 3 ? 30 : (k == 3 ? 20 : 0);
    for (std::size_t s : {50, 150, 250}) p[s] += a;
    for (std::size_t s : {80, 180, 280}) p[s] += b;
    seg.push_back(p);
  }
  seg.insert(seg.begin() + 2, std::vector<double>{});
  // Full-width peaks: both seam sets plus a noise peak.
  const std::vector<std::size_t> peaks{50, 80, 120, 150, 180, 250, 280};
  const std::vector<double> sig{20, 20, 6, 20, 20, 20, 20};
  const auto g = rb::split_by_signatures(peaks, sig, seg);
  REQUIRE(g.size() == 2);
  CHECK(g[0] == std::make_pair(std::size_t(0), std::size_t(4)));
  CHECK(g[1] == std::make_pair(std::size_t(4), std::size_t(8)));
  // One sub-swath: every peak is strong everywhere, one range.
  std::vector<std::vector<double>> one(5, std::vector<double>(rows, 0.0));
  for (auto& p : one)
    for (std::size_t s : {50, 150, 250}) p[s] = 25 + 3 * n01(rng);
  CHECK(rb::split_by_signatures({50, 150, 250}, {25, 25, 25}, one).size() == 1);
  // Column cut: evidence positive left of column 37, negative right of it.
  std::vector<double> d(60);
  for (std::size_t c = 0; c < 60; ++c) d[c] = (c < 37 ? 1.0 : -1.0) + 0.5 * n01(rng);
  CHECK(rb::best_cut(d, 20, 50) == 37);
  CHECK(rb::best_cut(d, 40, 50) == 40);  // nothing to the left: cut at the start
}

TEST_CASE("robust: jump per pixel from the overlap Doppler separation", "[robust]") {
  CHECK(rb::jump_rad_per_px(0) == Approx(2 * M_PI * 4900 * 2.055556e-3));
  CHECK(rb::jump_rad_per_px(1) == Approx(52.96).margin(0.01));
  CHECK(rb::jump_rad_per_px(7) == rb::jump_rad_per_px(1));
}

TEST_CASE("robust detect on a simulated stack: seams, bursts, dates, ramps", "[robust][detect]") {
  pjd::test::TempDir dir("robust_sim");
  pjd::SimParams sp = pjd::sim_preset("tiny");
  sp.seed = 5;
  sp.threads = 2;
  const auto truth = pjd::simulate(dir.path(), sp);
  const auto stack = pjd::Stack::open(dir.path());
  pjd::DetectParams p;
  p.method = "robust";
  p.threads = 2;
  const auto r = pjd::detect(stack, p);
  CHECK(r.params.n_burst == truth.n_burst);
  CHECK(r.n_burst_hint == 0);
  CHECK(r.n_burst_source.find("estimated") != std::string::npos);
  REQUIRE(r.seams.size() == truth.subswaths[0].boundary_rows.size());
  for (std::size_t i = 0; i < r.seams.size(); ++i) {
    const long long d = static_cast<long long>(r.seams[i].row) - static_cast<long long>(truth.subswaths[0].boundary_rows[i]);
    CHECK(std::llabs(d) <= 1);
  }
  CHECK(r.excluded_dates == truth.bad_dates);
  REQUIRE(r.subswaths.size() == 1);
  CHECK(r.subswaths[0].x0 == 0);
  CHECK(r.subswaths[0].x1 == sp.width);
  REQUIRE(r.dates.size() == truth.dates.size());
  // Every assessed pair: the ramp within 1 mm of the truth, signed jumps with the truth's sign.
  std::size_t checked = 0;
  for (std::size_t q = 0; q < r.pairs.size(); ++q) {
    const auto& pr = r.pairs[q];
    const auto& tp = truth.pairs[q];
    REQUIRE(pr.pair == tp.pair);
    if (!pr.ramp_mm || tp.low_coherence) continue;
    CHECK(*pr.ramp_mm == Approx(tp.ramp_mm[0]).margin(2.0));
    REQUIRE(pr.seam_jump_mm.size() == r.seams.size());
    if (tp.ramp_mm[0] > 5)
      for (std::size_t s = 0; s < r.seams.size(); ++s)
        CHECK(std::signbit(pr.seam_jump_mm[s]) == std::signbit(tp.jump_rad[0][s]));
    ++checked;
  }
  CHECK(checked > 20);
  // summary.json round trip keeps the robust fields.
  const auto j = pjd::to_json(r);
  CHECK(j.contains("dates"));
  CHECK(j.contains("subswaths"));
  const auto back = pjd::result_from_json(j);
  CHECK(pjd::to_json(back) == j);
  CHECK(back.dates.size() == r.dates.size());
  CHECK(back.pairs[0].seam_jump_mm.size() == r.seams.size());
  // And it scores perfectly against the truth on seams, dates and bursts.
  std::ofstream(dir.path() / "summary.json") << j.dump();
  const auto score = pjd::evaluate_files(dir.path() / "truth.json", dir.path() / "summary.json");
  CHECK(score.seams_ok());
  CHECK(score.dates_ok());
  CHECK(score.n_burst_right);
  CHECK(score.ramp_rmse_mm < 1.0);
  // The catalogue keeps the per-date misregistration and the per-seam jumps.
  const auto cat = dir.path() / "c.gpkg";
  {
    auto c = pjd::Catalog::open(cat);
    c.record_run(stack, r);
  }
  auto sql = [&](const std::string& q) {
    const auto out = dir.path() / "sql.txt";
    REQUIRE(std::system(("sqlite3 '" + cat.string() + "' \"" + q + "\" > '" + out.string() + "'").c_str()) == 0);
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    return line;
  };
  CHECK(sql("SELECT count(*) FROM pjd_run_dates") == std::to_string(truth.dates.size()));
  CHECK(sql("SELECT group_concat(date) FROM (SELECT date FROM pjd_run_dates WHERE excluded ORDER BY date)") ==
        truth.bad_dates[0] + "," + truth.bad_dates[1]);
  CHECK(sql("SELECT count(*) FROM pjd_run_pairs WHERE json_array_length(seam_jump_mm_json) = " +
            std::to_string(r.seams.size())) == std::to_string(r.pairs.size()));
  CHECK(sql("SELECT n_burst_source FROM pjd_runs").find("estimated") != std::string::npos);
}

TEST_CASE("robust detect: --n-burst overrides; --pair reports one pair of the whole stack's analysis", "[robust][detect]") {
  const auto stack = pjd::Stack::open(std::string(pjd::test::kParityDir) + "/nominal");
  pjd::DetectParams p;
  p.method = "robust";
  p.n_burst = 6;
  const auto r = pjd::detect(stack, p);
  CHECK(r.n_burst_hint == 6);
  CHECK(r.params.n_burst == 6);
  CHECK(r.n_burst_source.find("override") != std::string::npos);
  p.pair = stack.pairs()[3].name();
  const auto one = pjd::detect(stack, p);
  REQUIRE(one.pairs.size() == 1);
  CHECK(one.pairs[0].pair == *p.pair);
  CHECK(one.pairs[0].ramp_mm == r.pairs[3].ramp_mm);  // the same numbers as in the whole-stack run
  CHECK(one.seams.size() == r.seams.size());
  CHECK(one.profiles.n_pairs == 1);
  CHECK(one.profiles.median_grad_mm.size() == stack.length());
  for (const auto& d : one.dates) CHECK((p.pair->starts_with(d.date) || p.pair->ends_with(d.date)));
  CHECK(one.dates.size() == 2);
  p.pair = "20990101_20990113";
  CHECK_THROWS_AS(pjd::validate_params(stack, p), pjd::Error);
  p.pair.reset();
  p.n_burst = 0;
  p.method = "published";
  CHECK_THROWS_AS(pjd::validate_params(stack, p), pjd::Error);  // published still needs it
}

TEST_CASE("published summaries carry no robust keys", "[robust][json]") {
  pjd::DetectResult r;
  r.length = 10;
  r.width = 10;
  r.x1 = 10;
  r.params.method = "published";
  r.pairs.push_back({});
  const auto j = pjd::to_json(r);
  CHECK(!j.contains("dates"));
  CHECK(!j.contains("subswaths"));
  CHECK(!j["params"].contains("date_thr_px"));
  CHECK(!j["pairs"][0].contains("seam_jump_mm"));
}

TEST_CASE("robust detect: a stack without jumps has no seam and still records", "[robust][detect]") {
  pjd::test::TempDir dir("robust_flat");
  pjd::SimParams sp = pjd::sim_preset("tiny");
  sp.n_bad_dates = 0;
  sp.misreg_sigma_px = 0;
  sp.threads = 2;
  pjd::simulate(dir.path(), sp);
  const auto stack = pjd::Stack::open(dir.path());
  pjd::DetectParams p;
  p.method = "robust";
  p.threads = 2;
  const auto r = pjd::detect(stack, p);
  CHECK(r.seams.empty());
  CHECK(r.params.n_burst == 1);
  CHECK(r.n_burst_source.find("no seam") != std::string::npos);
  CHECK(r.excluded_pairs.empty());
  CHECK(r.excluded_dates.empty());
  auto c = pjd::Catalog::open(dir.path() / "c.gpkg");
  CHECK(c.record_run(stack, r) > 0);
}

TEST_CASE("robust detect on a grown stack: reused profiles give the full run's result to the bit",
          "[robust][detect][catalog]") {
  // Two merged sub-swaths, so the column cut between them (which needs the reused pairs'
  // gradients around the boundary) is exercised too.
  pjd::test::TempDir dir("robust_reuse");
  const auto stack = pjd::test::simulate_merged(dir.path() / "s", 3, 2, 200);
  pjd::DetectParams p;
  p.method = "robust";
  p.threads = 2;
  const auto full = pjd::detect(stack, p);
  REQUIRE(full.subswaths.size() == 2);
  REQUIRE(full.n_segments > 0);
  REQUIRE(full.seg_grad_sum_rad.size() == full.pairs.size() * full.length * full.n_segments);

  auto c = pjd::Catalog::open(dir.path() / "c.gpkg");
  c.record_run(stack, full);
  const auto id = c.find_stack(pjd::fingerprint_stack(stack).identity);
  REQUIRE(id);
  auto cache = c.load_profiles(*id, full.x0, full.x1, full.params.cmin);
  REQUIRE(cache.size() == full.pairs.size());
  for (const auto& [name, prof] : cache) CHECK(prof.n_segments == full.n_segments);
  // The stack "grew" by its last 15 pairs: they are not in the cache.
  for (std::size_t i = full.pairs.size() - 15; i < full.pairs.size(); ++i) cache.erase(full.pairs[i].pair);

  const auto inc = pjd::detect(stack, p, {}, &cache);
  CHECK(inc.n_pairs_reused == full.pairs.size() - 15);
  CHECK(inc.avg_coherence.empty());  // incomplete with reused pairs: not drawn
  auto doc = [](const pjd::DetectResult& r) {
    auto j = pjd::to_json(r);
    j.erase("timings_s");
    j.erase("n_pairs_reused");
    return j;
  };
  CHECK(doc(inc) == doc(full));
  CHECK(inc.seg_grad_sum_rad == full.seg_grad_sum_rad);

  // Published profiles alone (no segment profiles) are not enough for robust: read again.
  for (auto& [name, prof] : cache) prof.n_segments = 0;
  CHECK(pjd::detect(stack, p, {}, &cache).n_pairs_reused == 0);
}

TEST_CASE("robust --sub-x on a merged stack names the sub-swath by its columns (its df_ovl, so its px)",
          "[robust][detect]") {
  pjd::test::TempDir dir("robust_subx");
  const auto stack = pjd::test::simulate_merged(dir.path(), 2, 3, 240);
  REQUIRE(stack.attributes().get("beam_swath") == "123");
  pjd::DetectParams p;
  p.method = "robust";
  p.threads = 2;
  const auto all = pjd::detect(stack, p);
  REQUIRE(all.subswaths.size() == 3);
  for (std::size_t k : {0, 1}) {
    INFO("sub-swath " << k);
    p.sub_x = std::make_pair(all.subswaths[k].x0, all.subswaths[k].x1);
    const auto one = pjd::detect(stack, p);
    REQUIRE(one.subswaths.size() == 1);
    CHECK(one.subswaths[0].name == all.subswaths[k].name);
    CHECK(one.subswaths[0].jump_rad_per_px == all.subswaths[k].jump_rad_per_px);
  }
}
