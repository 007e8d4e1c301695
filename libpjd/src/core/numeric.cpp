#include "core/numeric.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

namespace pjd::num {

namespace {

/// An unsigned key whose order is the floating-point order of non-NaN values.
template <typename T>
auto order_key(T x) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  U u;
  std::memcpy(&u, &x, sizeof u);
  constexpr U sign = U(1) << (8 * sizeof(U) - 1);
  return (u & sign) ? U(~u) : U(u | sign);
}

}  // namespace

template <typename T>
std::pair<T, T> select_adjacent(T* v, std::size_t n, std::size_t k) {
  const std::size_t k1 = std::min(k + 1, n - 1);
  if (n < 16384) {
    std::nth_element(v, v + k, v + n);
    const T a = v[k];
    return {a, k1 == k ? a : *std::min_element(v + k + 1, v + n)};
  }
  // Radix pre-selection on the top 16 bits of the order key: one pass to count, one to
  // gather the bucket that holds the k-th value, then an exact selection inside it.
  constexpr int shift = 8 * sizeof(T) - 16;
  thread_local std::vector<std::uint32_t> hist;
  thread_local std::vector<T> bucket;
  hist.assign(1u << 16, 0);
  for (std::size_t i = 0; i < n; ++i) ++hist[order_key(v[i]) >> shift];
  std::size_t before = 0, b = 0;
  while (before + hist[b] <= k) before += hist[b++];
  bucket.clear();
  for (std::size_t i = 0; i < n; ++i)
    if ((order_key(v[i]) >> shift) == b) bucket.push_back(v[i]);
  const std::size_t kk = k - before;
  std::nth_element(bucket.begin(), bucket.begin() + kk, bucket.end());
  const T a = bucket[kk];
  if (k1 == k) return {a, a};
  if (kk + 1 < bucket.size()) return {a, *std::min_element(bucket.begin() + kk + 1, bucket.end())};
  // The next value is the smallest of the next non-empty bucket.
  std::size_t b2 = b + 1;
  while (hist[b2] == 0) ++b2;
  T next = std::numeric_limits<T>::infinity();
  bool found = false;
  for (std::size_t i = 0; i < n; ++i)
    if ((order_key(v[i]) >> shift) == b2 && (!found || v[i] < next)) {
      next = v[i];
      found = true;
    }
  return {a, next};
}

template <typename T>
T nanmean(const T* a, std::size_t n, std::vector<T>& scratch) {
  scratch.assign(a, a + n);
  std::size_t cnt = 0;
  for (auto& x : scratch) {
    if (std::isnan(x)) x = T(0);
    else ++cnt;
  }
  const T tot = np_sum(scratch.data(), n);
  return static_cast<T>(static_cast<double>(tot) / static_cast<double>(cnt));
}

template <typename T>
std::pair<T, T> nanmean_std(const T* a, std::size_t n, std::vector<T>& scratch) {
  scratch.assign(a, a + n);
  std::size_t cnt = 0;
  for (auto& x : scratch) {
    if (std::isnan(x)) x = T(0);
    else ++cnt;
  }
  const T avg = static_cast<T>(static_cast<double>(np_sum(scratch.data(), n)) / static_cast<double>(cnt));
  if (cnt == 0) return {avg, std::numeric_limits<T>::quiet_NaN()};
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(a[i])) {
      scratch[i] = T(0);
    } else {
      const T d = static_cast<T>(scratch[i] - avg);
      scratch[i] = static_cast<T>(d * d);
    }
  }
  const T var = static_cast<T>(static_cast<double>(np_sum(scratch.data(), n)) / static_cast<double>(cnt));
  return {avg, std::sqrt(var)};
}

template <typename T>
T nanstd(const T* a, std::size_t n, std::vector<T>& scratch) {
  return nanmean_std(a, n, scratch).second;
}

double percentile_linear(double* v, std::size_t n, double q) {
  return percentile_linear_with(n, q, [&](std::size_t k) { return select_adjacent(v, n, k); });
}

float bucket_lowest(std::uint32_t b) {
  const std::uint32_t key = b << 16;
  const std::uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x == x ? x : -std::numeric_limits<float>::infinity();
}

float bucket_highest(std::uint32_t b) {
  const std::uint32_t key = (b << 16) | 0xffffu;
  const std::uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x == x ? x : std::numeric_limits<float>::infinity();
}

void BucketHistogram::finish() {
  count.resize(kStride);
  if (dirty_) {
    std::uint32_t* l = lanes_.data();
    for (std::size_t b = 0; b < kStride; ++b) {
      count[b] = l[b] + l[kStride + b] + l[2 * kStride + b] + l[3 * kStride + b];
      l[b] = l[kStride + b] = l[2 * kStride + b] = l[3 * kStride + b] = 0;
    }
    dirty_ = false;
  } else {
    std::fill(count.begin(), count.end(), 0u);
  }
  start.resize(kBuckets + 1);
  std::size_t s = 0;
  for (std::uint32_t b = 0; b < kBuckets; ++b) {
    start[b] = s;
    s += count[b];
  }
  start[kBuckets] = s;
  total = s;
}

std::uint32_t BucketHistogram::bucket_of_rank(std::size_t k) const {
  // The last bucket whose start is <= k and that holds values.
  std::uint32_t b = static_cast<std::uint32_t>(std::upper_bound(start.begin(), start.begin() + kBuckets, k) -
                                               start.begin()) - 1;
  while (count[b] == 0) --b;  // empty buckets share the start of the next one
  return b;
}

