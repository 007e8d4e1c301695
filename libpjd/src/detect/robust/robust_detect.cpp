// detect_robust(): one streamed pass (stream_pass.hpp, shared with the published method), then
// the stack-wide analysis on the per-pair profiles: sub-swath split, stacked seam search, step
// fits, network inversion.
#include "detect/robust/robust_detect.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/numeric.hpp"
#include "core/parallel.hpp"
#include "pjd/error.hpp"
#include "detect/published/published.hpp"
#include "detect/common.hpp"
#include "detect/direct_pass.hpp"
#include "detect/stream_pass.hpp"
#include "detect/robust/robust.hpp"

namespace pjd {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr std::size_t kMaxSegments = 16;   // column segments kept per pair and row
constexpr std::size_t kMinSegmentCols = 8;
constexpr float kCohFloor = 0.3f;          // cells below this coherence are left out of the profiles
constexpr int kStepHalfRows = 2;           // the step is summed over rows b-2..b+2 (smear up to ~2 rows)
constexpr int kTrendRows = 6;              // rows either side (beyond a one-row gap) giving the local trend
constexpr double kDateSigmas = 3.5;        // date threshold: max(date_thr_px, 3.5 robust sigmas)

std::string fmt(double v, int prec = 1) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(prec);
  s << v;
  return s.str();
}

/// One sub-swath while it is being worked out: segments [k0, k1), columns [c0, c1) of the
/// analysed range, its seams.
struct Group {
  std::size_t k0 = 0, k1 = 0;
  std::size_t c0 = 0, c1 = 0;
  robust::SeamSearch seams;
};

bool same_seams(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  std::size_t match = 0;
  for (auto x : a)
    for (auto y : b)
      if ((x > y ? x - y : y - x) <= 2) {
        ++match;
        break;
      }
  return static_cast<double>(match) >= 0.6 * static_cast<double>(std::min(a.size(), b.size()));
}

}  // namespace

/// --pair with robust: the seams and the dates' misregistration need the whole stack, so the
/// stack is analysed as a whole and the result is then cut down to the one pair (its row of
/// the profiles, its lists, its two dates), with file names carrying the pair as published.
static DetectResult restrict_to_pair(DetectResult full, const std::string& pair) {
  const auto it = std::find_if(full.pairs.begin(), full.pairs.end(), [&](const PairResult& p) { return p.pair == pair; });
  if (it == full.pairs.end()) throw_usage("--pair " + pair + " is not a pair of " + full.stack_file);
  const std::size_t q = static_cast<std::size_t>(it - full.pairs.begin()), rows = full.profiles.length;
  DetectResult r = std::move(full);
  r.params.pair = pair;
  r.pairs = {r.pairs[q]};
  auto keep_pair = [&](std::vector<std::string>& v) { std::erase_if(v, [&](const std::string& s) { return s != pair; }); };
  keep_pair(r.skipped_pairs);
  keep_pair(r.excluded_pairs);
  keep_pair(r.unassessed_pairs);
  // The stack's count of skipped pairs says nothing about this pair (its own status is above).
  std::erase_if(r.warnings, [](const std::string& w) { return w.starts_with("Excluding a total of"); });
  const std::string ref = pair.substr(0, 8), sec = pair.substr(9);
  auto of_pair = [&](const std::string& d) { return d == ref || d == sec; };
  std::erase_if(r.excluded_dates, [&](const std::string& d) { return !of_pair(d); });
  std::erase_if(r.dates, [&](const DateMisregistration& d) { return !of_pair(d.date); });
  Profiles& pr = r.profiles;
  auto row_of = [&](auto& v) { v = std::vector(v.begin() + static_cast<std::ptrdiff_t>(q * rows),
                                                v.begin() + static_cast<std::ptrdiff_t>((q + 1) * rows)); };
  row_of(pr.intensity_pct);
  row_of(pr.counts);
  row_of(pr.median_grad_mm);
  pr.n_pairs = 1;
  r.n_segments = 0;
  r.seg_grad_sum_rad.clear();
  r.seg_grad_cnt.clear();
  return r;
}

