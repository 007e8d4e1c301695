#include "detect/published/published.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numbers>

#include "core/numeric.hpp"

namespace pjd::published {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

/// A float32 statistic as the reference keeps it: np.round(x, 2) stored in float32.
double stat_f64(double x) { return static_cast<double>(static_cast<float>(num::round_dec(x, 2))); }
double stat_f32(float x) { return static_cast<double>(num::round_dec_f32(x, 2)); }

std::size_t n_pairs_of(const std::vector<double>& a, std::size_t rows) { return rows ? a.size() / rows : 0; }
}  // namespace

namespace {

inline std::uint32_t bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
/// NaN and zero tests on the bit pattern (branch-free, so the loops below vectorise).
inline bool is_nan_bits(std::uint32_t u) { return (u & 0x7fffffffu) > 0x7f800000u; }
inline bool is_zero_bits(std::uint32_t u) { return (u & 0x7fffffffu) == 0; }

/// The bucket (num::float_bucket) of f >= 0 or NaN.
inline std::uint32_t nonneg_bucket(float f) {
  const std::uint32_t u = bits_of(f);
  return is_nan_bits(u) ? num::kNoBucket : (u >> 16) | 0x8000u;
}
/// The bucket of the coherence as step 2 leaves it (0 -> NaN).
inline std::uint32_t coh_bucket(float v) {
  const std::uint32_t u = bits_of(v);
  const std::uint32_t flip = static_cast<std::uint32_t>(static_cast<std::int32_t>(u) >> 31) | 0x80000000u;
  return (is_nan_bits(u) | is_zero_bits(u)) ? num::kNoBucket : (u ^ flip) >> 16;
}

// Row kernels (restrict parameters: no aliasing, so they vectorise). On x86-64 with GCC they
// are also compiled for AVX2, chosen at run time: the same IEEE operations lane by lane (no
// FMA: AVX2 does not enable it, and libpjd builds with -ffp-contract=off), wider vectors.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define PJD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PJD_CLONES
#endif

/// Not a coherence: below 0 or above kCoherenceMax (false for NaN: no data).
inline bool bad_coherence(float v) { return (v < 0.0f) | (v > kCoherenceMax); }
/// +-inf, on the bit pattern.
inline bool is_inf_bits(std::uint32_t u) { return (u & 0x7fffffffu) == 0x7f800000u; }

/// The coherence for its sum (no-data -> 0) and its buckets; returns nonzero when a cell of
/// the row is not a coherence (bad_coherence).
PJD_CLONES std::uint32_t coh_row(const float* __restrict cr, float* __restrict out, std::uint32_t* __restrict bk,
                                 std::size_t n) {
  std::uint32_t bad = 0;
  for (std::size_t c = 0; c < n; ++c) {
    const std::uint32_t u = bits_of(cr[c]);
    out[c] = (is_nan_bits(u) | is_zero_bits(u)) ? 0.0f : cr[c];
    bk[c] = coh_bucket(cr[c]);
    bad |= static_cast<std::uint32_t>(bad_coherence(cr[c]));
  }
  return bad;
}
/// The phase as step 2 leaves it: NaN where coherence < cmin (in float32), then 0 -> NaN;
/// returns nonzero when a phase cell of the row (masked or not) is infinite.
PJD_CLONES std::uint32_t masked_unw_row(const float* __restrict ur, const float* __restrict cr, float cminf,
                                        float* __restrict out, std::size_t n) {
  std::uint32_t bad = 0;
  for (std::size_t c = 0; c < n; ++c) {
    // (c < cmin || u == 0) ? NaN : u, as the reference's two assignments leave it.
    const bool low = cr[c] < cminf;
    const std::uint32_t u = bits_of(ur[c]);
    out[c] = (low | is_zero_bits(u)) ? kNaNf : ur[c];
    bad |= static_cast<std::uint32_t>(is_inf_bits(u));
  }
  return bad;
}
/// OR of bad_coherence over v[0, n).
PJD_CLONES std::uint32_t any_bad_coherence(const float* __restrict v, std::size_t n) {
  std::uint32_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) bad |= static_cast<std::uint32_t>(bad_coherence(v[i]));
  return bad;
}
/// f = |cur - prev| in float32, and its buckets.
PJD_CLONES void diff_row(const float* __restrict cur, const float* __restrict prev, float* __restrict f,
              std::uint32_t* __restrict bk, std::size_t n) {
  for (std::size_t c = 0; c < n; ++c) {
    const float d = std::fabs(cur[c] - prev[c]);
    f[c] = d;
    bk[c] = nonneg_bucket(d);
  }
}
/// Squared deviations of the coherence from its mean, in float32 (no-data -> 0).
PJD_CLONES void coh_var_row(const float* __restrict cr, float mean, float* __restrict out, std::size_t n) {
  for (std::size_t c = 0; c < n; ++c) {
    const std::uint32_t u = bits_of(cr[c]);
    const float d = static_cast<float>(cr[c] - mean);
    const float dd = static_cast<float>(d * d);
    // (no data ? 0.0f : dd) as a bit mask, which vectorises.
    const std::uint32_t keep = std::uint32_t(0) - static_cast<std::uint32_t>(!(is_nan_bits(u) | is_zero_bits(u)));
    const std::uint32_t r = bits_of(dd) & keep;
    std::memcpy(&out[c], &r, sizeof r);
  }
}
/// g = double(f) * phase2range * 1000 (two roundings, numpy's order).
inline double grad_mm(float f, double phase2range) {
  double v = static_cast<double>(f);
  v *= phase2range;
  v *= 1000;
  return v;
}
/// Kept g (not NaN, not > p99; a NaN p99 keeps all) else 0.
PJD_CLONES void kept_row(const float* __restrict f, double phase2range, double p99, double* __restrict out, std::size_t n) {
  for (std::size_t c = 0; c < n; ++c) {
    const double g = grad_mm(f[c], phase2range);
    out[c] = ((g == g) & !(g > p99)) ? g : 0.0;
  }
}
/// Squared deviations of the kept g from the mean (else 0).
PJD_CLONES void var_row(const float* __restrict f, double phase2range, double p99, double mean, double* __restrict out,
             std::size_t n) {
  for (std::size_t c = 0; c < n; ++c) {
    const double d = grad_mm(f[c], phase2range) - mean;
    out[c] = d * d;
  }
  for (std::size_t c = 0; c < n; ++c) {  // a separate select, which vectorises
    const double g = grad_mm(f[c], phase2range);
    out[c] = ((g == g) & !(g > p99)) ? out[c] : 0.0;
  }
}
/// The kept f of a row as bit patterns, compacted into out; returns how many, and counts in
/// `jump` those with g >= m. On f >= 0 the bit patterns (as int32) order as the values and
/// NaN patterns come last, so "kept" is bits < e99 and "g >= m" is bits >= sm (thresholds
/// found from h, see bits_threshold).
PJD_CLONES std::size_t kept_values(const float* __restrict f, std::int32_t e99, std::int32_t sm, std::uint32_t* __restrict out,
                        std::int32_t& jump, std::size_t n) {
  std::int32_t nj = 0;
  for (std::size_t c = 0; c < n; ++c) {
    const auto b = static_cast<std::int32_t>(bits_of(f[c]));
    nj += static_cast<std::int32_t>(b < e99) & static_cast<std::int32_t>(b >= sm);
  }
  std::size_t k = 0;
  for (std::size_t c = 0; c < n; ++c) {
    const std::uint32_t u = bits_of(f[c]);
    out[k] = u;
    k += static_cast<std::int32_t>(u) < e99;
  }
  jump = nj;
  return k;
}

