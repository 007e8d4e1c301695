#pragma once
// numpy-convention numerics (private to libpjd), so the published method can be
// reproduced bit for bit. Each helper names the numpy call it mirrors (numpy 1.24).
#include <cmath>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace pjd::num {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// One leaf of numpy's pairwise summation: n <= 128 values, 8 accumulators (fewer than 8
/// values: added one by one to -0.0).
template <typename T>
T pairwise_leaf(const T* a, std::size_t n) {
  if (n < 8) {
    T res = T(-0.0);
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  T r[8];
  for (int j = 0; j < 8; ++j) r[j] = a[j];
  std::size_t i = 8;
  for (; i < n - (n % 8); i += 8)
    for (int j = 0; j < 8; ++j) r[j] += a[i + j];
  T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; ++i) res += a[i];
  return res;
}

/// numpy's pairwise summation (np.add.reduce over a contiguous run): blocks of 8
/// accumulators up to 128 elements, halves (rounded to a multiple of 8) above.
/// Accumulates in T, as numpy does for float32 and float64.
template <typename T>
T pairwise_sum(const T* a, std::size_t n) {
  if (n <= 128) return pairwise_leaf(a, n);
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/// np_sum(a, n) of values that arrive in index order, in pieces of any length, so a
/// pass that produces them need not store all n: each leaf of the pairwise tree is summed
/// as soon as its values are there, the tree is combined at the end. Bit for bit
/// np_sum of the concatenated values.
template <typename T>
class PairwiseStream {
 public:
  /// Starts a sum of n values.
  void reset(std::size_t n) {
    if (n != n_) {
      n_ = n;
      leaves_.clear();
      leaves_of(n);
      sums_.resize(leaves_.size());
    }
    li_ = 0;
    pend_ = 0;
  }
  /// Appends the next len values.
  void add(const T* v, std::size_t len) {
    while (len > 0) {
      const std::size_t leaf = leaves_[li_];
      if (pend_ == 0 && len >= leaf) {
        sums_[li_++] = pairwise_leaf(v, leaf);
        v += leaf;
        len -= leaf;
        continue;
      }
      const std::size_t take = std::min(leaf - pend_, len);
      for (std::size_t i = 0; i < take; ++i) buf_[pend_ + i] = v[i];
      pend_ += take;
      v += take;
      len -= take;
      if (pend_ == leaf) {
        sums_[li_++] = pairwise_leaf(buf_, leaf);
        pend_ = 0;
      }
    }
  }
  /// np_sum of the n values added since reset(n).
  T sum() {
    while (li_ < leaves_.size() && leaves_[li_] == 0) sums_[li_++] = pairwise_leaf(buf_, 0);
    std::size_t i = 0;
    return T(0) + combine(n_, i);
  }

 private:
  void leaves_of(std::size_t n) {
    if (n <= 128) {
      leaves_.push_back(static_cast<std::uint32_t>(n));
      return;
    }
    std::size_t n2 = n / 2;
    n2 -= n2 % 8;
    leaves_of(n2);
    leaves_of(n - n2);
  }
  T combine(std::size_t n, std::size_t& i) const {
    if (n <= 128) return sums_[i++];
    std::size_t n2 = n / 2;
    n2 -= n2 % 8;
    const T left = combine(n2, i);
    return left + combine(n - n2, i);
  }
  std::size_t n_ = static_cast<std::size_t>(-1);
  std::vector<std::uint32_t> leaves_;
  std::vector<T> sums_;
  T buf_[128];
  std::size_t li_ = 0, pend_ = 0;
};

/// The bucket of a float32 value: the top 16 bits of a key whose unsigned order is the
/// floating-point order of non-NaN values (NaN: kNoBucket). For histogram selection.
inline constexpr std::uint32_t kBuckets = 1u << 16;
inline constexpr std::uint32_t kNoBucket = kBuckets;
inline std::uint32_t float_bucket(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  const std::uint32_t flip = static_cast<std::uint32_t>(static_cast<std::int32_t>(u) >> 31) | 0x80000000u;
  const std::uint32_t b = (u ^ flip) >> 16;
  return x == x ? b : kNoBucket;
}
/// The smallest and the largest non-NaN float32 of bucket b (infinities for the
/// buckets that also hold NaN bit patterns).
float bucket_lowest(std::uint32_t b);
float bucket_highest(std::uint32_t b);

/// Counts of float32 values per bucket (kBuckets + 1 slots; the last takes NaN), and the
/// ranks they start at, for exact order statistics: the k-th smallest value lies in
/// bucket_of_rank(k), at rank k - start(bucket) among that bucket's values.
struct BucketHistogram {
  /// add() counts into kLanes interleaved copies: runs of one bucket (a row of NaN, or of
  /// close coherence values) then make independent increments, not one serial chain.
  static constexpr std::size_t kLanes = 4;
  static constexpr std::size_t kStride = kBuckets + 1;
  std::vector<std::uint32_t> count;  ///< after finish(): values per bucket (kStride slots)
  std::vector<std::size_t> start;    ///< after finish(): values in lower buckets
  std::size_t total = 0;
  /// Empties the histogram (the lanes are left zero by finish(), so that is cheap).
  void clear() {
    if (lanes_.size() != kLanes * kStride || dirty_) lanes_.assign(kLanes * kStride, 0);
    dirty_ = false;
  }
  /// Counts n bucket indices (each <= kNoBucket).
  void add(const std::uint32_t* __restrict bk, std::size_t n) {
    std::uint32_t* __restrict h = lanes_.data();
    dirty_ = true;
    std::size_t c = 0;
    for (; c + kLanes <= n; c += kLanes) {
      ++h[bk[c]];
      ++h[kStride + bk[c + 1]];
      ++h[2 * kStride + bk[c + 2]];
      ++h[3 * kStride + bk[c + 3]];
    }
    for (; c < n; ++c) ++h[bk[c]];
  }
  void finish();  ///< count (merging and re-zeroing the lanes), total and start
  std::uint32_t bucket_of_rank(std::size_t k) const;

 private:
  std::vector<std::uint32_t> lanes_;
  bool dirty_ = false;
};

/// The k-th and (k+1)-th smallest (clamped to the last) of n > 0 unsigned keys, reordering
/// them: a quickselect with branch-free partitions, for short runs (a row). On the bit
/// patterns of floats >= 0 it selects by value.
std::pair<std::uint32_t, std::uint32_t> select_adjacent_bits(std::uint32_t* v, std::size_t n, std::size_t k);
/// The same for 64-bit keys.
std::pair<std::uint64_t, std::uint64_t> select_adjacent_keys64(std::uint64_t* v, std::size_t n, std::size_t k);

/// The same, when the answer is expected in the key window [lo, hi] (e.g. near the previous
/// row's median): one pass counts the keys below and inside the window and copies the inside
/// ones to tmp (room for n), then selects among those only. Falls back to
/// select_adjacent_bits when the k-th or (k+1)-th smallest lies outside. v is not reordered
/// unless it falls back.
std::pair<std::uint32_t, std::uint32_t> select_adjacent_bits_near(std::uint32_t* v, std::size_t n, std::size_t k,
                                                                  std::uint32_t lo, std::uint32_t hi,
                                                                  std::uint32_t* tmp);

/// Given the values of buckets [lo, hi] (in any order; reordered), where lo starts at
/// rank `first`: the values of ranks k and k1 (k <= k1 <= k + 1, both in [lo, hi]).
std::pair<float, float> select_in_buckets(std::vector<float>& vals, std::size_t first, std::size_t k,
                                          std::size_t k1);

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

/// np.percentile's "linear" method on n values whose order statistics come from
/// select(k) = (k-th smallest, min(k+1, n-1)-th smallest). q is a fraction. NaN when n == 0.
template <typename Select>
double percentile_linear_with(std::size_t n, double q, Select&& select) {
  if (n == 0) return kNaN;
  const double virt = static_cast<double>(n - 1) * q;
  const double prev_f = std::floor(virt);
  const double gamma = virt - prev_f;
  std::size_t prev, next;
  if (virt >= static_cast<double>(n - 1)) {
    prev = next = n - 1;
  } else if (virt < 0) {
    prev = next = 0;
  } else {
    prev = static_cast<std::size_t>(prev_f);
    next = prev + 1;
  }
  const auto [a_, b_next] = select(prev);
  const double a = a_;
  const double b = next != prev ? static_cast<double>(b_next) : a;
  // numpy's _lerp
  const double diff = b - a;
  if (gamma >= 0.5) return b - diff * (1 - gamma);
  return a + diff * gamma;
}

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