DetectResult detect_robust(const Stack& stack, const DetectParams& params_in, const ProgressFn& progress,
                           const ProfileCache* reuse) {
  if (params_in.pair) {
    DetectParams whole = params_in;
    whole.pair.reset();
    return restrict_to_pair(detect_robust(stack, whole, progress, reuse), *params_in.pair);
  }
  const auto t_total = Clock::now();
  const DetectParams params = validate_params(stack, params_in);

  DetectResult res = begin_result(stack, params);
  res.n_burst_hint = params.n_burst;
  const auto all_dates = stack.dates();
  const std::size_t rows = stack.length();
  const std::size_t x0 = res.x0, x1 = res.x1, cols = x1 - x0;
  const std::size_t plane = rows * cols;
  const unsigned threads = pass_threads(params);
  const double mm_per_rad = res.wavelength_m / (4.0 * std::numbers::pi) * 1000.0;

  const std::size_t np = stack.n_pairs();
  const auto bounds = robust::segment_bounds(cols, kMaxSegments, kMinSegmentCols);
  const std::size_t K = bounds.size() - 1;

  // One streamed pass (stream_pass.hpp): per pair, the published profiles (so every output
  // file is written alike) and the robust gradient profiles per column segment; the temporal
  // mean coherence of the kept pairs (dropIfgram), for the figures, as published. Pairs of an
  // earlier run (a grown stack, ProfileCache) with segment profiles of this layout are not
  // read again.
  std::vector<std::size_t> all_pairs(np);
  for (std::size_t q = 0; q < np; ++q) all_pairs[q] = q;
  StreamPass pass(stack, params, x0, x1, all_pairs);
  std::vector<float> seg_sum(np * rows * K), seg_cnt(np * rows * K);  // row 0 stays 0 (no gradient)
  pass.reuse(
      reuse,
      [&](const PairProfile& p) {
        return p.n_segments == K && p.seg_grad_sum_rad.size() == rows * K && p.seg_grad_cnt.size() == rows * K;
      },
      [&](std::size_t q, const PairProfile& p) {
        std::copy(p.seg_grad_sum_rad.begin(), p.seg_grad_sum_rad.end(), seg_sum.begin() + q * rows * K);
        std::copy(p.seg_grad_cnt.begin(), p.seg_grad_cnt.end(), seg_cnt.begin() + q * rows * K);
      });
  res.n_pairs_reused = pass.n_reused;
  pass.run(progress, [&](PassPair& in) {
    const std::size_t q = in.q;
    float* ss = seg_sum.data() + q * rows * K;
    float* sc = seg_cnt.data() + q * rows * K;
    // The phase is read once, row after row: each row goes to the published profiles and,
    // with the row before it, to the segment gradients.
    std::size_t next = 0;
    const std::function<const float*(std::size_t)> row = [&](std::size_t r) {
      if (r != next++) throw std::logic_error("detect_robust: the phase rows were not asked for in order");
      const float* u = in.phase_row(r);
      if (r >= 1)
        robust::gradient_row(in.previous_row(r), u, in.coh + (r - 1) * cols, in.coh + r * cols, cols, bounds,
                             kCohFloor, ss + r * K, sc + r * K);
      return u;
    };
    pass.stats[q] = published::process_pair(row, in.coh, rows, cols, params.cmin, res.wavelength_m,
                                            pass.intensity.data() + q * rows, pass.counts.data() + q * rows,
                                            pass.med_grad.data() + q * rows, *in.scratch);
    if (next != rows) throw std::logic_error("detect_robust: not every phase row was asked for");
  });
  const auto& stats = pass.stats;
  const auto& intensity = pass.intensity;
  const auto& med_grad = pass.med_grad;
  const auto& counts = pass.counts;
  const auto& coh_sum = pass.coh_sum;
  const auto& coh_cnt = pass.coh_cnt;
  double t_read = pass.t_read;
  const std::vector<std::string> dsets{"unwrapPhase", "coherence"};

  const auto t_analyse = Clock::now();
  // Per-pair results and the published profiles (outputs).
  const std::vector<bool> skipped = fill_pair_results(stack, all_pairs, stats, intensity, med_grad, counts, rows, res);
  std::vector<bool> use(np);
  for (std::size_t q = 0; q < np; ++q) use[q] = !skipped[q];
  // With reused pairs the temporal mean coherence is incomplete: left out (figures say so).
  if (pass.coh_summed) res.avg_coherence.resize(plane);
  for (std::size_t i = 0; i < res.avg_coherence.size(); ++i)
    res.avg_coherence[i] = coh_cnt[i] > 0 ? static_cast<float>(static_cast<double>(coh_sum[i]) /
                                                               static_cast<double>(coh_cnt[i]))
                                          : std::numeric_limits<float>::quiet_NaN();
  std::vector<double> mgrad = med_grad;
  published::nan_zero_and_skipped(mgrad, skipped, rows);

  // Profiles of a group of segments, for every pair: (pairs x rows).
  auto group_profiles = [&](std::size_t k0, std::size_t k1, std::vector<double>& mean, std::vector<double>& cnt) {
    mean.assign(np * rows, kNaN);
    cnt.assign(np * rows, 0.0);
    for (std::size_t q = 0; q < np; ++q)
      robust::group_profile(seg_sum.data() + q * rows * K, seg_cnt.data() + q * rows * K, rows, K, k0, k1,
                            mean.data() + q * rows, cnt.data() + q * rows);
  };
  const double spacing_prior = stack.alooks() > 0 ? robust::kBurstCycleLines / stack.alooks() : 0.0;
  auto search = [&](std::size_t k0, std::size_t k1) {
    std::vector<double> mean, cnt;
    group_profiles(k0, k1, mean, cnt);
    const auto st = robust::stack_energy(mean, cnt, rows, use, /*fast=*/false, threads);
    return robust::find_seams(st, rows, spacing_prior, params.n_burst);
  };

  // 1. Sub-swaths: segments whose stacked seam profiles agree.
  std::vector<std::vector<double>> seg_sig(K);
  if (K > 1)
    parallel_for(K, threads, [&](std::size_t k, unsigned) {
      std::vector<double> mean, cnt;
      group_profiles(k, k + 1, mean, cnt);
      const auto st = robust::stack_energy(mean, cnt, rows, use, /*fast=*/true);
      if (st.n_pairs > 0) seg_sig[k] = st.sig;
    });
  // Peaks of the whole width, grouped by where in range they are strong.
  const auto full = search(0, K);
  std::vector<Group> groups;
  for (auto [k0, k1] : robust::split_by_signatures(full.candidate_rows, full.candidate_sig, seg_sig))
    groups.push_back({k0, k1, 0, 0, {}});
  if (groups.size() == 1) {
    groups[0].seams = full;
  } else {
    std::vector<robust::SeamSearch> found(groups.size());
    parallel_for(groups.size(), threads, [&](std::size_t g, unsigned) { found[g] = search(groups[g].k0, groups[g].k1); });
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g].seams = std::move(found[g]);
  }
  // Adjacent groups with the same seams (or none) are one sub-swath.
  for (bool merged = true; merged && groups.size() > 1;) {
    merged = false;
    for (std::size_t g = 0; g + 1 < groups.size(); ++g) {
      const auto& a = groups[g].seams.rows;
      const auto& b = groups[g + 1].seams.rows;
      if (same_seams(a, b) || a.empty() || b.empty()) {
        groups[g].k1 = groups[g + 1].k1;
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(g + 1));
        groups[g].seams = groups.size() == 1 ? full : search(groups[g].k0, groups[g].k1);
        merged = true;
        break;
      }
    }
  }
  // Column cuts between sub-swaths from the stacked squared gradients, column by column.
  for (auto& g : groups) {
    g.c0 = bounds[g.k0];
    g.c1 = bounds[g.k1];
  }
  // The stacked squared gradients of the assessed pairs, only where the cuts look (the two
  // segments either side of each sub-swath boundary), read again for those columns once the
  // sub-swaths are known: nothing to do for a single sub-swath. Integer sums (units of
  // 2^-32 rad^2) are exact, so the plane is the same whatever the order of the pairs.
  std::vector<std::int64_t> esum;
  std::vector<std::int32_t> ecnt;
  if (groups.size() > 1) {
    esum.assign(plane, 0);
    ecnt.assign(plane, 0);
    std::vector<std::pair<std::size_t, std::size_t>> windows;  // merged column windows [lo, hi)
    for (std::size_t g = 0; g + 1 < groups.size(); ++g) {
      const std::size_t lo = bounds[std::max(groups[g].k0, groups[g].k1 - 1)];
      const std::size_t hi = bounds[std::min(groups[g + 1].k1, groups[g + 1].k0 + 1)];
      if (!windows.empty() && lo <= windows.back().second) windows.back().second = std::max(windows.back().second, hi);
      else windows.emplace_back(lo, hi);
    }
    std::vector<float> u, c;
    for (const auto& [lo, hi] : windows) {
      const std::size_t w = hi - lo;
      const std::size_t bp = std::max<std::size_t>(1, stack.block_pairs(dsets, w, params.block_bytes));
      for (std::size_t q = 0; q < np;) {
        if (stats[q].skipped) {
          ++q;
          continue;
        }
        std::size_t e = q + 1;
        while (e < np && e - q < bp && !stats[e].skipped) ++e;
        const auto t0 = Clock::now();
        u.resize((e - q) * rows * w);
        c.resize(u.size());
        stack.read("coherence", q, e, x0 + lo, x0 + hi, c.data());
        stack.read("unwrapPhase", q, e, x0 + lo, x0 + hi, u.data());
        t_read += seconds_since(t0);
        for (std::size_t i = 0; i < e - q; ++i)
          robust::energy_columns(u.data() + i * rows * w, c.data() + i * rows * w, rows, w, kCohFloor, cols, lo,
                                 esum.data(), ecnt.data());
        q = e;
      }
    }
  }
  auto mean_energy = [&](std::size_t i) { return robust::energy_rad2(esum[i]) / ecnt[i]; };
  auto seam_evidence = [&](const std::vector<std::size_t>& seams, std::size_t x) {
    double e = 0;
    for (auto s : seams) {
      double in = 0, bg = 0;
      int nin = 0, nbg = 0;
      for (long long r = static_cast<long long>(s) - 1; r <= static_cast<long long>(s) + 1; ++r)
        if (r >= 1 && r < static_cast<long long>(rows) && ecnt[static_cast<std::size_t>(r) * cols + x] > 0) {
          in += mean_energy(static_cast<std::size_t>(r) * cols + x);
          ++nin;
        }
      for (long long d = 4; d <= 10; ++d)
        for (long long r : {static_cast<long long>(s) - d, static_cast<long long>(s) + d})
          if (r >= 1 && r < static_cast<long long>(rows) && ecnt[static_cast<std::size_t>(r) * cols + x] > 0) {
            bg += mean_energy(static_cast<std::size_t>(r) * cols + x);
            ++nbg;
          }
      if (nin > 0 && nbg > 0) e += in / nin - bg / nbg;
    }
    return e;
  };
  for (std::size_t g = 0; g + 1 < groups.size(); ++g) {
    Group& a = groups[g];
    Group& b = groups[g + 1];
    const std::size_t lo = bounds[std::max(a.k0, a.k1 - 1)], hi = bounds[std::min(b.k1, b.k0 + 1)];
    std::vector<double> d(cols, 0.0);
    for (std::size_t x = lo; x < hi; ++x) d[x] = seam_evidence(a.seams.rows, x) - seam_evidence(b.seams.rows, x);
    const std::size_t cut = robust::best_cut(d, lo, hi);
    a.c1 = cut;
    b.c0 = cut;
  }

  // 2. Per sub-swath: step fits per pair and seam, then the network inversion.
  // IW index of a sub-swath: from beam_swath when it names every sub-swath ("1", "123"), else
  // by column order. When the stack names more sub-swaths than were found (--sub-x on a merged
  // stack), by where the group's columns sit across the full width (merged sub-swaths are side
  // by side in range order, of similar widths). A single sub-swath of unknown name is taken as
  // IW2 (the middle df_ovl).
  const auto beam = stack.attributes().get("beam_swath");
  const bool beam_digits = !beam.empty() && std::all_of(beam.begin(), beam.end(), [](char ch) {
    return ch >= '1' && ch <= '3';
  });
  auto iw_of = [&](std::size_t g) {
    if (beam_digits && beam.size() == groups.size()) return beam[g] - '1';
    if (beam_digits && beam.size() > groups.size() && stack.width() > 0) {
      const double centre = static_cast<double>(x0) + 0.5 * static_cast<double>(groups[g].c0 + groups[g].c1);
      const std::size_t k = std::min(beam.size() - 1, static_cast<std::size_t>(centre * static_cast<double>(beam.size()) /
                                                                                static_cast<double>(stack.width())));
      return beam[k] - '1';
    }
    return groups.size() == 1 ? 1 : static_cast<int>(g);
  };
  struct GroupOut {
    std::vector<std::size_t> seam_rows;
    std::vector<double> seam_sig;
    std::vector<std::vector<double>> step_rad, step_sigma_rad;  // [pair][seam]
    std::vector<double> ramp_mm, ramp_sigma_mm, resid_mm;       // per pair
    std::vector<double> misreg_px, misreg_sigma_px;             // per date
    double j_rad_per_px = kNaN;
  };
  std::vector<GroupOut> gout(groups.size());
  std::map<std::string, std::size_t> date_index;
  for (std::size_t d = 0; d < all_dates.size(); ++d) date_index[all_dates[d]] = d;
  const std::size_t nd = all_dates.size();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Group& G = groups[g];
    GroupOut& O = gout[g];
    O.seam_rows = G.seams.rows;
    O.seam_sig = G.seams.significance;
    // IW index: from beam_swath when it names every sub-swath, else by column order.
    const int iw = iw_of(g);
    O.j_rad_per_px = robust::jump_rad_per_px(iw);
    // Segments fully inside the sub-swath's columns (the ones straddling a cut are left out).
    std::size_t k0 = G.k0, k1 = G.k1;
    while (k0 < k1 && bounds[k0] < G.c0) ++k0;
    while (k1 > k0 && bounds[k1] > G.c1) --k1;
    if (k0 >= k1) {
      k0 = G.k0;
      k1 = G.k1;
    }
    std::vector<double> mean, cnt;
    group_profiles(k0, k1, mean, cnt);
    const std::size_t ns = O.seam_rows.size();
    double spacing = G.seams.spacing_rows;
    if (!(spacing > 0)) spacing = ns >= 1 ? static_cast<double>(rows) / static_cast<double>(ns + 1) : static_cast<double>(rows);
    const int kh = kStepHalfRows, korder = 1;
    const int w = static_cast<int>(std::clamp(spacing / 2.0 - kh - 3.0, 3.0, static_cast<double>(kTrendRows)));
    O.step_rad.assign(np, std::vector<double>(ns, kNaN));
    O.step_sigma_rad.assign(np, std::vector<double>(ns, kNaN));
    O.ramp_mm.assign(np, kNaN);
    O.ramp_sigma_mm.assign(np, kNaN);
    O.resid_mm.assign(np, kNaN);
    O.misreg_px.assign(nd, kNaN);
    O.misreg_sigma_px.assign(nd, kNaN);
    if (ns == 0) continue;
    std::vector<double> total(np, kNaN), total_sigma(np, kNaN);
    parallel_for(np, threads, [&](std::size_t q, unsigned) {
      if (skipped[q]) return;
      const double* m = mean.data() + q * rows;
      const double sig = robust::step_sigma(m, rows, O.seam_rows, kh, w, korder);
      double sum = 0;
      std::size_t nf = 0;
      for (std::size_t s = 0; s < ns; ++s) {
        const double st = robust::fit_step(m, rows, O.seam_rows[s], kh, w, korder);
        O.step_rad[q][s] = st;
        O.step_sigma_rad[q][s] = sig;
        if (std::isfinite(st)) {
          sum += st;
          ++nf;
        }
      }
      if (nf > 0 && sig > 0) {
        total[q] = sum * static_cast<double>(ns) / static_cast<double>(nf);
        total_sigma[q] = sig * std::sqrt(static_cast<double>(ns)) * static_cast<double>(ns) / static_cast<double>(nf);
      }
    });
    std::vector<std::size_t> ref, sec, obs_pair;
    std::vector<double> obs, sg;
    for (std::size_t q = 0; q < np; ++q) {
      if (!std::isfinite(total[q])) continue;
      ref.push_back(date_index.at(stack.pairs()[q].ref));
      sec.push_back(date_index.at(stack.pairs()[q].sec));
      obs.push_back(total[q]);
      sg.push_back(total_sigma[q]);
      obs_pair.push_back(q);
    }
    const auto net = robust::invert_network(nd, ref, sec, obs, sg);
    for (std::size_t q = 0; q < np; ++q) {
      if (skipped[q]) continue;
      const std::size_t a = date_index.at(stack.pairs()[q].ref), b = date_index.at(stack.pairs()[q].sec);
      if (net.component[a] < 0 || net.component[a] != net.component[b]) continue;
      O.ramp_mm[q] = std::fabs(net.v[b] - net.v[a]) * mm_per_rad;
      const double var = net.cov[b * nd + b] + net.cov[a * nd + a] - 2 * net.cov[a * nd + b];
      O.ramp_sigma_mm[q] = std::sqrt(std::max(0.0, var)) * mm_per_rad;
    }
    for (std::size_t i = 0; i < obs_pair.size(); ++i) O.resid_mm[obs_pair[i]] = net.residual[i] * mm_per_rad;
    // step = -J s per seam: the total over ns seams is v = -ns J s.
    for (std::size_t d = 0; d < nd; ++d) {
      if (net.component[d] < 0) continue;
      O.misreg_px[d] = -net.v[d] / (static_cast<double>(ns) * O.j_rad_per_px);
      O.misreg_sigma_px[d] = net.sigma_v[d] / (static_cast<double>(ns) * O.j_rad_per_px);
    }
  }

  // 3. The result: seams (ascending, tagged with their sub-swath), pairs, dates.
  for (std::size_t g = 0; g < groups.size(); ++g) {
    SubswathRange sw;
    const int iw = iw_of(g);
    sw.name = "IW" + std::to_string(iw + 1);
    sw.x0 = x0 + groups[g].c0;
    sw.x1 = x0 + groups[g].c1;
    sw.n_burst = static_cast<int>(gout[g].seam_rows.size()) + 1;
    sw.seam_spacing_rows = groups[g].seams.spacing_rows;
    sw.jump_rad_per_px = gout[g].j_rad_per_px;
    res.subswaths.push_back(sw);
    for (const auto& n : groups[g].seams.notes)
      res.warnings.push_back((groups.size() > 1 ? sw.name + ": " : std::string()) + n);
  }
  struct SeamRef {
    std::size_t row, g, s;
  };
  std::vector<SeamRef> order;
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (std::size_t s = 0; s < gout[g].seam_rows.size(); ++s) order.push_back({gout[g].seam_rows[s], g, s});
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.row < b.row || (a.row == b.row && a.g < b.g); });
  {
    std::vector<SeamRef> uniq;
    for (auto& o : order) {
      if (!uniq.empty() && uniq.back().row == o.row) {
        res.warnings.push_back("Seams of two sub-swaths on the same row " + std::to_string(o.row) +
                               ": listed once (under " + res.subswaths[uniq.back().g].name + ")");
        continue;
      }
      uniq.push_back(o);
    }
    order = uniq;
  }
  std::vector<double> col(np), scratch;
  for (auto& o : order) {
    SeamRow sr;
    sr.row = o.row;
    sr.subswath = o.g;
    sr.significance = gout[o.g].seam_sig[o.s];
    std::size_t votes = 0;
    for (std::size_t q = 0; q < np; ++q) {
      col[q] = mgrad[q * rows + o.row];
      const double st = gout[o.g].step_rad[q][o.s], sg = gout[o.g].step_sigma_rad[q][o.s];
      if (std::isfinite(st) && sg > 0 && std::fabs(st) > 3 * sg) ++votes;
    }
    sr.votes = votes;
    sr.median_grad_mm = num::nanmedian(col.data(), np, scratch);
    res.seams.push_back(sr);
  }
  std::vector<std::string> assessed;
  for (std::size_t q = 0; q < np; ++q) {
    PairResult& r = res.pairs[q];
    for (auto& o : order) {
      r.seam_grad_mm.push_back(mgrad[q * rows + o.row]);
      r.seam_jump_mm.push_back(gout[o.g].step_rad[q][o.s] * mm_per_rad);
      r.seam_jump_sigma_mm.push_back(gout[o.g].step_sigma_rad[q][o.s] * mm_per_rad);
    }
    double best = kNaN, best_sigma = kNaN, resid = kNaN;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const double v = gout[g].ramp_mm[q];
      if (groups.size() > 1) r.subswath_ramp_mm.push_back(v);
      if (!std::isfinite(v)) continue;
      if (!std::isfinite(best) || v > best) {
        best = v;
        best_sigma = gout[g].ramp_sigma_mm[q];
        resid = gout[g].resid_mm[q];
      }
    }
    if (std::isfinite(best)) {
      r.ramp_mm = best;
      r.ramp_sigma_mm = best_sigma;
      if (std::isfinite(resid)) r.network_residual_mm = resid;
      r.excluded = best >= params.pj_thr_mm;
      assessed.push_back(r.pair);
      if (r.excluded) res.excluded_pairs.push_back(r.pair);
    } else {
      res.unassessed_pairs.push_back(r.pair);
    }
  }
  std::sort(res.excluded_pairs.begin(), res.excluded_pairs.end());
  std::sort(res.unassessed_pairs.begin(), res.unassessed_pairs.end());

  // Dates: inverse-variance mean of the sub-swaths' estimates, median-zero datum.
  {
    std::vector<double> e(nd, kNaN), es(nd, kNaN), jmean(nd, kNaN);
    std::vector<std::size_t> npairs(nd, 0);
    for (std::size_t q = 0; q < np; ++q) {
      bool measured = false;
      for (const auto& O : gout)
        if (!O.step_rad.empty())
          for (double st : O.step_rad[q]) measured = measured || std::isfinite(st);
      if (!measured) continue;
      ++npairs[date_index.at(stack.pairs()[q].ref)];
      ++npairs[date_index.at(stack.pairs()[q].sec)];
    }
    for (std::size_t d = 0; d < nd; ++d) {
      double sw = 0, swx = 0, swj = 0;
      for (auto& O : gout) {
        const double x = O.misreg_px[d], s = O.misreg_sigma_px[d];
        if (!std::isfinite(x) || !(s > 0)) continue;
        sw += 1 / (s * s);
        swx += x / (s * s);
        swj += O.j_rad_per_px / (s * s);
      }
      if (sw > 0) {
        e[d] = swx / sw;
        es[d] = std::sqrt(1 / sw);
        jmean[d] = swj / sw;
      }
    }
    const double med = robust::median_of(e);
    for (auto& x : e) x -= med;
    const double thr = std::max(params.date_thr_px, kDateSigmas * robust::mad_sigma(e));
    for (std::size_t d = 0; d < nd; ++d) {
      DateMisregistration dm;
      dm.date = all_dates[d];
      dm.misreg_px = e[d];
      dm.sigma_px = es[d];
      dm.jump_mm = -e[d] * jmean[d] * mm_per_rad;
      dm.jump_sigma_mm = es[d] * jmean[d] * mm_per_rad;
      dm.n_pairs = npairs[d];
      dm.excluded = std::isfinite(e[d]) && std::fabs(e[d]) > thr;
      if (dm.excluded) res.excluded_dates.push_back(dm.date);
      res.dates.push_back(dm);
    }
    std::sort(res.excluded_dates.begin(), res.excluded_dates.end());
  }

  // The burst count: the most common seams + 1 over sub-swaths (largest on a tie).
  {
    std::map<int, int> freq;
    for (auto& sw : res.subswaths) ++freq[sw.n_burst];
    int best = 1, bf = 0;
    for (auto [b, f] : freq)
      if (f >= bf) {
        best = b;
        bf = f;
      }
    res.params.n_burst = best;
    std::ostringstream s;
    if (params.n_burst >= 2) {
      s << "--n-burst " << params.n_burst << " (override)";
    } else if (best <= 1) {
      s << "no seam found in the data: the burst count is unknown";
    } else {
      s << "estimated: " << (best - 1) << " seam(s) found";
      double sp = res.subswaths.empty() ? 0 : res.subswaths.front().seam_spacing_rows;
      if (sp > 0) s << " at a regular spacing of " << fmt(sp) << " rows";
      if (spacing_prior > 0)
        s << " (the 2.7586 s burst cycle is " << fmt(spacing_prior) << " rows at " << stack.alooks()
          << " azimuth looks)";
    }
    if (res.subswaths.size() > 1) s << "; " << res.subswaths.size() << " merged sub-swaths";
    if (auto nb = stack.attributes().number("number_of_bursts")) {
      if (std::lround(*nb) == best) s << "; agrees with number_of_bursts";
      else
        res.warnings.push_back("The burst count found in the data (" + std::to_string(best) +
                               ") differs from the stack's number_of_bursts (" +
                               stack.attributes().get("number_of_bursts") + ")");
    }
    res.n_burst_source = s.str();
  }
  if (res.seams.empty())
    res.warnings.push_back("No seam was found in the stacked profiles; no pair is assessed.");
  report(progress, 1.0, "analyse");
  res.timings_s["read"] = t_read;
  res.timings_s["compute"] = pass.t_compute;
  res.timings_s["analyse"] = seconds_since(t_analyse);
  res.timings_s["total"] = seconds_since(t_total);
  res.n_segments = K;  // for the catalogue (incremental runs)
  res.seg_grad_sum_rad = std::move(seg_sum);
  res.seg_grad_cnt = std::move(seg_cnt);
  return res;
}

}  // namespace pjd
