#include "detect/robust/robust.hpp"

#include "core/numeric.hpp"
#include "core/parallel.hpp"
#include "pjd/error.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace pjd::robust {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = std::numbers::pi;
}  // namespace

double jump_rad_per_px(int iw_index) {
  // Doppler separation in the burst overlap (tops-facts.md): IW1 4.9 kHz, IW2 4.1 kHz, IW3 4.3 kHz.
  static constexpr double df_ovl_hz[3] = {4900.0, 4100.0, 4300.0};
  const double df = (iw_index >= 0 && iw_index < 3) ? df_ovl_hz[iw_index] : df_ovl_hz[1];
  return 2.0 * kPi * df * kLineTimeS;
}

namespace {
// Medians on the finite values as unsigned keys in the order of the doubles (-0 before +0),
// by a selection of the middle one or two (called a great many times by stack_energy).
// Equal keys are equal bits, so any selection gives the same value.
inline std::uint64_t key_of(double x) {
  const auto u = std::bit_cast<std::uint64_t>(x);
  return u >> 63 ? ~u : u | (std::uint64_t{1} << 63);
}
inline double value_of(std::uint64_t k) {
  return std::bit_cast<double>(k >> 63 ? k & ~(std::uint64_t{1} << 63) : ~k);
}
/// The keys of the finite values of v[0, n) in keys[0, m) (keys grown to n); returns m.
std::size_t finite_keys(const double* v, std::size_t n, std::vector<std::uint64_t>& keys) {
  if (keys.size() < n) keys.resize(n);
  std::uint64_t* __restrict out = keys.data();
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out[m] = key_of(v[i]);
    m += std::isfinite(v[i]);
  }
  return m;
}
/// The median of the values of keys[0, n) (reordered); NaN when n == 0. (std::nth_element
/// on the integer keys: about twice as fast here as num::select_adjacent_keys64.)
double median_keys(std::uint64_t* keys, std::size_t n) {
  if (n == 0) return kNaN;
  const std::size_t m = n / 2;
  if (n % 2) {
    std::nth_element(keys, keys + m, keys + n);
    return value_of(keys[m]);
  }
  std::nth_element(keys, keys + (m - 1), keys + n);
  const std::uint64_t lo = keys[m - 1], hi = *std::min_element(keys + m, keys + n);
  return 0.5 * (value_of(lo) + value_of(hi));
}
/// This thread's key buffer (a reference taken once: each access to a thread_local costs a
/// call in a shared library).
std::vector<std::uint64_t>& key_scratch() {
  thread_local std::vector<std::uint64_t> keys;
  return keys;
}
/// median_of and mad_sigma on v[0, n).
double median_n(const double* v, std::size_t n) {
  auto& keys = key_scratch();
  return median_keys(keys.data(), finite_keys(v, n, keys));
}
double mad_sigma_n(const double* v, std::size_t n) {
  auto& keys = key_scratch();
  const std::size_t m = finite_keys(v, n, keys);
  const double med = median_keys(keys.data(), m);
  if (!std::isfinite(med)) return kNaN;
  // keys[0, m) still hold the finite values (reordered): their absolute deviations, finite ones.
  std::uint64_t* k = keys.data();
  std::size_t nd = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double d = std::fabs(value_of(k[i]) - med);
    k[nd] = key_of(d);
    nd += std::isfinite(d);
  }
  return 1.4826 * median_keys(k, nd);
}
}  // namespace

double median_of(const std::vector<double>& v) { return median_n(v.data(), v.size()); }

double mad_sigma(const std::vector<double>& v) { return mad_sigma_n(v.data(), v.size()); }

std::vector<std::size_t> segment_bounds(std::size_t cols, std::size_t max_segments, std::size_t min_width) {
  std::size_t k = std::max<std::size_t>(1, std::min(max_segments, min_width ? cols / min_width : cols));
  if (k == 0) k = 1;
  std::vector<std::size_t> b(k + 1);
  for (std::size_t i = 0; i <= k; ++i) b[i] = i * cols / k;
  return b;
}

namespace {
// Compiled for AVX2 too on x86-64 with GCC, chosen at run time (as published.cpp's row
// kernels): the same IEEE operations lane by lane, wider vectors.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define PJD_ROBUST_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PJD_ROBUST_CLONES
#endif
PJD_ROBUST_CLONES void gradient_row_kernel(const float* __restrict ua, const float* __restrict ub,
                                           const float* __restrict ca, const float* __restrict cb,
                                           const std::size_t* bounds, std::size_t K, float coh_floor,
                                           float* __restrict sum_rad, float* __restrict count) {
  constexpr float kPif = static_cast<float>(std::numbers::pi);
  // Per segment: the kept gradients (else 0) and 1 per kept cell, summed in 8 interleaved
  // lanes, then the lanes pairwise (a fixed order). Branch-free, so it vectorises: a NaN
  // phase or coherence fails one of the tests, an infinite phase gives |d| = inf or NaN.
  for (std::size_t k = 0; k < K; ++k) {
    float s[8] = {}, n[8] = {};
    std::size_t c = bounds[k];
    const std::size_t e = bounds[k + 1];
    for (; c + 8 <= e; c += 8)
      for (std::size_t l = 0; l < 8; ++l) {
        const float d = ub[c + l] - ua[c + l];
        const bool ok = (ua[c + l] != 0.0f) & (ub[c + l] != 0.0f) & (ca[c + l] >= coh_floor) &
                        (cb[c + l] >= coh_floor) & (std::fabs(d) < kPif);
        s[l] += ok ? d : 0.0f;
        n[l] += ok ? 1.0f : 0.0f;
      }
    for (std::size_t l = 0; c < e; ++c, ++l) {
      const float d = ub[c] - ua[c];
      const bool ok = (ua[c] != 0.0f) & (ub[c] != 0.0f) & (ca[c] >= coh_floor) & (cb[c] >= coh_floor) &
                      (std::fabs(d) < kPif);
      s[l] += ok ? d : 0.0f;
      n[l] += ok ? 1.0f : 0.0f;
    }
    sum_rad[k] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    count[k] = ((n[0] + n[1]) + (n[2] + n[3])) + ((n[4] + n[5]) + (n[6] + n[7]));
  }
}
}  // namespace