/// The number of bit patterns t in [0, +inf] (floats >= 0, in order) for which pred(float t)
/// holds, pred being true on a prefix (monotone): a binary search.
template <typename Pred>
std::int32_t bits_threshold(Pred pred) {
  auto at = [&](std::int32_t t) {
    float x;
    std::memcpy(&x, &t, sizeof x);
    return pred(x);
  };
  constexpr std::int32_t kInf = 0x7f800000;
  if (!at(0)) return 0;
  std::int32_t lo = 0, hi = kInf;  // at(lo) holds
  while (lo < hi) {
    const std::int32_t mid = lo + (hi - lo + 1) / 2;
    if (at(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/// mark[i] = 1 where the bucket of v[i] is in [lo, lo + span]: of f (nonneg_bucket) or of
/// the coherence (coh_bucket).
PJD_CLONES void mark_f(const float* __restrict v, std::size_t n, std::uint32_t lo, std::uint32_t span,
                       std::uint8_t* __restrict mark) {
  for (std::size_t i = 0; i < n; ++i) mark[i] = static_cast<std::uint8_t>(nonneg_bucket(v[i]) - lo <= span);
}
PJD_CLONES void mark_coh(const float* __restrict v, std::size_t n, std::uint32_t lo, std::uint32_t span,
                         std::uint8_t* __restrict mark) {
  for (std::size_t i = 0; i < n; ++i) mark[i] = static_cast<std::uint8_t>(coh_bucket(v[i]) - lo <= span);
}

/// Appends the marked values of v[0, n) to out[k...] and returns the new k; out must have
/// room. Words of 8 marks are skipped when empty.
std::size_t gather_marked(const float* __restrict v, std::size_t n, const std::uint8_t* __restrict mark,
                          float* __restrict out, std::size_t k) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, mark + i, sizeof word);
    if (word == 0) continue;
    for (std::size_t j = i; j < i + 8; ++j) {
      out[k] = v[j];
      k += mark[j];
    }
  }
  for (; i < n; ++i) {
    out[k] = v[i];
    k += mark[i];
  }
  return k;
}

}  // namespace
// Steps 2-9 in four passes over the pair, without a float64 copy of the gradient:
//  A. mask, |difference| f (float32, stored), histograms of f and of the coherence, and the
//     coherence sum; B. the values of the histogram buckets that hold the order statistics
//     needed (the 99th percentile of the gradient, the coherence median) and the coherence
//     variance sum; C. the buckets of the gradient median and the gradient sum; D. per row.
// The gradient in mm is g = h(f) = double(f) * phase2range * 1000, non-decreasing in f, so
// its order statistics are h of those of f, and the cells step 5 keeps (g <= P99) are the
// lowest ranks of f. Every sum is numpy's pairwise sum over the whole plane, in numpy's
// order (PairwiseStream), so the results are those of the reference arithmetic bit for bit.
// The loops per row are written to vectorise; histogram counts are added in separate loops.
PairStats process_pair(const float* unw, const float* coh, std::size_t rows, std::size_t cols,
                       double cmin, double wavelength_m, double* intensity, std::int32_t* counts,
                       double* med_grad_mm, PairScratch& s) {
  return process_pair([unw, cols](std::size_t r) { return unw + r * cols; }, coh, rows, cols, cmin, wavelength_m,
                      intensity, counts, med_grad_mm, s);
}

