#pragma once
// numpy-convention numerics (private to libpjd), so the published method can be
// reproduced bit for bit. Each helper names the numpy call it mirrors (numpy 1.24).
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace pjd::num {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// numpy's pairwise summation (np.add.reduce over a contiguous run): blocks of 8
/// accumulators up to 128 elements, halves (rounded to a multiple of 8) above.
/// Accumulates in T, as numpy does for float32 and float64.
template <typename T>
T pairwise_sum(const T* a, std::size_t n) {
  if (n < 8) {
    T res = T(-0.0);
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    T r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/// np.sum(a) of a contiguous array: 0 + pairwise sum of all elements.
template <typename T>
T np_sum(const T* a, std::size_t n) {
  return T(0) + pairwise_sum(a, n);
}

/// np.nanmean(a) over a contiguous array (NaN replaced by 0 in place of summing,
/// so the pairwise grouping is numpy's): sum / count, the division done in double
/// and cast back to T. NaN when no valid value. `scratch` is reused storage.
template <typename T>
T nanmean(const T* a, std::size_t n, std::vector<T>& scratch);

/// np.nanstd(a) (ddof = 0) over a contiguous array, numpy's arithmetic in T.
template <typename T>
T nanstd(const T* a, std::size_t n, std::vector<T>& scratch);

/// The k-th and (k+1)-th smallest of n > 0 non-NaN values (the (k+1)-th clamped to the
/// last), exactly; v may be reordered. Large inputs take a radix pre-selection on the
/// values' bit patterns (two linear passes) instead of a full nth_element.
template <typename T>
std::pair<T, T> select_adjacent(T* v, std::size_t n, std::size_t k);

/// (np.nanmean(a), np.nanstd(a)) in one go: the same arithmetic as nanmean and nanstd,
/// sharing the zero-filled copy and the mean.
template <typename T>
std::pair<T, T> nanmean_std(const T* a, std::size_t n, std::vector<T>& scratch);

/// np.percentile's "linear" method on n finite values (reordered in place with
/// nth_element). q is a fraction in [0, 1]. NaN when n == 0.
double percentile_linear(double* v, std::size_t n, double q);

/// np.nanpercentile(a, pct) for pct in percent: drops NaN (copying into scratch),
/// divides pct by 100 as numpy does, then percentile_linear.
double nanpercentile(const double* a, std::size_t n, double pct, std::vector<double>& scratch);

/// np.median on n finite values (reordered in place): the middle value, or the
/// mean (a + b) / 2 of the two middle values, computed in T. NaN when n == 0.
template <typename T>
T median_inplace(T* v, std::size_t n);

/// np.nanmedian(a): drops NaN into scratch, then median_inplace.
template <typename T>
T nanmedian(const T* a, std::size_t n, std::vector<T>& scratch);

/// np.round(x, decimals) on a float64: rint(x * 10^d) / 10^d (half to even).
double round_dec(double x, int decimals);

/// np.round(np.float32 x, decimals) under numpy 1.24: computed in float32
/// (rint(x * 10^d) / 10^d, each step rounded to float32; 2.675f -> 2.68f).
float round_dec_f32(float x, int decimals);

}  // namespace pjd::num