namespace {
/// Moves the values < p (or <= p) of a[lo, hi) to the front; returns where the rest starts.
template <bool OrEqual, typename K>
std::size_t partition_keys(K* a, std::size_t lo, std::size_t hi, K p) {
  std::size_t i = lo;
  for (std::size_t j = lo; j < hi; ++j) {
    const K x = a[j];
    a[j] = a[i];
    a[i] = x;
    i += OrEqual ? (x <= p) : (x < p);
  }
  return i;
}

template <typename K>
std::pair<K, K> select_adjacent_keys(K* a, std::size_t n, std::size_t k) {
  std::size_t lo = 0, hi = n;
  K kth = 0;
  bool found = false;
  while (hi - lo > 16) {
    // Median of three as the pivot (a value of the range, so each round makes progress).
    K x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
    if (x > y) std::swap(x, y);
    if (y > z) y = std::max(x, z);
    const K p = y;
    const std::size_t i = partition_keys<false>(a, lo, hi, p);
    if (k < i) {
      hi = i;
    } else if (i > lo) {
      lo = i;
    } else {
      // Nothing below p: p is the range's minimum. Its copies go first.
      const std::size_t i2 = partition_keys<true>(a, lo, hi, p);
      if (k < i2) {
        kth = p;
        found = true;
        break;
      }
      lo = i2;
    }
  }
  if (!found) {
    for (std::size_t i = lo + 1; i < hi; ++i) {  // insertion sort of the short range
      const K x = a[i];
      std::size_t j = i;
      for (; j > lo && a[j - 1] > x; --j) a[j] = a[j - 1];
      a[j] = x;
    }
    kth = a[k];
  }
  if (k + 1 >= n) return {kth, kth};
  // Every value after position k is >= the k-th.
  K next = a[k + 1];
  for (std::size_t i = k + 2; i < n; ++i) next = std::min(next, a[i]);
  return {kth, next};
}
}  // namespace

std::pair<std::uint32_t, std::uint32_t> select_adjacent_bits(std::uint32_t* a, std::size_t n, std::size_t k) {
  return select_adjacent_keys(a, n, k);
}

std::pair<std::uint64_t, std::uint64_t> select_adjacent_keys64(std::uint64_t* a, std::size_t n, std::size_t k) {
  return select_adjacent_keys(a, n, k);
}

std::pair<std::uint32_t, std::uint32_t> select_adjacent_bits_near(std::uint32_t* v, std::size_t n, std::size_t k,
                                                                  std::uint32_t lo, std::uint32_t hi,
                                                                  std::uint32_t* tmp) {
  std::size_t below = 0, m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t x = v[i];
    below += x < lo;
    tmp[m] = x;
    m += (x >= lo) & (x <= hi);
  }
  const std::size_t k1 = std::min(k + 1, n - 1);
  if (below <= k && k1 < below + m) {
    const auto r = select_adjacent_bits(tmp, m, k - below);
    return {r.first, k1 == k ? r.first : r.second};
  }
  return select_adjacent_bits(v, n, k);
}

std::pair<float, float> select_in_buckets(std::vector<float>& vals, std::size_t first, std::size_t k,
                                          std::size_t k1) {
  const std::size_t kk = k - first;
  std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(kk), vals.end());
  const float a = vals[kk];
  if (k1 == k) return {a, a};
  return {a, *std::min_element(vals.begin() + static_cast<std::ptrdiff_t>(kk) + 1, vals.end())};
}

double nanpercentile(const double* a, std::size_t n, double pct, std::vector<double>& scratch) {
  scratch.clear();
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isnan(a[i])) scratch.push_back(a[i]);
  return percentile_linear(scratch.data(), scratch.size(), pct / 100.0);
}

template <typename T>
T median_inplace(T* v, std::size_t n) {
  if (n == 0) return std::numeric_limits<T>::quiet_NaN();
  const std::size_t h = n / 2;
  if (n % 2 == 1) return select_adjacent(v, n, h).first;
  const auto [lo, hi] = select_adjacent(v, n, h - 1);
  return static_cast<T>(static_cast<T>(lo + hi) / T(2));
}

template <typename T>
T nanmedian(const T* a, std::size_t n, std::vector<T>& scratch) {
  scratch.clear();
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isnan(a[i])) scratch.push_back(a[i]);
  return median_inplace(scratch.data(), scratch.size());
}

double round_dec(double x, int decimals) {
  const double f = std::pow(10.0, decimals);
  return std::nearbyint(x * f) / f;
}

float round_dec_f32(float x, int decimals) {
  const float f = static_cast<float>(std::pow(10.0, decimals));
  const float y = std::nearbyint(x * f);
  return y / f;
}

template float nanmean<float>(const float*, std::size_t, std::vector<float>&);
template double nanmean<double>(const double*, std::size_t, std::vector<double>&);
template std::pair<float, float> nanmean_std<float>(const float*, std::size_t, std::vector<float>&);
template std::pair<double, double> nanmean_std<double>(const double*, std::size_t, std::vector<double>&);
template float nanstd<float>(const float*, std::size_t, std::vector<float>&);
template double nanstd<double>(const double*, std::size_t, std::vector<double>&);
template std::pair<float, float> select_adjacent<float>(float*, std::size_t, std::size_t);
template std::pair<double, double> select_adjacent<double>(double*, std::size_t, std::size_t);
template float median_inplace<float>(float*, std::size_t);
template double median_inplace<double>(double*, std::size_t);
template float nanmedian<float>(const float*, std::size_t, std::vector<float>&);
template double nanmedian<double>(const double*, std::size_t, std::vector<double>&);

}  // namespace pjd::num