PairStats process_pair(const std::function<const float*(std::size_t)>& unw_row, const float* coh,
                       std::size_t rows, std::size_t cols, double cmin, double wavelength_m, double* intensity,
                       std::int32_t* counts, double* med_grad_mm, PairScratch& s) {
  const std::size_t n = rows * cols;
  const float cminf = static_cast<float>(cmin);
  // Steps 3-4: |diff| in float32, widened, then * phase2range, * 1000 in float64.
  const double phase2range = wavelength_m / (4.0 * std::numbers::pi);
  auto h = [phase2range](float f) { return grad_mm(f, phase2range); };
  auto has_grad = [rows](std::size_t r) { return r >= 2 && r + 2 < rows; };

  s.f.resize(n);
  s.row.resize(cols);
  s.drow.resize(cols);
  s.mu.resize(2 * cols);
  s.bk.resize(cols);
  s.rowbits.resize(cols);
  s.rowtmp.resize(cols);
  s.mark.resize(cols);
  s.fhist.clear();
  s.chist.clear();

  // Pass A, which also looks for cells no interferogram can hold (the first one is kept).
  s.bad = BadCell{};
  auto note_bad = [&](bool is_coh, std::size_t r, const float* v, auto&& is_bad) {
    if (s.bad.found) return;
    for (std::size_t c = 0; c < cols; ++c)
      if (is_bad(v[c])) {
        s.bad = BadCell{true, is_coh, r, c, v[c]};
        return;
      }
  };
  s.fsum.reset(n);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* cr = coh + r * cols;
    if (coh_row(cr, s.row.data(), s.bk.data(), cols)) note_bad(true, r, cr, bad_coherence);
    s.chist.add(s.bk.data(), cols);
    s.fsum.add(s.row.data(), cols);
    // The masked phase of this row, kept for the next row.
    float* mcur = s.mu.data() + (r % 2) * cols;
    const float* mprev = s.mu.data() + ((r + 1) % 2) * cols;
    const float* ur = unw_row(r);
    if (masked_unw_row(ur, cr, cminf, mcur, cols)) note_bad(false, r, ur, [](float v) { return std::isinf(v); });
    float* fr = s.f.data() + r * cols;
    if (!has_grad(r)) {
      std::fill(fr, fr + cols, kNaNf);
      continue;
    }
    diff_row(mcur, mprev, fr, s.bk.data(), cols);
    s.fhist.add(s.bk.data(), cols);
  }
  s.fhist.finish();
  s.chist.finish();
  const std::size_t nf = s.fhist.total, nc = s.chist.total;
  // np.nanmean of the coherence (float32 sum, the division in float64).
  const float c_mean = static_cast<float>(static_cast<double>(s.fsum.sum()) / static_cast<double>(nc));

  // Order statistics (k, k1) are looked up among the values of the buckets [lo, hi].
  struct Want {
    std::size_t k = 0, k1 = 0;
    std::uint32_t lo = 0, hi = 0;
    std::size_t size = 0;  // values in [lo, hi]
  };
  auto want = [](const num::BucketHistogram& hist, std::size_t k, std::size_t k1) {
    Want w{k, k1, hist.bucket_of_rank(k), hist.bucket_of_rank(k1), 0};
    w.size = hist.start[w.hi + 1] - hist.start[w.lo];
    return w;
  };
  // The 99th percentile of g (step 5): np.nanpercentile(g, 99), linear interpolation.
  const double q99 = 99.0 / 100.0;
  Want w99;
  if (nf > 0) {
    const double virt = static_cast<double>(nf - 1) * q99;
    std::size_t prev = nf - 1;
    if (!(virt >= static_cast<double>(nf - 1))) prev = virt < 0 ? 0 : static_cast<std::size_t>(std::floor(virt));
    w99 = want(s.fhist, prev, std::min(prev + 1, nf - 1));
  }
  // The coherence median.
  Want wc;
  if (nc > 0) {
    const std::size_t k = nc % 2 ? nc / 2 : nc / 2 - 1;
    wc = want(s.chist, k, std::min(k + 1, nc - 1));
  }

  // Pass B.
  s.gathered.resize(w99.size + cols);
  s.cgathered.resize(wc.size + cols);
  std::size_t ng = 0, ncg = 0;
  s.fsum.reset(n);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* __restrict cr = coh + r * cols;
    if (nc > 0) {
      coh_var_row(cr, c_mean, s.row.data(), cols);
      s.fsum.add(s.row.data(), cols);
      mark_coh(cr, cols, wc.lo, wc.hi - wc.lo, s.mark.data());
      ncg = gather_marked(cr, cols, s.mark.data(), s.cgathered.data(), ncg);
    }
    if (nf > 0 && has_grad(r)) {
      mark_f(s.f.data() + r * cols, cols, w99.lo, w99.hi - w99.lo, s.mark.data());
      ng = gather_marked(s.f.data() + r * cols, cols, s.mark.data(), s.gathered.data(), ng);
    }
  }
  s.gathered.resize(ng);
  s.cgathered.resize(ncg);
  PairStats st;
  // Coherence statistics (float32, as numpy keeps them).
  {
    float c_median = kNaNf;
    if (nc > 0) {
      const auto [lo, hi] = num::select_in_buckets(s.cgathered, s.chist.start[wc.lo], wc.k, wc.k1);
      c_median = nc % 2 ? lo : static_cast<float>(static_cast<float>(lo + hi) / 2.0f);
    }
    const float c_std =
        nc > 0 ? std::sqrt(static_cast<float>(static_cast<double>(s.fsum.sum()) / static_cast<double>(nc))) : kNaNf;
    st.coh_median = stat_f32(c_median);
    st.coh_mean = stat_f32(c_mean);
    st.coh_std = stat_f32(c_std);
  }
  // Step 5.
  const double p99 = num::percentile_linear_with(nf, q99, [&](std::size_t) {
    const auto [a, b] = num::select_in_buckets(s.gathered, s.fhist.start[w99.lo], w99.k, w99.k1);
    return std::pair<double, double>{h(a), h(b)};
  });
  // g is kept unless g > P99 (NaN P99 keeps all); kept cells are the lowest ranks of f.
  auto kept = [&](double g) { return !(g > p99); };
  std::size_t nk = 0;  // cells kept
  if (std::isnan(p99)) {
    nk = nf;
  } else {
    for (std::uint32_t b = 0; b < num::kBuckets; ++b) {
      const std::uint32_t cnt = s.fhist.count[b];
      if (cnt == 0) continue;
      if (kept(h(num::bucket_highest(b)))) {
        nk += cnt;
        continue;
      }
      if (!kept(h(num::bucket_lowest(b)))) break;
      // Some cells of this bucket are kept: count them.
      if (b >= w99.lo && b <= w99.hi) {
        for (float v : s.gathered)
          if (num::float_bucket(v) == b && kept(h(v))) ++nk;
      } else {
        for (std::size_t i = 0; i < n; ++i)
          if (num::float_bucket(s.f[i]) == b && kept(h(s.f[i]))) ++nk;
      }
      break;
    }
  }

  // Pass C: the median of the kept g (ranks of f), and the sum of the kept g.
  Want wm;
  if (nk > 0) {
    const std::size_t k = nk % 2 ? nk / 2 : nk / 2 - 1;
    wm = want(s.fhist, k, std::min(k + 1, nk - 1));
  }
  s.gathered.resize(wm.size + cols);
  ng = 0;
  s.dsum.reset(n);
  for (std::size_t r = 0; r < rows; ++r) {
    double* __restrict row = s.drow.data();
    if (!has_grad(r)) {
      std::fill(row, row + cols, 0.0);
    } else {
      const float* fr = s.f.data() + r * cols;
      kept_row(fr, phase2range, p99, row, cols);
      if (nk > 0) {
        mark_f(fr, cols, wm.lo, wm.hi - wm.lo, s.mark.data());
        ng = gather_marked(fr, cols, s.mark.data(), s.gathered.data(), ng);
      }
    }
    s.dsum.add(row, cols);
  }
  s.gathered.resize(ng);
  double g_median = kNaN;
  if (nk > 0) {
    const auto [lo, hi] = num::select_in_buckets(s.gathered, s.fhist.start[wm.lo], wm.k, wm.k1);
    g_median = nk % 2 ? h(lo) : (h(lo) + h(hi)) / 2.0;
  }
  const double g_mean = s.dsum.sum() / static_cast<double>(nk);
  st.grad_median_mm = stat_f64(g_median);
  st.grad_mean_mm = stat_f64(g_mean);
  // Step 7.
  st.skipped = st.coh_mean < 0.4;

  // Pass D: the variance sum, and steps 8-9 per row.
  const double m = st.grad_median_mm;
  // Kept: !(g > P99) (all non-NaN when P99 is NaN); jump: g >= M (none when M is NaN).
  const std::int32_t e99 =
      std::isnan(p99) ? 0x7f800001 : bits_threshold([&](float f) { return h(f) <= p99; });
  const std::int32_t sm =
      std::isnan(m) ? std::numeric_limits<std::int32_t>::max() : bits_threshold([&](float f) { return h(f) < m; });
  s.dsum.reset(n);
  bool have_prev = false;  // a row median to look near
  std::uint32_t win_lo = 0, win_hi = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    double* __restrict row = s.drow.data();
    if (!has_grad(r)) {
      std::fill(row, row + cols, 0.0);
      s.dsum.add(row, cols);
      counts[r] = 0;
      intensity[r] = kNaN;
      med_grad_mm[r] = kNaN;
      continue;
    }
    const float* __restrict fr = s.f.data() + r * cols;
    var_row(fr, phase2range, p99, g_mean, row, cols);
    s.dsum.add(row, cols);
    std::uint32_t* rv = s.rowbits.data();
    std::int32_t jump = 0;
    const std::size_t nv = kept_values(fr, e99, sm, rv, jump, cols);
    counts[r] = static_cast<std::int32_t>(nv);
    if (nv == 0) {
      intensity[r] = kNaN;
      med_grad_mm[r] = kNaN;
      continue;
    }
    intensity[r] = num::round_dec(static_cast<double>(jump) / static_cast<double>(nv) * 100, 1);
    // The median of the row's kept g.
    auto as_float = [](std::uint32_t u) {
      float x;
      std::memcpy(&x, &u, sizeof x);
      return x;
    };
    const std::size_t half = nv / 2, k = nv % 2 ? half : half - 1;
    // Neighbouring rows have close medians: look near the previous row's first.
    const auto [lo, hi] = have_prev ? num::select_adjacent_bits_near(rv, nv, k, win_lo, win_hi, s.rowtmp.data())
                                    : num::select_adjacent_bits(rv, nv, k);
    med_grad_mm[r] = nv % 2 ? h(as_float(lo)) : (h(as_float(lo)) + h(as_float(hi))) / 2.0;
    const float m = as_float(lo);
    win_lo = bits_of(m * 0.75f);
    win_hi = bits_of(m * 1.33f);
    have_prev = true;
  }
  st.grad_std_mm = stat_f64(nk > 0 ? std::sqrt(s.dsum.sum() / static_cast<double>(nk)) : kNaN);
  return st;
}

