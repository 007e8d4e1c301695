#include "published.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>

#include "numeric.hpp"

namespace pjd::published {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

/// A float32 statistic as the reference keeps it: np.round(x, 2) stored in float32.
double stat_f64(double x) { return static_cast<double>(static_cast<float>(num::round_dec(x, 2))); }
double stat_f32(float x) { return static_cast<double>(num::round_dec_f32(x, 2)); }

std::size_t n_pairs_of(const std::vector<double>& a, std::size_t rows) { return rows ? a.size() / rows : 0; }
}  // namespace

PairStats process_pair(const float* unw, const float* coh, std::size_t rows, std::size_t cols,
                       double cmin, double wavelength_m, double* intensity, std::int32_t* counts,
                       double* med_grad_mm, PairScratch& s) {
  const std::size_t n = rows * cols;
  s.unw.resize(n);
  s.coh.resize(n);
  // Step 2, in one pass: the comparison is float32 (numpy casts the Python float to the
  // array's type); then coherence 0 and phase 0 become no-data.
  const float cminf = static_cast<float>(cmin);
  for (std::size_t i = 0; i < n; ++i) {
    const float c = coh[i];
    const float u = c < cminf ? kNaNf : unw[i];
    s.coh[i] = c == 0.0f ? kNaNf : c;
    s.unw[i] = u == 0.0f ? kNaNf : u;
  }
  // Steps 3-4: |diff| in float32, widened, then * phase2range, * 1000 in float64.
  const double phase2range = wavelength_m / (4.0 * std::numbers::pi);
  // One pass: rows 0, 1, Y-2, Y-1 are no-data; the others |diff| * phase2range * 1000
  // (two multiplications, in that order, as numpy does them in place).
  s.g.resize(n);
  for (std::size_t r = 0; r < rows; ++r) {
    double* gr = s.g.data() + r * cols;
    if (r < 2 || r + 2 >= rows) {
      std::fill(gr, gr + cols, kNaN);
      continue;
    }
    const float* cur = s.unw.data() + r * cols;
    const float* prev = cur - cols;
    for (std::size_t c = 0; c < cols; ++c) {
      double v = static_cast<double>(std::fabs(cur[c] - prev[c]));
      v *= phase2range;
      v *= 1000;
      gr[c] = v;
    }
  }
  // Step 5: outliers above the 99th percentile.
  const double p99 = num::nanpercentile(s.g.data(), n, 99.0, s.dtmp);
  for (auto& v : s.g)
    if (v > p99) v = kNaN;
  // Step 6.
  PairStats st;
  st.grad_median_mm = stat_f64(num::nanmedian(s.g.data(), n, s.dtmp));
  const auto [g_mean, g_std] = num::nanmean_std(s.g.data(), n, s.dtmp);
  st.grad_mean_mm = stat_f64(g_mean);
  st.grad_std_mm = stat_f64(g_std);
  st.coh_median = stat_f32(num::nanmedian(s.coh.data(), n, s.ftmp));
  const auto [c_mean, c_std] = num::nanmean_std(s.coh.data(), n, s.ftmp);
  st.coh_mean = stat_f32(c_mean);
  st.coh_std = stat_f32(c_std);
  // Step 7.
  st.skipped = st.coh_mean < 0.4;
  // Steps 8-9.
  const double m = st.grad_median_mm;
  for (std::size_t r = 0; r < rows; ++r) {
    const double* gr = s.g.data() + r * cols;
    std::int32_t valid = 0, jump = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      if (std::isnan(gr[c])) continue;
      ++valid;
      if (gr[c] >= m) ++jump;
    }
    counts[r] = valid;
    intensity[r] = valid ? num::round_dec(static_cast<double>(jump) / static_cast<double>(valid) * 100, 1) : kNaN;
    med_grad_mm[r] = num::nanmedian(gr, cols, s.dtmp);
  }
  return st;
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

void avg_coh_accumulate(const float* coh, std::size_t n, float* sum, std::int32_t* count) {
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(coh[i])) continue;
    sum[i] += coh[i];
    ++count[i];
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
