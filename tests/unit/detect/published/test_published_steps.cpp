// The published method's steps (libpjd/src/published.hpp) on small hand-made arrays.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "detect/published/published.hpp"

using namespace pjd::published;

namespace {
const double kN = std::numeric_limits<double>::quiet_NaN();
// phase2range * 1000 = 1 (to rounding): gradients in mm equal the phase differences.
const double kWavelength = 4.0 * std::numbers::pi / 1000.0;
}  // namespace

TEST_CASE("process_pair: masking, outliers, statistics, intensity", "[published]") {
  // 6 rows x 2 columns. Gradients exist for rows 2-3 only (rows 0, 1, 4, 5 are borders).
  const std::vector<float> unw{1, 1, 2, 2, 4, 3, 7, 3.5f, 8, 8, 9, 9};
  std::vector<float> coh(12, 0.9f);
  coh[3 * 2 + 1] = 0.5f;  // below cmin: phase (3,1) masked, so g(3,1) and g(4,1) are no-data
  coh[5 * 2 + 0] = 0.0f;  // no-data coherence: left out of the coherence statistics
  std::vector<double> inten(6), med(6);
  std::vector<std::int32_t> cnt(6);
  PairScratch s;
  const auto st = process_pair(unw.data(), coh.data(), 6, 2, 0.75, kWavelength, inten.data(), cnt.data(),
                               med.data(), s);
  // Valid g = {2, 1, 3}; p99 = 2.98 removes 3; median of {2, 1} = 1.5 = M.
  CHECK(st.grad_median_mm == 1.5);
  CHECK(st.grad_mean_mm == 1.5);
  CHECK(st.grad_std_mm == 0.5);
  // Coherence: ten 0.9 and one 0.5 (the 0 is no-data): numpy gives 0.9, 0.86, 0.11.
  CHECK(st.coh_median == static_cast<double>(0.9f));
  CHECK(st.coh_mean == static_cast<double>(0.86f));
  CHECK(st.coh_std == static_cast<double>(0.11f));
  CHECK_FALSE(st.skipped);
  CHECK(cnt == std::vector<std::int32_t>{0, 0, 2, 0, 0, 0});
  CHECK(inten[2] == 50.0);  // g = 2 >= 1.5, g = 1 < 1.5
  CHECK(med[2] == Approx(1.5).epsilon(1e-12));
  for (int r : {0, 1, 3, 4, 5}) {
    CHECK(std::isnan(inten[r]));
    CHECK(std::isnan(med[r]));
  }
}

TEST_CASE("process_pair: intensity rounded to one decimal, >= the median", "[published]") {
  // 5 rows x 4 columns; row 2 has g = {1, 2, 3, 4}: p99 = 3.97 drops 4, M = 2.
  const std::vector<float> unw{5, 5, 5, 5, 10, 10, 10, 10, 11, 12, 13, 14, 1, 1, 1, 1, 1, 1, 1, 1};
  const std::vector<float> coh(20, 0.8f);
  std::vector<double> inten(5), med(5);
  std::vector<std::int32_t> cnt(5);
  PairScratch s;
  const auto st = process_pair(unw.data(), coh.data(), 5, 4, 0.75, kWavelength, inten.data(), cnt.data(),
                               med.data(), s);
  CHECK(st.grad_median_mm == 2.0);
  CHECK(cnt[2] == 3);
  CHECK(inten[2] == 66.7);  // 2 of 3 (g = 2 counts: >=)
  CHECK(med[2] == Approx(2.0).epsilon(1e-12));
}

TEST_CASE("process_pair: a pair with mean coherence < 0.4 is skipped", "[published]") {
  const std::vector<float> unw(20, 1.0f), coh(20, 0.3f);
  std::vector<double> inten(5), med(5);
  std::vector<std::int32_t> cnt(5);
  PairScratch s;
  const auto st = process_pair(unw.data(), coh.data(), 5, 4, 0.75, kWavelength, inten.data(), cnt.data(),
                               med.data(), s);
  CHECK(st.skipped);
  CHECK(st.coh_mean == static_cast<double>(0.3f));
  CHECK(std::isnan(st.grad_median_mm));
  CHECK(cnt == std::vector<std::int32_t>(5, 0));
}

TEST_CASE("nan_zero_and_skipped and counts_for_masking", "[published]") {
  std::vector<double> a{0, 1, kN, 2, 3, 4};
  nan_zero_and_skipped(a, {false, true}, 3);
  CHECK(std::isnan(a[0]));
  CHECK(a[1] == 1);
  for (int i : {2, 3, 4, 5}) CHECK(std::isnan(a[i]));

  const auto c = counts_for_masking({0, -999, 5, 7, 8, 9}, {false, true}, 3);
  CHECK(std::isnan(c[0]));
  CHECK(std::isnan(c[1]));
  CHECK(c[2] == 5);
  for (int i : {3, 4, 5}) CHECK(c[i] == static_cast<double>(std::numeric_limits<std::int64_t>::min()));
}