void gradient_row(const float* unw_prev, const float* unw, const float* coh_prev, const float* coh, std::size_t,
                  const std::vector<std::size_t>& bounds, float coh_floor, float* sum_rad, float* count) {
  gradient_row_kernel(unw_prev, unw, coh_prev, coh, bounds.data(), bounds.size() - 1, coh_floor, sum_rad, count);
}

void gradient_rows(const float* unw, const float* coh, std::size_t r0, std::size_t r1, std::size_t cols,
                   const std::vector<std::size_t>& bounds, float coh_floor, float* sum_rad, float* count) {
  const std::size_t K = bounds.size() - 1;
  for (std::size_t r = std::max<std::size_t>(r0, 1); r < r1; ++r)
    gradient_row(unw + (r - 1) * cols, unw + r * cols, coh + (r - 1) * cols, coh + r * cols, cols, bounds, coh_floor,
                 sum_rad + r * K, count + r * K);
}

void energy_columns(const float* unw, const float* coh, std::size_t rows, std::size_t w, float coh_floor,
                    std::size_t plane_cols, std::size_t col0, std::int64_t* esum, std::int32_t* ecnt) {
  constexpr float kPif = static_cast<float>(std::numbers::pi);
  for (std::size_t r = 1; r < rows; ++r) {
    const std::size_t a = (r - 1) * w, b = r * w;
    for (std::size_t c = 0; c < w; ++c) {
      if (!(unw[a + c] != 0.0f && unw[b + c] != 0.0f && coh[a + c] >= coh_floor && coh[b + c] >= coh_floor)) continue;
      const float d = unw[b + c] - unw[a + c];
      if (!(std::fabs(d) < kPif)) continue;
      esum[r * plane_cols + col0 + c] += energy_units(d);
      ecnt[r * plane_cols + col0 + c] += 1;
    }
  }
}

void gradient_profile(const float* unw, const float* coh, std::size_t rows, std::size_t cols,
                      const std::vector<std::size_t>& bounds, float coh_floor, float* sum_rad, float* count) {
  const std::size_t K = bounds.size() - 1;
  std::fill(sum_rad, sum_rad + rows * K, 0.0f);
  std::fill(count, count + rows * K, 0.0f);
  gradient_rows(unw, coh, 1, rows, cols, bounds, coh_floor, sum_rad, count);
}

void group_profile(const float* sum_rad, const float* count, std::size_t rows, std::size_t K, std::size_t k0,
                   std::size_t k1, double* out_rad, double* out_count) {
  for (std::size_t r = 0; r < rows; ++r) {
    double s = 0, n = 0;
    for (std::size_t k = k0; k < k1; ++k) {
      s += sum_rad[r * K + k];
      n += count[r * K + k];
    }
    out_rad[r] = n > 0 ? s / n : kNaN;
    out_count[r] = n;
  }
}

namespace {

constexpr std::size_t kDetrendRows = 8;  // detrending half window (rows)

/// One pair's normalised profiles for stack_energy: s1 (single rows) and s3 (3-row sums) over
/// their noise sigmas sd1, sd3; ok = false when the pair does not take part.
struct PairZ {
  bool ok = false;
  double sd1 = 0, sd3 = 0;
  std::unique_ptr<double[]> s1, s3;
};

/// The valid values of a window of rows, sorted (at most 2 kDetrendRows + 1): the running
/// median of stack_energy, a row in and a row out per step.
class SortedWindow {
 public:
  void insert(double v) {
    std::size_t i = len_;
    for (; i > 0 && v < w_[i - 1]; --i) w_[i] = w_[i - 1];
    w_[i] = v;
    ++len_;
    count_zero(v, 1);
  }
  void erase(double v) {  // v is in the window: the element with its bits goes
    std::size_t i = 0;
    while (std::bit_cast<std::uint64_t>(w_[i]) != std::bit_cast<std::uint64_t>(v)) ++i;
    for (; i + 1 < len_; ++i) w_[i] = w_[i + 1];
    --len_;
    count_zero(v, -1);
  }
  std::size_t size() const { return len_; }
  double at(std::size_t i) const { return w_[i]; }
  /// Both +0 and -0 in the window: equal values of other bits, which a selection may give
  /// in either order.
  bool signed_zeros() const { return neg_zero_ > 0 && pos_zero_ > 0; }