std::size_t first_bad_coherence(const float* coh, std::size_t n) {
  constexpr std::size_t kStep = 4096;  // a vectorised OR per stretch, the cell only in a bad one
  for (std::size_t i = 0; i < n; i += kStep) {
    const std::size_t m = std::min(kStep, n - i);
    if (!any_bad_coherence(coh + i, m)) continue;
    for (std::size_t j = i; j < i + m; ++j)
      if (bad_coherence(coh[j])) return j;
  }
  return n;
}

void nan_zero_and_skipped(std::vector<double>& a, const std::vector<bool>& skipped, std::size_t rows) {
  const std::size_t np = n_pairs_of(a, rows);
  for (std::size_t p = 0; p < np; ++p)
    for (std::size_t r = 0; r < rows; ++r) {
      double& v = a[p * rows + r];
      if (v == 0.0 || (p < skipped.size() && skipped[p])) v = kNaN;
    }
}

std::vector<double> counts_for_masking(const std::vector<std::int32_t>& counts,
                                       const std::vector<bool>& skipped, std::size_t rows) {
  std::vector<double> out(counts.size());
  const std::size_t np = rows ? counts.size() / rows : 0;
  const double int64_min = static_cast<double>(std::numeric_limits<std::int64_t>::min());
  for (std::size_t p = 0; p < np; ++p)
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = p * rows + r;
      if (p < skipped.size() && skipped[p]) out[i] = int64_min;
      else if (counts[i] == 0 || counts[i] == -999) out[i] = kNaN;
      else out[i] = counts[i];
    }
  return out;
}