TEST_CASE("row_reliability: percentile of counts vs width * pct", "[published]") {
  const std::vector<double> counts{kN, 10, 20, 30, 40};
  auto rel = row_reliability(counts, 100, 0.25);  // P = 17.5, p = 25
  CHECK(rel.percentile_count == 17.5);
  CHECK(rel.width_count == 25);
  CHECK(rel.auto_mask);
  CHECK(rel.threshold == 25);
  rel = row_reliability(counts, 40, 0.25);  // p = 10 <= P
  CHECK_FALSE(rel.auto_mask);
  CHECK(rel.threshold == 17.5);
  std::vector<double> inten(5, 1.0);
  apply_row_reliability(inten, counts, rel);  // keep C > 17.5
  CHECK(std::isnan(inten[0]));
  CHECK(std::isnan(inten[1]));
  CHECK(inten[2] == 1.0);
  CHECK(inten[4] == 1.0);
  // A skipped pair's INT64_MIN counts drag the percentile down (reference behaviour).
  const auto c2 = counts_for_masking({10, 20, 30, 40, 10, 20, 30, 40}, {false, true}, 4);
  rel = row_reliability(c2, 1, 0.25);
  CHECK(rel.percentile_count == static_cast<double>(std::numeric_limits<std::int64_t>::min()));
  CHECK(rel.auto_mask);
}

TEST_CASE("average-coherence mask: NaN-aware mean over pairs, then row counts", "[published]") {
  // 1 row x 3 cells, three pairs: cell 0 = {0.8, 0.6, 0.7}, cell 1 = {NaN, NaN, 0.9}, cell 2 all NaN.
  std::vector<float> sum(3, 0.0f);
  std::vector<std::int32_t> n(3, 0);
  const float nf = std::nanf("");
  const std::vector<std::vector<float>> pairs{{0.8f, nf, nf}, {0.6f, nf, nf}, {0.7f, 0.9f, nf}};
  for (const auto& p : pairs) avg_coh_accumulate(p.data(), 3, sum.data(), n.data());
  CHECK(n == std::vector<std::int32_t>{3, 1, 0});
  CHECK(avg_coh_mask_counts(sum.data(), n.data(), 1, 3, 0.75) == std::vector<std::int32_t>{1});  // 0.7, 0.9, NaN
  CHECK(avg_coh_mask_counts(sum.data(), n.data(), 1, 3, 0.65) == std::vector<std::int32_t>{2});
  // Apply: keep C >= mask count; NaN counts never pass.
  std::vector<double> inten{5, 5, 5};
  apply_avg_coh_mask(inten, {kN, 1, 2}, {1, 1, 1});
  CHECK(std::isnan(inten[0]));
  CHECK(inten[1] == 5);
  CHECK(inten[2] == 5);
  std::vector<double> inten2{5, 5};
  apply_avg_coh_mask(inten2, {1, 2}, {2, 2});
  CHECK(std::isnan(inten2[0]));
  CHECK(inten2[1] == 5);
}

TEST_CASE("coarse_detection: detrend, gradient, 3 sigma, pair after pair", "[published]") {
  const std::size_t rows = 40;
  std::vector<double> in(3 * rows, 10.0);
  for (std::size_t p = 0; p < 3; ++p) in[p * rows] = in[p * rows + 1] = kN;  // border rows
  in[0 * rows + 25] = 30;  // pair 0: spike at row 25
  in[1 * rows + 10] = 30;  // pair 1: spike at row 10; pair 2 flat (std 0: nothing)
  // Pair 0: d = 2 at row 25, -2 at 26, 0 elsewhere (37 values): 3 sigma = 1.39 < 2.
  CHECK(coarse_detection(in, rows) == std::vector<std::size_t>{25, 10});
  // Only 17 valid gradient values: 3 sigma = 2.06 > 2, nothing is flagged.
  std::vector<double> shorter(3 * 20, 10.0);
  for (std::size_t p = 0; p < 3; ++p) shorter[p * 20] = shorter[p * 20 + 1] = kN;
  shorter[10] = 30;
  CHECK(coarse_detection(shorter, 20).empty());
  // All-NaN pair and all-NaN rows: no peaks, no crash.
  std::vector<double> none(2 * 10, kN);
  CHECK(coarse_detection(none, 10).empty());
}