 private:
  void count_zero(double v, int d) {
    if (v == 0) (std::signbit(v) ? neg_zero_ : pos_zero_) += d;
  }
  double w_[2 * kDetrendRows + 1] = {};
  std::size_t len_ = 0;
  int neg_zero_ = 0, pos_zero_ = 0;
};

/// Per-thread buffers of pair_energy.
struct EnergyScratch {
  std::vector<double> x, win, csum, m, n;
  std::vector<long long> ccnt;
};
EnergyScratch& energy_scratch() {
  thread_local EnergyScratch s;
  return s;
}

/// stack_energy's work on one pair's profiles m, n (rows each).
PairZ pair_energy(const double* m, const double* n, std::size_t rows, bool fast, EnergyScratch& sc) {
  constexpr std::size_t R = kDetrendRows;
  std::vector<double>& x = sc.x;
  x.resize(rows);
  auto valid = [&](std::size_t j) { return j >= 1 && n[j] > 0 && std::isfinite(m[j]); };
  // Detrend by a running median over +-8 rows (the local azimuth trend and the in-burst
  // ramp). A median, not a mean: a strong seam inside the window must not shift the rows
  // around it (a mean makes side peaks a few rows either side of every strong seam).
  // The fast variant (column signatures only, where the rows are already known) uses the
  // mean of rows r-8..r-2 and r+2..r+8 from prefix sums.
  std::size_t nvalid = 0;
  if (!fast) {
    // The window of row r is rows [r - R, r + R], its valid values kept sorted as it slides:
    // the median is the value std::nth_element gives, the same bits, except for a tie of
    // +0 and -0 (then nth_element itself decides, on the window as it was built before).
    SortedWindow win;
    for (std::size_t j = 0; j < std::min(rows, R); ++j)
      if (valid(j)) win.insert(m[j]);
    for (std::size_t r = 0; r < rows; ++r) {
      // Out first, then in: the window never holds more than 2R + 1 values.
      if (r >= R + 1 && valid(r - R - 1)) win.erase(m[r - R - 1]);
      if (r + R < rows && valid(r + R)) win.insert(m[r + R]);
      x[r] = kNaN;
      if (r < 2 || r + 2 > rows || !(n[r] > 0) || !std::isfinite(m[r])) continue;
      const std::size_t h = win.size() / 2;
      double med = win.at(h);
      if (med == 0 && win.signed_zeros()) {
        sc.win.clear();
        const std::size_t lo = r >= R ? r - R : 0, hi = std::min(rows, r + R + 1);
        for (std::size_t j = lo; j < hi; ++j)
          if (valid(j)) sc.win.push_back(m[j]);
        std::nth_element(sc.win.begin(), sc.win.begin() + static_cast<std::ptrdiff_t>(h), sc.win.end());
        med = sc.win[h];
      }
      x[r] = m[r] - med;
      ++nvalid;
    }
  } else {
    std::vector<double>& csum = sc.csum;
    std::vector<long long>& ccnt = sc.ccnt;
    csum.resize(rows + 1);
    ccnt.resize(rows + 1);
    csum[0] = 0;
    ccnt[0] = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const bool ok = valid(r);
      csum[r + 1] = csum[r] + (ok ? m[r] : 0.0);
      ccnt[r + 1] = ccnt[r] + (ok ? 1 : 0);
    }
    const long long L = static_cast<long long>(rows), RR = static_cast<long long>(R);
    for (std::size_t r = 0; r < rows; ++r) {
      x[r] = kNaN;
      if (r < 2 || r + 2 > rows || !(n[r] > 0) || !std::isfinite(m[r])) continue;
      const long long rr = static_cast<long long>(r);
      double bs = 0;
      long long bc = 0;
      for (auto [a, b] : {std::pair{rr - RR, rr - 2}, std::pair{rr + 2, rr + RR}}) {
        a = std::max(a, 0LL);
        b = std::min(b, L - 1);
        if (a > b) continue;
        bs += csum[static_cast<std::size_t>(b + 1)] - csum[static_cast<std::size_t>(a)];
        bc += ccnt[static_cast<std::size_t>(b + 1)] - ccnt[static_cast<std::size_t>(a)];
      }
      if (bc < 3) continue;
      x[r] = m[r] - bs / static_cast<double>(bc);
      ++nvalid;
    }
  }
  if (nvalid < 10) return {};
  auto s1 = std::make_unique_for_overwrite<double[]>(rows);
  auto s3 = std::make_unique_for_overwrite<double[]>(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    s1[r] = std::isfinite(x[r]) ? x[r] * std::sqrt(n[r]) : kNaN;
    s3[r] = kNaN;
    if (r >= 1 && r + 1 < rows && std::isfinite(x[r - 1]) && std::isfinite(x[r]) && std::isfinite(x[r + 1]))
      s3[r] = (x[r - 1] + x[r] + x[r + 1]) / std::sqrt(1.0 / n[r - 1] + 1.0 / n[r] + 1.0 / n[r + 1]);
  }
  // Noise floors keep noise-free profiles usable (1e-4 rad per cell).
  const double sd1 = std::max(mad_sigma_n(s1.get(), rows), 1e-4), sd3 = std::max(mad_sigma_n(s3.get(), rows), 1e-4);
  if (!std::isfinite(sd1) || !std::isfinite(sd3)) return {};
  return PairZ{true, sd1, sd3, std::move(s1), std::move(s3)};
}

/// The stacked energy of the pairs' normalised profiles, summed in pair order.
Stacked stack_pairs(const std::vector<PairZ>& per_pair, std::size_t rows);

}  // namespace

Stacked stack_energy(const std::vector<double>& mean_rad, const std::vector<double>& count, std::size_t rows,
                     const std::vector<bool>& use, bool fast, unsigned threads) {
  const std::size_t np = rows ? mean_rad.size() / rows : 0;
  // Each pair's normalised profiles on any thread, then the sums in pair order: the same to
  // the bit whatever the thread count.
  std::vector<PairZ> per_pair(np);
  parallel_for(np, threads, [&](std::size_t p, unsigned) {
    if (p < use.size() && !use[p]) return;
    per_pair[p] = pair_energy(mean_rad.data() + p * rows, count.data() + p * rows, rows, fast, energy_scratch());
  });
  return stack_pairs(per_pair, rows);
}

Stacked stack_energy_segments(const float* sum_rad, const float* count, std::size_t np, std::size_t rows,
                              std::size_t K, std::size_t k0, std::size_t k1, const std::vector<bool>& use, bool fast,
                              unsigned threads) {
  std::vector<PairZ> per_pair(np);
  parallel_for(np, threads, [&](std::size_t p, unsigned) {
    if (p < use.size() && !use[p]) return;
    EnergyScratch& sc = energy_scratch();
    sc.m.resize(rows);
    sc.n.resize(rows);
    group_profile(sum_rad + p * rows * K, count + p * rows * K, rows, K, k0, k1, sc.m.data(), sc.n.data());
    per_pair[p] = pair_energy(sc.m.data(), sc.n.data(), rows, fast, sc);
  });
  return stack_pairs(per_pair, rows);
}

