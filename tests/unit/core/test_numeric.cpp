// numpy-convention helpers (libpjd/src/numeric.hpp). Expected values worked out by
// hand, or (where marked) printed by numpy 1.24 for the same input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <cmath>
#include <vector>

#include "core/numeric.hpp"

using namespace pjd::num;

namespace {
const double kN = std::nan("");
std::vector<float> harmonic_f32(std::size_t n) {
  std::vector<float> a(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<float>(1.0 / static_cast<double>(i + 1));
  return a;
}
}  // namespace

TEST_CASE("percentile_linear follows numpy's linear method", "[numeric]") {
  std::vector<double> v{4, 1, 3, 2};
  CHECK(percentile_linear(v.data(), v.size(), 0.25) == 1.75);  // virtual index 0.75
  CHECK(percentile_linear(v.data(), v.size(), 0.5) == 2.5);    // gamma 0.5: b - diff * 0.5
  CHECK(percentile_linear(v.data(), v.size(), 0.0) == 1.0);
  CHECK(percentile_linear(v.data(), v.size(), 1.0) == 4.0);    // index >= n-1: the maximum
  CHECK(percentile_linear(v.data(), v.size(), 0.99) == Approx(3.97).margin(1e-12));
  std::vector<double> one{7};
  CHECK(percentile_linear(one.data(), 1, 0.25) == 7.0);
  CHECK(std::isnan(percentile_linear(nullptr, 0, 0.5)));
}

TEST_CASE("nanpercentile drops NaN and takes percent", "[numeric]") {
  std::vector<double> a{kN, 10, 0, kN, 20}, s;
  CHECK(nanpercentile(a.data(), a.size(), 25, s) == 5.0);   // sorted 0,10,20; index 0.5
  CHECK(nanpercentile(a.data(), a.size(), 50, s) == 10.0);
  std::vector<double> all_nan{kN, kN};
  CHECK(std::isnan(nanpercentile(all_nan.data(), 2, 50, s)));
}

TEST_CASE("nanmedian: middle value or mean of the two middle values", "[numeric]") {
  std::vector<double> a{3, kN, 1, 2}, s;
  CHECK(nanmedian(a.data(), a.size(), s) == 2.0);
  std::vector<double> b{4, 1, 3, 2};
  CHECK(nanmedian(b.data(), b.size(), s) == 2.5);
  std::vector<double> c{kN, kN};
  CHECK(std::isnan(nanmedian(c.data(), c.size(), s)));
  std::vector<float> f{2.0f, 1.0f}, fs;
  CHECK(nanmedian(f.data(), f.size(), fs) == 1.5f);
}

TEST_CASE("round_dec is numpy's rint(x * 10^d) / 10^d, half to even", "[numeric]") {
  CHECK(round_dec(0.125, 2) == 0.12);   // 12.5 -> 12
  CHECK(round_dec(0.375, 2) == 0.38);   // 37.5 -> 38
  CHECK(round_dec(2.5, 0) == 2.0);
  CHECK(round_dec(0.5, 0) == 0.0);
  CHECK(round_dec(1.5, 0) == 2.0);
  CHECK(round_dec(12.25, 1) == 12.2);
  CHECK(round_dec(12.35, 1) == 12.4);   // 12.35 * 10 rounds to 123.5 in float64, then to even 124
  CHECK(round_dec(2.675, 2) == 2.68);   // numpy 2.68 (Python's round() gives 2.67)
  CHECK(std::isnan(round_dec(kN, 2)));
  CHECK(round_dec_f32(0.125f, 2) == 0.12f);
  CHECK(round_dec_f32(2.675f, 2) == 2.68f);
}

TEST_CASE("pairwise_sum is numpy's summation order, not a running sum", "[numeric]") {
  const auto a = harmonic_f32(1000);
  // numpy 1.24: np.sum(a) == 7.4854717; a sequential float32 sum gives 7.4854784.
  CHECK(np_sum(a.data(), a.size()) == 7.4854717f);
  float seq = 0;
  for (float x : a) seq += x;
  CHECK(seq == 7.4854784f);
  std::vector<double> small{1, 2, 3};
  CHECK(np_sum(small.data(), 3) == 6.0);
  CHECK(np_sum(small.data(), 0) == 0.0);
}

TEST_CASE("nanmean and nanstd (ddof 0) in the array's precision", "[numeric]") {
  std::vector<double> a{1, 2, kN, 3, 4}, s;
  CHECK(nanmean(a.data(), a.size(), s) == 2.5);
  CHECK(nanstd(a.data(), a.size(), s) == Approx(std::sqrt(1.25)).epsilon(1e-15));
  std::vector<double> e{kN};
  CHECK(std::isnan(nanmean(e.data(), 1, s)));
  CHECK(std::isnan(nanstd(e.data(), 1, s)));
  // float32, NaN every 7th value; numpy 1.24 prints 0.006680108 and 0.02597305.
  auto f = harmonic_f32(1000);
  for (std::size_t i = 0; i < f.size(); i += 7) f[i] = std::nanf("");
  std::vector<float> fs;
  CHECK(nanmean(f.data(), f.size(), fs) == 0.006680108f);
  CHECK(nanstd(f.data(), f.size(), fs) == 0.02597305f);
  // 11 x 0.9 and one 0.5 (float32): numpy 0.86666656 and 0.11055415.
  std::vector<float> c(11, 0.9f);
  c.push_back(0.5f);
  CHECK(nanmean(c.data(), c.size(), fs) == 0.86666656f);
  CHECK(nanstd(c.data(), c.size(), fs) == 0.11055415f);
}

TEST_CASE("select_adjacent equals a full sort, for small and radix-sized inputs", "[numeric]") {
  std::mt19937_64 rng(5);
  for (std::size_t n : {1u, 2u, 7u, 1000u, 20000u, 100001u}) {
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<double> d(n);
      std::vector<float> f(n);
      std::uniform_real_distribution<double> u(-3.0, 40.0);
      for (std::size_t i = 0; i < n; ++i) {
        // Ties and clusters: quantised values, some negative, a narrow spike.
        d[i] = trial == 0 ? u(rng) : trial == 1 ? std::round(u(rng) * 4) / 4 : 1.0 + 1e-9 * double(rng() % 50);
        f[i] = static_cast<float>(d[i]);
      }
      auto ds = d;
      auto fs = f;
      std::sort(ds.begin(), ds.end());
      std::sort(fs.begin(), fs.end());
      for (std::size_t k : {std::size_t(0), n / 2, n - 1, (n * 99) / 100}) {
        INFO("n " << n << " trial " << trial << " k " << k);
        auto dd = d;
        auto ff = f;
        const auto [a, b] = pjd::num::select_adjacent(dd.data(), n, k);
        CHECK(a == ds[k]);
        CHECK(b == ds[std::min(k + 1, n - 1)]);
        const auto [fa, fb] = pjd::num::select_adjacent(ff.data(), n, k);
        CHECK(fa == fs[k]);
        CHECK(fb == fs[std::min(k + 1, n - 1)]);
      }
    }
  }
}