RowReliability row_reliability(const std::vector<double>& counts_nan, std::size_t width, double pct) {
  RowReliability rel;
  std::vector<double> scratch;
  rel.percentile_count = num::nanpercentile(counts_nan.data(), counts_nan.size(), pct * 100, scratch);
  rel.width_count = static_cast<double>(width) * pct;
  rel.auto_mask = rel.width_count > rel.percentile_count;
  rel.threshold = rel.auto_mask ? rel.width_count : rel.percentile_count;
  return rel;
}

void apply_row_reliability(std::vector<double>& intensity, const std::vector<double>& counts_nan,
                           const RowReliability& rel) {
  for (std::size_t i = 0; i < intensity.size(); ++i)
    if (!(counts_nan[i] > rel.threshold)) intensity[i] = kNaN;
}

PJD_CLONES void avg_coh_accumulate(const float* __restrict coh, std::size_t n, float* __restrict sum,
                                   std::int32_t* __restrict count) {
  // NaN adds nothing: sum + 0.0f is sum (a sum started at +0 is never -0), so the select vectorises.
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t u = bits_of(coh[i]);
    const bool nan = is_nan_bits(u);
    const std::uint32_t v = u & (std::uint32_t(0) - static_cast<std::uint32_t>(!nan));
    float c;
    std::memcpy(&c, &v, sizeof c);
    sum[i] += c;
    count[i] += !nan;
  }
}