TEST_CASE("refine_detection: frequency filter, windows, ties, empty windows", "[published]") {
  // 100 rows, B = 4: w = 25, h = 12; windows [13,37), [38,62), [63,87).
  const std::size_t rows = 100, np = 10;
  std::vector<double> med(np * rows, 1.0);
  auto set_col = [&](std::size_t r, double v) {
    for (std::size_t p = 0; p < np; ++p) med[p * rows + r] = v;
  };
  set_col(26, 2.0);
  set_col(50, 0.5);
  std::vector<std::size_t> ylist;
  for (int i = 0; i < 3; ++i) ylist.insert(ylist.end(), {25, 26});
  for (int i = 0; i < 5; ++i) ylist.push_back(50);
  ylist.insert(ylist.end(), {51, 60, 90, 90, 90, 90});  // 90: in no window; window 3 empty
  auto r = refine_detection(ylist, med, rows, 4);
  CHECK(r.rows == std::vector<std::size_t>{26, 50});  // tie 25/26 broken by the larger median
  CHECK(r.votes == std::vector<std::size_t>{3, 5});
  CHECK(r.median_grad == std::vector<double>{2.0, 0.5});

  set_col(26, 1.0);  // equal medians: both kept
  r = refine_detection(ylist, med, rows, 4);
  CHECK(r.rows == std::vector<std::size_t>{25, 26, 50});

  set_col(26, kN);  // a NaN median: np.max is NaN, the window yields nothing
  r = refine_detection(ylist, med, rows, 4);
  CHECK(r.rows == std::vector<std::size_t>{50});

  // Frequency filter: count must exceed 1% of all pairs (200 pairs: > 2).
  std::vector<double> med200(200 * rows, 1.0);
  r = refine_detection({25, 25, 50, 50, 50}, med200, rows, 4);
  CHECK(r.rows == std::vector<std::size_t>{50});
  CHECK(refine_detection({}, med200, rows, 4).rows.empty());
}

TEST_CASE("seam_warnings: the reference's three checks", "[published]") {
  // w = 90: spacing 90/87/89 rows gives fractions 0, .97, .99: min < 0.5 -> "irregular".
  auto w = seam_warnings({176, 266, 353, 442}, 6, 540);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("scpacing") != std::string::npos);
  CHECK(seam_warnings({90, 225}, 6, 540).empty());  // 135/90 = 1.5: fraction 0.5
  w = seam_warnings({10, 100, 190, 280, 370, 460}, 6, 540);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("more coordinates") != std::string::npos);
  w = seam_warnings({100}, 6, 540);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("unique") != std::string::npos);
  CHECK(seam_warnings({100}, 2, 200).empty());  // one seam, one expected
  w = seam_warnings({}, 6, 540);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("No phase-jump row") != std::string::npos);
}

TEST_CASE("measure_pj: sum over common rows, or mean times b", "[published]") {
  const std::size_t rows = 10;
  std::vector<double> med(3 * rows, kN);
  med[0 * rows + 2] = 1;
  med[0 * rows + 5] = 2;
  med[1 * rows + 2] = 3;
  med[1 * rows + 5] = 4;  // pair 2: no value at the seams -> dropped
  auto ramp = measure_pj(med, rows, {2, 5}, 3);  // b = 2, both rows common: sum
  CHECK(ramp[0] == 3);
  CHECK(ramp[1] == 7);
  CHECK(std::isnan(ramp[2]));
  med[1 * rows + 5] = kN;  // only row 2 common (1 < b): nanmean * b
  ramp = measure_pj(med, rows, {2, 5}, 3);
  CHECK(ramp[0] == 3);  // (1 + 2) / 2 * 2
  CHECK(ramp[1] == 6);  // 3 * 2
  ramp = measure_pj(med, rows, {2, 5}, 2);  // b = 1: one common row is enough, sum over it
  CHECK(ramp[0] == 1);
  CHECK(ramp[1] == 3);
  ramp = measure_pj(med, rows, {}, 3);
  CHECK(std::isnan(ramp[0]));
}

TEST_CASE("excluded_dates: more than 50% of a date's assessed pairs", "[published]") {
  const std::vector<std::string> assessed{"20210101_20210113", "20210101_20210125", "20210113_20210125",
                                          "20210125_20210206"};
  // 20210101: 1 of 2 (50%, kept); 20210125: 1 of 3; 20210206: 1 of 1 -> excluded.
  CHECK(excluded_dates(assessed, {"20210101_20210113", "20210125_20210206"}) ==
        std::vector<std::string>{"20210206"});
  CHECK(excluded_dates(assessed, {"20210101_20210113", "20210101_20210125"}) ==
        std::vector<std::string>{"20210101"});
  CHECK(excluded_dates(assessed, {}).empty());
}