namespace {
Stacked stack_pairs(const std::vector<PairZ>& per_pair, std::size_t rows) {
  Stacked st;
  const std::size_t np = per_pair.size();
  std::vector<double> sum1(rows, 0.0), sum1c(rows, 0.0), sum3(rows, 0.0), n1(rows, 0.0), n3(rows, 0.0);
  for (std::size_t p = 0; p < np; ++p) {
    if (!per_pair[p].ok) continue;
    const double sd1 = per_pair[p].sd1, sd3 = per_pair[p].sd3;
    const double* s1 = per_pair[p].s1.get();
    const double* s3 = per_pair[p].s3.get();
    ++st.n_pairs;
    for (std::size_t r = 0; r < rows; ++r) {
      if (std::isfinite(s1[r])) {
        // Single rows only locate a seam already found: no cap, so the strongest pairs decide.
        const double z = s1[r] / sd1;
        sum1[r] += z * z;
        sum1c[r] += std::min(z * z, kEnergyCap);
        n1[r] += 1;
      }
      if (std::isfinite(s3[r])) {
        const double z = s3[r] / sd3;
        sum3[r] += std::min(z * z, kEnergyCap);
        n3[r] += 1;
      }
    }
  }
  st.e1.assign(rows, kNaN);
  st.e3.assign(rows, kNaN);
  std::vector<double> e1c(rows, kNaN);
  for (std::size_t r = 0; r < rows; ++r) {
    if (n1[r] > 0) {
      st.e1[r] = sum1[r] / n1[r];
      e1c[r] = sum1c[r] / n1[r];
    }
    if (n3[r] > 0) st.e3[r] = sum3[r] / n3[r];
  }
  auto significance = [&](const std::vector<double>& e) {
    std::vector<double> s(rows, kNaN);
    // e is in units of squared noise sigmas (~1 on rows without a seam): floor the spread so a
    // noise-free profile still ranks its rows.
    const double med = median_of(e), sd = std::max(mad_sigma(e), 1e-3);
    if (!std::isfinite(sd)) return s;
    for (std::size_t r = 0; r < rows; ++r)
      if (std::isfinite(e[r])) s[r] = (e[r] - med) / sd;
    return s;
  };
  st.sig1 = significance(st.e1);
  st.sig3 = significance(st.e3);
  // Detection: the better of the 3-row sums (smeared steps) and the capped single rows (hard
  // steps, whose one-row gradient the 3-row sum dilutes with two rows of noise).
  const auto sig1c = significance(e1c);
  st.sig.assign(rows, kNaN);
  for (std::size_t r = 0; r < rows; ++r)
    if (std::isfinite(st.sig3[r]) || std::isfinite(sig1c[r]))
      st.sig[r] = std::max(std::isfinite(st.sig3[r]) ? st.sig3[r] : -1e300, std::isfinite(sig1c[r]) ? sig1c[r] : -1e300);
  return st;
}
}  // namespace

namespace {

double at(const std::vector<double>& v, long long r) {
  return r >= 0 && static_cast<std::size_t>(r) < v.size() && std::isfinite(v[static_cast<std::size_t>(r)])
             ? v[static_cast<std::size_t>(r)]
             : -std::numeric_limits<double>::infinity();
}

struct Peak {
  std::size_t row;
  double sig;
};

}  // namespace

std::string fixed(double v, int prec) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(prec);
  s << v;
  return s.str();
}