std::vector<std::int32_t> avg_coh_mask_counts(const float* sum, const std::int32_t* count,
                                              std::size_t rows, std::size_t cols, double cmin) {
  const float cminf = static_cast<float>(cmin);
  std::vector<std::int32_t> out(rows, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t i = r * cols + c;
      const float mean = static_cast<float>(static_cast<double>(sum[i]) / static_cast<double>(count[i]));
      if (mean >= cminf) ++out[r];
    }
  return out;
}

void apply_avg_coh_mask(std::vector<double>& intensity, const std::vector<double>& counts_nan,
                        const std::vector<std::int32_t>& mask_counts) {
  const std::size_t rows = mask_counts.size();
  for (std::size_t i = 0; i < intensity.size(); ++i)
    if (!(counts_nan[i] >= static_cast<double>(mask_counts[i % rows]))) intensity[i] = kNaN;
}

std::vector<std::size_t> coarse_detection(std::vector<double> in, std::size_t rows) {
  const std::size_t np = n_pairs_of(in, rows);
  std::vector<double> col(np), scratch;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t p = 0; p < np; ++p) col[p] = in[p * rows + r];
    const double med = num::nanmedian(col.data(), np, scratch);
    for (std::size_t p = 0; p < np; ++p) in[p * rows + r] /= med;
  }
  std::vector<std::size_t> ylist;
  std::vector<double> d(rows);
  for (std::size_t p = 0; p < np; ++p) {
    const double* row = in.data() + p * rows;
    for (std::size_t r = 0; r < rows; ++r) d[r] = r == 0 ? row[0] - 0.0 : row[r] - row[r - 1];
    const double thr = 3 * num::nanstd(d.data(), rows, scratch);
    for (std::size_t r = 0; r < rows; ++r)
      if (d[r] > thr) ylist.push_back(r);
  }
  return ylist;
}

