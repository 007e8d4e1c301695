// process_pair (four fused passes, histogram selection, streamed pairwise sums) against a
// plain transcription of the reference arithmetic (full float64 gradient plane, copies,
// nanpercentile / nanmedian / nanmean_std): equal bit for bit, on random planes with no-data,
// zeros, ties, infinities and borders. Also PairwiseStream against pairwise_sum.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "core/numeric.hpp"
#include "detect/published/published.hpp"

namespace {

using pjd::published::PairStats;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

double stat_f64(double x) { return static_cast<double>(static_cast<float>(pjd::num::round_dec(x, 2))); }
double stat_f32(float x) { return static_cast<double>(pjd::num::round_dec_f32(x, 2)); }

// Steps 2-9 as written before the fused version (one plane-sized step at a time).
PairStats reference_pair(const float* unw, const float* coh, std::size_t rows, std::size_t cols, double cmin,
                         double wavelength_m, double* intensity, std::int32_t* counts, double* med_grad_mm) {
  namespace num = pjd::num;
  const std::size_t n = rows * cols;
  std::vector<float> u(n), c(n), ftmp;
  std::vector<double> g(n), dtmp;
  const float cminf = static_cast<float>(cmin);
  for (std::size_t i = 0; i < n; ++i) {
    const float cc = coh[i];
    const float uu = cc < cminf ? kNaNf : unw[i];
    c[i] = cc == 0.0f ? kNaNf : cc;
    u[i] = uu == 0.0f ? kNaNf : uu;
  }
  const double phase2range = wavelength_m / (4.0 * std::numbers::pi);
  for (std::size_t r = 0; r < rows; ++r) {
    double* gr = g.data() + r * cols;
    if (r < 2 || r + 2 >= rows) {
      std::fill(gr, gr + cols, kNaN);
      continue;
    }
    for (std::size_t k = 0; k < cols; ++k) {
      double v = static_cast<double>(std::fabs(u[r * cols + k] - u[(r - 1) * cols + k]));
      v *= phase2range;
      v *= 1000;
      gr[k] = v;
    }
  }
  const double p99 = num::nanpercentile(g.data(), n, 99.0, dtmp);
  for (auto& v : g)
    if (v > p99) v = kNaN;
  PairStats st;
  st.grad_median_mm = stat_f64(num::nanmedian(g.data(), n, dtmp));
  const auto [g_mean, g_std] = num::nanmean_std(g.data(), n, dtmp);
  st.grad_mean_mm = stat_f64(g_mean);
  st.grad_std_mm = stat_f64(g_std);
  st.coh_median = stat_f32(num::nanmedian(c.data(), n, ftmp));
  const auto [c_mean, c_std] = num::nanmean_std(c.data(), n, ftmp);
  st.coh_mean = stat_f32(c_mean);
  st.coh_std = stat_f32(c_std);
  st.skipped = st.coh_mean < 0.4;
  const double m = st.grad_median_mm;
  for (std::size_t r = 0; r < rows; ++r) {
    const double* gr = g.data() + r * cols;
    std::int32_t valid = 0, jump = 0;
    for (std::size_t k = 0; k < cols; ++k) {
      if (std::isnan(gr[k])) continue;
      ++valid;
      if (gr[k] >= m) ++jump;
    }
    counts[r] = valid;
    intensity[r] = valid ? num::round_dec(static_cast<double>(jump) / static_cast<double>(valid) * 100, 1) : kNaN;
    med_grad_mm[r] = num::nanmedian(gr, cols, dtmp);
  }
  return st;
}

bool same(double a, double b) {
  std::uint64_t x, y;
  std::memcpy(&x, &a, 8);
  std::memcpy(&y, &b, 8);
  return x == y || (std::isnan(a) && std::isnan(b));
}

}  // namespace

TEST_CASE("PairwiseStream equals pairwise_sum, whatever the pieces", "[numeric]") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  pjd::num::PairwiseStream<double> ps;
  pjd::num::PairwiseStream<float> pf;
  for (std::size_t n : {0u, 1u, 7u, 8u, 127u, 128u, 129u, 1000u, 4099u, 120000u}) {
    std::vector<double> d(n);
    std::vector<float> f(n);
    for (std::size_t i = 0; i < n; ++i) {
      d[i] = u(rng) * std::pow(10.0, double(rng() % 12));
      f[i] = static_cast<float>(d[i]);
    }
    for (std::size_t piece : {1u, 3u, 64u, 800u, 100000u}) {
      ps.reset(n);
      pf.reset(n);
      for (std::size_t i = 0; i < n; i += piece) {
        ps.add(d.data() + i, std::min(piece, n - i));
        pf.add(f.data() + i, std::min(piece, n - i));
      }
      INFO("n " << n << " piece " << piece);
      CHECK(same(ps.sum(), pjd::num::np_sum(d.data(), n)));
      const float a = pf.sum(), b = pjd::num::np_sum(f.data(), n);
      CHECK(std::memcmp(&a, &b, 4) == 0);
    }
  }
}

