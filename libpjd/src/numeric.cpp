#include "numeric.hpp"

#include <algorithm>
#include <limits>

namespace pjd::num {

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
T nanstd(const T* a, std::size_t n, std::vector<T>& scratch) {
  scratch.assign(a, a + n);
  std::size_t cnt = 0;
  for (auto& x : scratch) {
    if (std::isnan(x)) x = T(0);
    else ++cnt;
  }
  const T avg = static_cast<T>(static_cast<double>(np_sum(scratch.data(), n)) / static_cast<double>(cnt));
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(a[i])) {
      scratch[i] = T(0);
    } else {
      const T d = static_cast<T>(scratch[i] - avg);
      scratch[i] = static_cast<T>(d * d);
    }
  }
  if (cnt == 0) return std::numeric_limits<T>::quiet_NaN();
  const T var = static_cast<T>(static_cast<double>(np_sum(scratch.data(), n)) / static_cast<double>(cnt));
  return std::sqrt(var);
}

double percentile_linear(double* v, std::size_t n, double q) {
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
  std::nth_element(v, v + prev, v + n);
  const double a = v[prev];
  double b = a;
  if (next != prev) b = *std::min_element(v + prev + 1, v + n);
  // numpy's _lerp
  const double diff = b - a;
  if (gamma >= 0.5) return b - diff * (1 - gamma);
  return a + diff * gamma;
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
  std::nth_element(v, v + h, v + n);
  const T hi = v[h];
  if (n % 2 == 1) return hi;
  const T lo = *std::max_element(v, v + h);
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
template float nanstd<float>(const float*, std::size_t, std::vector<float>&);
template double nanstd<double>(const double*, std::size_t, std::vector<double>&);
template float median_inplace<float>(float*, std::size_t);
template double median_inplace<double>(double*, std::size_t);
template float nanmedian<float>(const float*, std::size_t, std::vector<float>&);
template double nanmedian<double>(const double*, std::size_t, std::vector<double>&);

}  // namespace pjd::num