namespace {
double median_over_pairs(const std::vector<double>& a, std::size_t rows, std::size_t r) {
  const std::size_t np = n_pairs_of(a, rows);
  std::vector<double> col(np), scratch;
  for (std::size_t p = 0; p < np; ++p) col[p] = a[p * rows + r];
  return num::nanmedian(col.data(), np, scratch);
}
}  // namespace

Refined refine_detection(const std::vector<std::size_t>& ylist, const std::vector<double>& med_grad,
                         std::size_t rows, int n_burst) {
  Refined out;
  const std::size_t np = n_pairs_of(med_grad, rows);
  std::map<std::size_t, std::size_t> freq;
  for (auto y : ylist) ++freq[y];
  const double t_pairs = 0.01 * static_cast<double>(np);
  std::vector<std::pair<std::size_t, std::size_t>> cand;  // (row, count), ascending rows
  for (auto [y, f] : freq)
    if (static_cast<double>(f) > t_pairs) cand.emplace_back(y, f);
  if (n_burst < 1) return out;
  const long long w = static_cast<long long>(rows) / n_burst;
  const long long h = w / 2;
  for (int n = 1; n < n_burst; ++n) {
    const long long lo = n * w - h, hi = n * w + h;
    std::vector<std::pair<std::size_t, std::size_t>> sub;
    for (auto& c : cand)
      if (static_cast<long long>(c.first) >= lo && static_cast<long long>(c.first) < hi) sub.push_back(c);
    if (sub.empty()) continue;  // the reference's nanmax raises on an empty window: swallowed
    std::size_t mx = 0;
    for (auto& c : sub) mx = std::max(mx, c.second);
    std::vector<std::pair<std::size_t, std::size_t>> top;
    for (auto& c : sub)
      if (c.second == mx) top.push_back(c);
    if (top.size() > 1) {
      std::vector<double> mag;
      bool any_nan = false;
      for (auto& c : top) {
        mag.push_back(median_over_pairs(med_grad, rows, c.first));
        any_nan = any_nan || std::isnan(mag.back());
      }
      if (any_nan) continue;  // np.max propagates NaN: nothing equals it
      const double m = *std::max_element(mag.begin(), mag.end());
      for (std::size_t j = 0; j < top.size(); ++j)
        if (mag[j] == m) {
          out.rows.push_back(top[j].first);
          out.votes.push_back(top[j].second);
          out.median_grad.push_back(mag[j]);
        }
    } else {
      out.rows.push_back(top[0].first);
      out.votes.push_back(top[0].second);
      out.median_grad.push_back(median_over_pairs(med_grad, rows, top[0].first));
    }
  }
  return out;
}