SeamSearch find_seams(const Stacked& st, std::size_t rows, double prior, int n_override) {
  SeamSearch out;
  const auto& s3 = st.sig;
  if (s3.size() != rows || rows < 8) return out;
  // Local maxima of sig3 (the first row of a plateau), >= kSigWeak.
  std::vector<Peak> cands;
  for (long long r = 2; r + 2 < static_cast<long long>(rows); ++r) {
    const double v = at(s3, r);
    if (!(v >= kSigWeak)) continue;
    bool is_max = true;
    for (long long j = r - 3; j <= r + 3 && is_max; ++j) {
      if (j == r) continue;
      const double u = at(s3, j);
      if (u > v || (u == v && j < r)) is_max = false;
    }
    if (is_max) cands.push_back({static_cast<std::size_t>(r), v});
  }
  // Location: the strongest single-row energy within +-2 rows (a hard step puts its whole
  // gradient on the first row after the seam; the 3-row sum has a plateau there).
  const auto& e1 = st.e1;
  auto locate = [&](std::size_t r) {
    std::size_t best = r;
    double bv = at(e1, static_cast<long long>(r));
    for (long long j = static_cast<long long>(r) - 2; j <= static_cast<long long>(r) + 2; ++j) {
      if (j < 2 || j + 2 > static_cast<long long>(rows)) continue;
      const double u = at(e1, j);
      if (u > bv) {
        bv = u;
        best = static_cast<std::size_t>(j);
      }
    }
    return best;
  };
  // Candidates sit on their located rows from here on (a saturated 3-row plateau would
  // otherwise put them anywhere within +-1 row of the seam).
  for (auto& c : cands) c.row = locate(c.row);
  std::sort(cands.begin(), cands.end(), [](auto& a, auto& b) { return a.row < b.row || (a.row == b.row && a.sig > b.sig); });
  cands.erase(std::unique(cands.begin(), cands.end(), [](auto& a, auto& b) { return a.row == b.row; }), cands.end());
  for (auto& c : cands) {
    out.candidate_rows.push_back(c.row);
    out.candidate_sig.push_back(c.sig);
  }
  std::vector<Peak> strong;
  for (auto& c : cands)
    if (c.sig >= kSigStrong) strong.push_back(c);

  // Best regular grid through the strong peaks: spacing d from their differences (or the prior).
  auto tol_of = [](double d) { return std::max(3.0, 0.03 * d); };
  std::vector<Peak> chosen;
  double spacing = 0;
  if (!strong.empty()) {
    std::vector<double> ds;
    for (std::size_t i = 0; i < strong.size(); ++i)
      for (std::size_t j = i + 1; j < strong.size(); ++j) {
        const double diff = static_cast<double>(strong[j].row) - static_cast<double>(strong[i].row);
        for (int n = 1; n <= 12; ++n)
          if (diff / n >= 12.0) ds.push_back(diff / n);
      }
    if (prior >= 12.0) ds.push_back(prior);
    const Peak anchor = *std::max_element(strong.begin(), strong.end(), [](auto& a, auto& b) { return a.sig < b.sig; });
    double best_score = -std::numeric_limits<double>::infinity();
    std::vector<Peak> best_set;
    double best_d = 0;
    auto grid_match = [&](double d, double o, std::vector<Peak>& matched) {
      // Grid positions o + k d inside [2, rows-3]; the strongest candidate within tol of each.
      matched.clear();
      double score = 0;
      const double tol = tol_of(d);
      const long long kmin = static_cast<long long>(std::ceil((2.0 - o) / d - 1e-9));
      const long long kmax = static_cast<long long>(std::floor((static_cast<double>(rows) - 3.0 - o) / d + 1e-9));
      std::vector<bool> used(cands.size(), false);
      for (long long k = kmin; k <= kmax; ++k) {
        const double g = o + static_cast<double>(k) * d;
        std::size_t bi = cands.size();
        for (std::size_t i = 0; i < cands.size(); ++i)
          if (std::fabs(static_cast<double>(cands[i].row) - g) <= tol && (bi == cands.size() || cands[i].sig > cands[bi].sig))
            bi = i;
        if (bi < cands.size()) {
          used[bi] = true;
          matched.push_back(cands[bi]);
          score += std::min(cands[bi].sig, 50.0);
        } else if (g > tol + 2 && g < static_cast<double>(rows) - 3 - tol) {
          score -= 15.0;  // a seam the grid predicts but the data does not show
        }
      }
      for (std::size_t i = 0; i < cands.size(); ++i)
        if (!used[i] && cands[i].sig >= kSigStrong) score -= 0.5 * std::min(cands[i].sig, 50.0);
      return score;
    };
    std::vector<Peak> matched;
    for (double d : ds) {
      double o = static_cast<double>(anchor.row);
      double score = grid_match(d, o, matched);
      // Refine spacing and offset by least squares over the matched peaks, then re-match.
      if (matched.size() >= 2) {
        double sk = 0, sr = 0, skk = 0, skr = 0;
        const double n = static_cast<double>(matched.size());
        for (auto& m : matched) {
          const double k = std::round((static_cast<double>(m.row) - o) / d);
          sk += k;
          sr += static_cast<double>(m.row);
          skk += k * k;
          skr += k * static_cast<double>(m.row);
        }
        const double den = n * skk - sk * sk;
        if (den > 0) {
          const double d2 = (n * skr - sk * sr) / den;
          const double o2 = (sr - d2 * sk) / n;
          if (d2 >= 12.0) {
            std::vector<Peak> m2;
            const double s2 = grid_match(d2, o2, m2);
            if (s2 >= score) {
              score = s2;
              matched = m2;
              d = d2;
            }
          }
        }
      }
      if (score > best_score + 1e-9 || (std::fabs(score - best_score) <= 1e-9 && d > best_d)) {
        best_score = score;
        best_set = matched;
        best_d = d;
      }
    }
    if (strong.size() == 1 && !(prior >= 12.0)) {
      best_set = {anchor};
      best_d = 0;
    }
    // Every seam of a sub-swath carries nearly the same jump in a pair (df_ovl varies by a few
    // percent): a grid peak far weaker than the others is noise on the grid, not a seam.
    std::vector<double> sigs;
    for (auto& c : best_set)
      if (c.sig >= kSigStrong) sigs.push_back(c.sig);
    const double floor_sig = sigs.empty() ? kSigWeak : std::max(kSigWeak, kRelativeSig * median_of(sigs));
    chosen.clear();
    for (auto& c : best_set)
      if (c.sig >= floor_sig) chosen.push_back(c);
      else
        out.notes.push_back("peak at row " + std::to_string(c.row) + " (" + fixed(c.sig) +
                            " sigma) on the seam grid is far weaker than the other seams; ignored");
    spacing = chosen.size() >= 2 ? best_d : 0;
    for (auto& c : strong) {
      bool in = false;
      for (auto& s : best_set) in = in || s.row == c.row;
      if (!in)
        out.notes.push_back("peak at row " + std::to_string(c.row) + " (" + fixed(c.sig) +
                            " sigma) does not fit the seam spacing; ignored");
    }
  }
  std::sort(chosen.begin(), chosen.end(), [](auto& a, auto& b) { return a.row < b.row; });

  // Override: exactly B-1 seams.
  if (n_override >= 2) {
    const std::size_t want = static_cast<std::size_t>(n_override - 1);
    if (chosen.size() > want) {
      std::sort(chosen.begin(), chosen.end(), [](auto& a, auto& b) { return a.sig > b.sig; });
      chosen.resize(want);
      std::sort(chosen.begin(), chosen.end(), [](auto& a, auto& b) { return a.row < b.row; });
      out.notes.push_back("kept the " + std::to_string(want) + " strongest seams (--n-burst " +
                          std::to_string(n_override) + ")");
    } else if (chosen.size() < want) {
      // Fill the published method's windows [n w - w/2, n w + w/2) that hold no seam.
      const long long w = static_cast<long long>(rows) / n_override, h = w / 2;
      for (int n = 1; n < n_override && chosen.size() < want; ++n) {
        const long long lo = std::max(2LL, n * w - h), hi = std::min(static_cast<long long>(rows) - 2, n * w + h);
        bool has = false;
        for (auto& c : chosen) has = has || (static_cast<long long>(c.row) >= lo && static_cast<long long>(c.row) < hi);
        if (has || lo >= hi) continue;
        long long br = lo;
        for (long long r = lo; r < hi; ++r)
          if (at(s3, r) > at(s3, br)) br = r;
        chosen.push_back({locate(static_cast<std::size_t>(br)), at(s3, br)});
      }
      std::sort(chosen.begin(), chosen.end(), [](auto& a, auto& b) { return a.row < b.row; });
      out.notes.push_back("added seams in the windows of --n-burst " + std::to_string(n_override) +
                          " where the data show none strong enough");
    }
  }
  for (auto& c : chosen) {
    out.rows.push_back(c.row);
    out.significance.push_back(c.sig);
  }
  // Locations may collide after refinement: keep rows strictly ascending.
  for (std::size_t i = 1; i < out.rows.size(); ++i)
    if (out.rows[i] <= out.rows[i - 1]) out.rows[i] = out.rows[i - 1] + 1;
  out.spacing_rows = spacing;
  if (spacing == 0 && out.rows.size() >= 2) {
    std::vector<double> diffs;
    for (std::size_t i = 1; i < out.rows.size(); ++i)
      diffs.push_back(static_cast<double>(out.rows[i] - out.rows[i - 1]));
    out.spacing_rows = median_of(diffs);
  }
  return out;
}