TEST_CASE("process_pair equals the plain reference arithmetic bit for bit", "[published]") {
  std::mt19937_64 rng(3);
  const double wavelength = 0.05546576;
  pjd::published::PairScratch s;  // reused across sizes, as the workers do
  struct Case {
    std::size_t rows, cols;
    int kind;
  };
  const std::vector<Case> cases{{1, 5, 0},   {3, 3, 0},    {4, 7, 0},    {5, 4, 1},    {6, 2, 2},
                                {40, 33, 0}, {40, 33, 1},  {40, 33, 2},  {40, 33, 3},  {40, 33, 4},
                                {200, 150, 0}, {200, 150, 1}, {200, 150, 3}, {300, 210, 2}, {131, 97, 5}};
  for (const auto& cs : cases) {
    for (int trial = 0; trial < 3; ++trial) {
      const std::size_t n = cs.rows * cs.cols;
      std::vector<float> unw(n), coh(n);
      std::uniform_real_distribution<float> uc(0.0f, 1.0f), uu(-30.0f, 30.0f);
      for (std::size_t i = 0; i < n; ++i) {
        float c = uc(rng), v = uu(rng);
        switch (cs.kind) {
          case 1:  // quantised phase and coherence: many ties
            v = std::round(v * 2) / 2;
            c = std::round(c * 8) / 8;
            break;
          case 2:  // no-data: NaN, zeros
            if (rng() % 7 == 0) c = kNaNf;
            if (rng() % 9 == 0) v = 0.0f;
            if (rng() % 11 == 0) c = 0.0f;
            if (rng() % 13 == 0) v = kNaNf;
            break;
          case 3:  // mostly masked, low coherence
            c *= 0.8f;
            break;
          case 4:  // infinities and huge values
            if (rng() % 50 == 0) v = std::numeric_limits<float>::infinity();
            if (rng() % 60 == 0) v = -3e38f;
            break;
          case 5:  // everything masked
            c = 0.1f;
            break;
          default: break;
        }
        unw[i] = v;
        coh[i] = c;
      }
      std::vector<double> i1(cs.rows), i2(cs.rows), m1(cs.rows), m2(cs.rows);
      std::vector<std::int32_t> c1(cs.rows), c2(cs.rows);
      const auto a = pjd::published::process_pair(unw.data(), coh.data(), cs.rows, cs.cols, 0.75, wavelength,
                                                  i1.data(), c1.data(), m1.data(), s);
      const auto b = reference_pair(unw.data(), coh.data(), cs.rows, cs.cols, 0.75, wavelength, i2.data(), c2.data(),
                                    m2.data());
      INFO("rows " << cs.rows << " cols " << cs.cols << " kind " << cs.kind << " trial " << trial);
      CHECK(same(a.coh_median, b.coh_median));
      CHECK(same(a.coh_mean, b.coh_mean));
      CHECK(same(a.coh_std, b.coh_std));
      CHECK(same(a.grad_median_mm, b.grad_median_mm));
      CHECK(same(a.grad_mean_mm, b.grad_mean_mm));
      CHECK(same(a.grad_std_mm, b.grad_std_mm));
      CHECK(a.skipped == b.skipped);
      CHECK(c1 == c2);
      for (std::size_t r = 0; r < cs.rows; ++r) {
        INFO("row " << r);
        CHECK(same(i1[r], i2[r]));
        CHECK(same(m1[r], m2[r]));
      }
    }
  }
}

TEST_CASE("select_adjacent_bits equals a full sort", "[numeric]") {
  std::mt19937_64 rng(17);
  for (std::size_t n : {1u, 2u, 3u, 16u, 17u, 33u, 800u, 5000u}) {
    for (int trial = 0; trial < 4; ++trial) {
      std::vector<std::uint32_t> v(n);
      for (auto& x : v)  // distinct, few values (ties), all equal, sorted runs
        x = trial == 0 ? static_cast<std::uint32_t>(rng()) : trial == 1 ? static_cast<std::uint32_t>(rng() % 5)
                                                          : trial == 2 ? 7u : static_cast<std::uint32_t>(&x - v.data());
      auto sorted = v;
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t k : {std::size_t(0), n / 2, n - 1, n / 3}) {
        auto w = v;
        const auto [a, b] = pjd::num::select_adjacent_bits(w.data(), n, k);
        INFO("n " << n << " trial " << trial << " k " << k);
        CHECK(a == sorted[k]);
        CHECK(b == sorted[std::min(k + 1, n - 1)]);
        // Near a window: around the answer, off it, empty, everything.
        std::vector<std::uint32_t> tmp(n);
        const std::uint32_t s_k = sorted[k];
        for (auto [lo, hi] : {std::pair<std::uint32_t, std::uint32_t>{s_k, s_k},
                              {s_k > 3 ? s_k - 3 : 0u, s_k + 3}, {s_k + 1, s_k + 100}, {1u, 0u}, {0u, ~0u}}) {
          auto w2 = v;
          const auto [a2, b2] = pjd::num::select_adjacent_bits_near(w2.data(), n, k, lo, hi, tmp.data());
          INFO("window " << lo << " " << hi);
          CHECK(a2 == sorted[k]);
          CHECK(b2 == sorted[std::min(k + 1, n - 1)]);
        }
      }
    }
  }
}