std::vector<std::string> seam_warnings(const std::vector<std::size_t>& seams, int n_burst, std::size_t rows) {
  std::vector<std::string> w;
  const std::size_t b = n_burst > 1 ? static_cast<std::size_t>(n_burst - 1) : 0;
  if (seams.empty()) {
    w.push_back("No phase-jump row was found (the reference implementation stops here); no pair is assessed.");
    return w;
  }
  if (seams.size() > b) {
    w.push_back("Inconsistency in detected coordinates! There are more coordinates than burst overlapping areas.");
  } else if (seams.size() == 1 && b > 1) {
    w.push_back("A unique coordinate was found.");
  } else if (seams.size() >= 2) {
    const double ovlp = static_cast<double>(rows / static_cast<std::size_t>(n_burst));
    double mn = std::numeric_limits<double>::infinity();
    for (std::size_t i = 1; i < seams.size(); ++i) {
      double dy = num::round_dec(static_cast<double>(static_cast<long long>(seams[i]) -
                                                     static_cast<long long>(seams[i - 1])) / ovlp, 2);
      dy -= std::floor(dy);
      mn = std::min(mn, dy);
    }
    if (mn < 0.5) w.push_back("There is not regular scpacing between coordinates.");
  }
  return w;
}

std::vector<double> measure_pj(const std::vector<double>& med_grad, std::size_t rows,
                               const std::vector<std::size_t>& seams, int n_burst) {
  const std::size_t np = n_pairs_of(med_grad, rows);
  std::vector<double> ramp(np, kNaN);
  if (seams.empty()) return ramp;
  const std::size_t s = seams.size();
  std::vector<bool> keep(np, false);
  for (std::size_t p = 0; p < np; ++p)
    for (auto y : seams)
      if (!std::isnan(med_grad[p * rows + y])) keep[p] = true;
  std::vector<bool> complete(s, true);
  for (std::size_t j = 0; j < s; ++j)
    for (std::size_t p = 0; p < np; ++p)
      if (keep[p] && std::isnan(med_grad[p * rows + seams[j]])) complete[j] = false;
  const std::size_t n3 = static_cast<std::size_t>(std::count(complete.begin(), complete.end(), true));
  const std::size_t b = static_cast<std::size_t>(std::max(n_burst - 1, 0));
  std::vector<double> vals, scratch;
  for (std::size_t p = 0; p < np; ++p) {
    if (!keep[p]) continue;
    vals.clear();
    if (n3 == 0 || n3 < b) {
      for (auto y : seams) vals.push_back(med_grad[p * rows + y]);
      ramp[p] = num::nanmean(vals.data(), vals.size(), scratch) * static_cast<double>(b);
    } else {
      for (std::size_t j = 0; j < s; ++j)
        if (complete[j]) vals.push_back(med_grad[p * rows + seams[j]]);
      ramp[p] = num::np_sum(vals.data(), vals.size());
    }
  }
  return ramp;
}

std::vector<std::string> excluded_dates(const std::vector<std::string>& assessed,
                                        const std::vector<std::string>& excluded) {
  std::map<std::string, long long> all, bad;
  auto add = [](std::map<std::string, long long>& m, const std::string& pair) {
    const auto u = pair.find('_');
    if (u == std::string::npos) return;
    ++m[pair.substr(0, u)];
    ++m[pair.substr(u + 1)];
  };
  for (auto& p : assessed) add(all, p);
  for (auto& p : excluded) add(bad, p);
  std::vector<std::string> out;
  for (auto& [date, nbad] : bad) {
    auto it = all.find(date);
    if (it == all.end()) continue;
    const double pct = static_cast<double>(nbad * 100) / static_cast<double>(it->second);
    if (pct > 50) out.push_back(date);
  }
  return out;
}

}  // namespace pjd::published