double fit_step(const double* m, std::size_t rows, std::size_t b, int h, int w, int order) {
  const long long B = static_cast<long long>(b), R = static_cast<long long>(rows);
  if (B - h < 1 || B + h >= R) return kNaN;
  if (order <= 1) {
    double s = 0;
    for (long long r = B - h; r <= B + h; ++r) {
      if (!std::isfinite(m[r])) return kNaN;
      s += m[r];
    }
    double t = 0;
    int nt = 0;
    for (long long r = B - h - 1 - w; r <= B + h + 1 + w; ++r) {
      if (r >= B - h - 1 && r <= B + h + 1) continue;  // the step window and a one-row gap
      if (r < 1 || r >= R || !std::isfinite(m[r])) continue;
      t += m[r];
      ++nt;
    }
    if (nt < 3) return kNaN;
    return s - static_cast<double>(2 * h + 1) * (t / nt);
  }
  // Quadratic trend: the phase profile P (cumulative mean gradient) on rows either side of the
  // step window, modelled as a + c1 t + c2 t^2 + J [r >= b], t = r - (b - 0.5); J is the step.
  const long long r0 = std::max(1LL, B - h - 2 - w), r1 = std::min(R - 1, B + h + 1 + w);
  double ata[4][4] = {}, atb[4] = {};
  double P = 0;  // phase of row r relative to row r0 - 1
  int npre = 0, npost = 0;
  for (long long r = r0; r <= r1; ++r) {
    if (!std::isfinite(m[r])) return kNaN;  // the telescoping needs every row
    P += m[r];
    const bool pre = r <= B - h - 2, post = r >= B + h + 1;
    if (!pre && !post) continue;
    npre += pre;
    npost += post;
    const double t = static_cast<double>(r) - (static_cast<double>(B) - 0.5);
    const double x[4] = {1.0, t, t * t, post ? 1.0 : 0.0};
    for (int i = 0; i < 4; ++i) {
      atb[i] += x[i] * P;
      for (int j = 0; j < 4; ++j) ata[i][j] += x[i] * x[j];
    }
  }
  if (npre < 3 || npost < 3) return kNaN;
  // Solve the 4 x 4 system by Gaussian elimination with partial pivoting.
  double a[4][5];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) a[i][j] = ata[i][j];
    a[i][4] = atb[i];
  }
  for (int c = 0; c < 4; ++c) {
    int piv = c;
    for (int i = c + 1; i < 4; ++i)
      if (std::fabs(a[i][c]) > std::fabs(a[piv][c])) piv = i;
    if (!(std::fabs(a[piv][c]) > 1e-12)) return kNaN;
    if (piv != c)
      for (int j = 0; j < 5; ++j) std::swap(a[c][j], a[piv][j]);
    for (int i = 0; i < 4; ++i) {
      if (i == c) continue;
      const double f = a[i][c] / a[c][c];
      for (int j = c; j < 5; ++j) a[i][j] -= f * a[c][j];
    }
  }
  return a[3][4] / a[3][3];
}

double step_sigma(const double* m, std::size_t rows, const std::vector<std::size_t>& seams, int h, int w, int order) {
  const long long R = static_cast<long long>(rows);
  std::vector<int> bad(rows + 1, 0);  // prefix sums of rows near a seam
  std::vector<int> near(rows, 0);
  for (auto s : seams)
    for (long long r = static_cast<long long>(s) - h - 1; r <= static_cast<long long>(s) + h + 1; ++r)
      if (r >= 0 && r < R) near[static_cast<std::size_t>(r)] = 1;
  for (std::size_t r = 0; r < rows; ++r) bad[r + 1] = bad[r] + near[r];
  for (int ww : {w, 3}) {
    std::vector<double> v;
    for (long long b = 3 + h + ww; b + h + 1 + ww < R; ++b) {
      const long long lo = b - h - 2 - ww, hi = b + h + 1 + ww + 1;
      if (bad[static_cast<std::size_t>(hi)] - bad[static_cast<std::size_t>(lo)] != 0) continue;
      const double f = fit_step(m, rows, static_cast<std::size_t>(b), h, ww, order);
      if (std::isfinite(f)) v.push_back(f);
    }
    if (v.size() >= 5) return mad_sigma(v);
  }
  return kNaN;
}

// ------------------------------------------------------------------ network inversion

namespace {

/// Envelope (skyline) Cholesky of a symmetric positive definite n x n matrix (row-major,
/// lower triangle used), in place: L in the lower triangle. first[i] = first non-zero column
/// of row i. Returns false if not positive definite.
bool cholesky_envelope(std::vector<double>& a, std::size_t n, const std::vector<std::size_t>& first) {
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = first[i]; j <= i; ++j) {
      double s = a[i * n + j];
      const std::size_t k0 = std::max(first[i], first[j]);
      for (std::size_t k = k0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      if (i == j) {
        if (!(s > 0)) return false;
        a[i * n + i] = std::sqrt(s);
      } else {
        a[i * n + j] = s / a[j * n + j];
      }
    }
  }
  return true;
}

void cholesky_solve(const std::vector<double>& l, std::size_t n, const std::vector<std::size_t>& first,
                    std::vector<double>& x) {
  for (std::size_t i = 0; i < n; ++i) {
    double s = x[i];
    for (std::size_t k = first[i]; k < i; ++k) s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
  for (std::size_t ii = n; ii-- > 0;) {
    x[ii] /= l[ii * n + ii];
    const double xi = x[ii];
    for (std::size_t k = first[ii]; k < ii; ++k) x[k] -= l[ii * n + k] * xi;
  }
}

}  // namespace

Network invert_network(std::size_t n, const std::vector<std::size_t>& ref, const std::vector<std::size_t>& sec,
                       const std::vector<double>& obs, const std::vector<double>& sigma) {
  Network net;
  const std::size_t m = obs.size();
  if (ref.size() != m || sec.size() != m || sigma.size() != m) throw std::invalid_argument("invert_network: sizes");
  net.v.assign(n, kNaN);
  net.sigma_v.assign(n, kNaN);
  net.cov.assign(n * n, 0.0);
  net.weight.assign(m, 0.0);
  net.residual.assign(m, kNaN);
  net.component.assign(n, -1);
  // Usable observations and connected components (union-find).
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<bool> ok(m, false);
  for (std::size_t i = 0; i < m; ++i) {
    ok[i] = ref[i] < n && sec[i] < n && ref[i] != sec[i] && std::isfinite(obs[i]) && sigma[i] > 0 &&
            std::isfinite(sigma[i]);
    if (ok[i]) parent[find(ref[i])] = find(sec[i]);
  }
  std::vector<bool> has_obs(n, false);
  for (std::size_t i = 0; i < m; ++i)
    if (ok[i]) has_obs[ref[i]] = has_obs[sec[i]] = true;
  std::vector<std::size_t> anchor_of_root(n, n);
  int ncomp = 0;
  std::vector<int> comp_of_root(n, -1);
  for (std::size_t d = 0; d < n; ++d) {
    if (!has_obs[d]) continue;
    const std::size_t r = find(d);
    if (comp_of_root[r] < 0) {
      comp_of_root[r] = ncomp++;
      anchor_of_root[r] = d;  // the first date of each component is held at 0 while solving
    }
    net.component[d] = comp_of_root[r];
  }
  if (ncomp == 0) return net;
  std::vector<bool> fixed(n, false);
  for (std::size_t d = 0; d < n; ++d)
    if (!has_obs[d] || anchor_of_root[find(d)] == d) fixed[d] = true;
  // Envelope of the normal matrix.
  std::vector<std::size_t> first(n);
  for (std::size_t d = 0; d < n; ++d) first[d] = d;
  for (std::size_t i = 0; i < m; ++i)
    if (ok[i] && !fixed[ref[i]] && !fixed[sec[i]]) {
      const std::size_t lo = std::min(ref[i], sec[i]), hi = std::max(ref[i], sec[i]);
      first[hi] = std::min(first[hi], lo);
    }
  std::vector<double> w(m, 1.0), a(n * n), x(n), v(n, 0.0);
  auto solve = [&](std::vector<double>& sol) {
    std::fill(a.begin(), a.end(), 0.0);
    std::fill(x.begin(), x.end(), 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      if (!ok[i]) continue;
      const double wi = w[i] / (sigma[i] * sigma[i]);
      const std::size_t r = ref[i], s = sec[i];
      // obs = v[s] - v[r]
      if (!fixed[s]) {
        a[s * n + s] += wi;
        x[s] += wi * obs[i];
      }
      if (!fixed[r]) {
        a[r * n + r] += wi;
        x[r] -= wi * obs[i];
      }
      if (!fixed[s] && !fixed[r]) {
        const std::size_t lo = std::min(r, s), hi = std::max(r, s);
        a[hi * n + lo] -= wi;
      }
    }
    for (std::size_t d = 0; d < n; ++d)
      if (fixed[d]) a[d * n + d] = 1.0;
    if (!cholesky_envelope(a, n, first))
      throw Error(ErrorKind::Data, "", "robust: the network of dates cannot be inverted (singular normal matrix)");
    sol = x;
    cholesky_solve(a, n, first, sol);
  };
  constexpr double kHuber = 1.5;
  std::vector<double> u(m);
  for (int it = 0; it < 50; ++it) {
    std::vector<double> vn;
    solve(vn);
    double change = 0;
    for (std::size_t d = 0; d < n; ++d) change = std::max(change, std::fabs(vn[d] - v[d]));
    v = vn;
    std::vector<double> au;
    for (std::size_t i = 0; i < m; ++i) {
      if (!ok[i]) continue;
      u[i] = (obs[i] - (v[sec[i]] - v[ref[i]])) / sigma[i];
      au.push_back(std::fabs(u[i]));
    }
    net.scale = std::max(1.0, 1.4826 * median_of(au));
    for (std::size_t i = 0; i < m; ++i)
      if (ok[i]) w[i] = std::fabs(u[i]) <= kHuber * net.scale ? 1.0 : kHuber * net.scale / std::fabs(u[i]);
    if (it > 0 && change < 1e-10) break;
  }
  // Final factor with the final weights: covariance (anchored), then re-referenced so each
  // component has a mean-zero datum; values get a median-zero datum.
  std::vector<double> vfin;
  solve(vfin);
  std::vector<double> cov(n * n, 0.0), col(n);
  for (std::size_t j = 0; j < n; ++j) {
    if (fixed[j]) continue;
    std::fill(col.begin(), col.end(), 0.0);
    col[j] = 1.0;
    cholesky_solve(a, n, first, col);
    for (std::size_t i = 0; i < n; ++i) cov[i * n + j] = fixed[i] ? 0.0 : col[i];
  }
  const double s2 = net.scale * net.scale;
  for (int c = 0; c < ncomp; ++c) {
    std::vector<std::size_t> ds;
    for (std::size_t d = 0; d < n; ++d)
      if (net.component[d] == c) ds.push_back(d);
    const double k = static_cast<double>(ds.size());
    std::vector<double> rmean(ds.size(), 0.0);
    double tmean = 0;
    for (std::size_t i = 0; i < ds.size(); ++i) {
      for (auto j : ds) rmean[i] += cov[ds[i] * n + j];
      rmean[i] /= k;
      tmean += rmean[i];
    }
    tmean /= k;
    std::vector<double> vals;
    for (auto d : ds) vals.push_back(vfin[d]);
    const double med = median_of(vals);
    for (std::size_t i = 0; i < ds.size(); ++i) {
      net.v[ds[i]] = vfin[ds[i]] - med;
      for (std::size_t j = 0; j < ds.size(); ++j)
        net.cov[ds[i] * n + ds[j]] = (cov[ds[i] * n + ds[j]] - rmean[i] - rmean[j] + tmean) * s2;
    }
    for (auto d : ds) net.sigma_v[d] = std::sqrt(std::max(0.0, net.cov[d * n + d]));
  }
  for (std::size_t i = 0; i < m; ++i) {
    if (!ok[i]) continue;
    net.weight[i] = w[i];
    net.residual[i] = obs[i] - (vfin[sec[i]] - vfin[ref[i]]);
  }
  return net;
}

// ------------------------------------------------------------------ sub-swaths

std::vector<std::pair<std::size_t, std::size_t>> split_by_signatures(const std::vector<std::size_t>& peak_rows,
                                                                     const std::vector<double>& peak_sig,
                                                                     const std::vector<std::vector<double>>& seg_sig,
                                                                     double min_similarity) {
  const std::size_t K = seg_sig.size(), P = peak_rows.size();
  if (K <= 1 || P < 2) return {{0, K}};
  // Column profile of each peak: its strength (>= 0) in each segment, +-1 row.
  std::vector<std::vector<double>> prof(P, std::vector<double>(K, 0.0));
  for (std::size_t i = 0; i < P; ++i)
    for (std::size_t k = 0; k < K; ++k) {
      const auto& s = seg_sig[k];
      double v = 0;
      for (long long r = static_cast<long long>(peak_rows[i]) - 1; r <= static_cast<long long>(peak_rows[i]) + 1; ++r)
        if (r >= 0 && static_cast<std::size_t>(r) < s.size() && std::isfinite(s[static_cast<std::size_t>(r)]))
          v = std::max(v, s[static_cast<std::size_t>(r)]);
      prof[i][k] = v;
    }
  auto cosine = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t k = 0; k < K; ++k) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
  };
  // Greedy clustering, strongest peaks first.
  std::vector<std::size_t> order(P);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return peak_sig[a] > peak_sig[b]; });
  struct Cluster {
    std::vector<double> sum;  // sum of member profiles
    std::size_t n_strong = 0, n = 0;
  };
  std::vector<Cluster> cl;
  for (auto i : order) {
    std::size_t best = cl.size();
    double bs = min_similarity;
    for (std::size_t c = 0; c < cl.size(); ++c) {
      const double sim = cosine(prof[i], cl[c].sum);
      if (sim >= bs) {
        bs = sim;
        best = c;
      }
    }
    if (best == cl.size()) cl.push_back({std::vector<double>(K, 0.0), 0, 0});
    for (std::size_t k = 0; k < K; ++k) cl[best].sum[k] += prof[i][k];
    cl[best].n += 1;
    cl[best].n_strong += peak_sig[i] >= kSigStrong ? 1 : 0;
  }
  std::vector<std::size_t> sig_cl;
  for (std::size_t c = 0; c < cl.size(); ++c)
    if (cl[c].n_strong >= 2) sig_cl.push_back(c);
  if (sig_cl.size() <= 1) return {{0, K}};
  // Each segment to the signature whose mean strength is largest there (empty segments: none).
  std::vector<long long> owner(K, -1);
  for (std::size_t k = 0; k < K; ++k) {
    if (seg_sig[k].empty()) continue;
    double bv = 0;
    for (std::size_t j = 0; j < sig_cl.size(); ++j) {
      const double v = cl[sig_cl[j]].sum[k] / static_cast<double>(cl[sig_cl[j]].n);
      if (v > bv) {
        bv = v;
        owner[k] = static_cast<long long>(j);
      }
    }
  }
  // Segments without an owner join their left neighbour (or the first owned one).
  long long last = -1;
  for (std::size_t k = 0; k < K; ++k)
    if (owner[k] >= 0) {
      last = owner[k];
    } else {
      owner[k] = last;
    }
  for (std::size_t k = K; k-- > 0;)
    if (owner[k] < 0) owner[k] = k + 1 < K ? owner[k + 1] : 0;
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t k = 0; k < K; ++k)
    if (out.empty() || owner[k] != owner[out.back().first]) out.emplace_back(k, k + 1);
    else out.back().second = k + 1;
  // A run of one segment between two runs of the same owner is noise: absorb it.
  for (bool changed = true; changed && out.size() > 2;) {
    changed = false;
    for (std::size_t i = 1; i + 1 < out.size(); ++i)
      if (out[i].second - out[i].first == 1 && owner[out[i - 1].first] == owner[out[i + 1].first]) {
        out[i - 1].second = out[i + 1].second;
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(i + 2));
        changed = true;
        break;
      }
  }
  return out;
}

std::size_t best_cut(const std::vector<double>& d, std::size_t lo, std::size_t hi) {
  hi = std::min(hi, d.size());
  if (lo >= hi) return lo;
  double total = 0;
  for (std::size_t c = lo; c < hi; ++c) total += std::isfinite(d[c]) ? d[c] : 0.0;
  // score(x) = left(x) - (total - left(x)) = 2 left(x) - total
  double left = 0, best = -std::numeric_limits<double>::infinity();
  std::size_t bx = lo;
  for (std::size_t x = lo; x <= hi; ++x) {
    const double sc = 2 * left - total;
    if (sc > best) {
      best = sc;
      bx = x;
    }
    if (x < hi) left += std::isfinite(d[x]) ? d[x] : 0.0;
  }
  return bx;
}

}  // namespace pjd::robust
