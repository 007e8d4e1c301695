// detect_robust(): one streamed pass (stream_pass.hpp, shared with the published method), then
// the stack-wide analysis on the per-pair profiles, stage by stage:
//   stream_profiles   the pass: published profiles and segment gradient profiles per pair
//   find_subswaths    stacked seam search over the width, split into sub-swaths by where in
//                     range the seams are strong, adjacent look-alikes merged
//   cut_subswaths     the column cut between neighbouring sub-swaths (energy plane)
//   subswath_ramps    per sub-swath: step fits per pair and seam, network inversion of dates
//   report_*          the result: sub-swaths, seams, pairs, dates, the burst count
#include "detect/robust/robust_detect.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>
#include <stdexcept>

#include "core/numeric.hpp"
#include "core/parallel.hpp"
#include "pjd/error.hpp"
#include "detect/published/published.hpp"
#include "detect/common.hpp"
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

/// Per pair, row and column segment: the sum and count of the signed azimuth gradient
/// ((pairs x rows x K), robust::gradient_rows). Row 0 holds 0 (no gradient).
struct SegmentProfiles {
  std::size_t np = 0, rows = 0, K = 0;
  std::vector<std::size_t> bounds;  ///< K + 1 column bounds of the segments
  std::vector<float> sum, cnt;

  /// Mean gradient profiles of segments [k0, k1) for every pair: mean and cnt (pairs x rows).
  void group(std::size_t k0, std::size_t k1, std::vector<double>& mean, std::vector<double>& count) const {
    mean.assign(np * rows, kNaN);
    count.assign(np * rows, 0.0);
    for (std::size_t q = 0; q < np; ++q)
      robust::group_profile(sum.data() + q * rows * K, cnt.data() + q * rows * K, rows, K, k0, k1,
                            mean.data() + q * rows, count.data() + q * rows);
  }
};

/// The streamed pass over every pair of the stack (pass): the published profiles (so every
/// output file is written alike) and the segment gradient profiles, returned; the mean
/// coherence of the kept pairs in pass. Pairs of an earlier run (a grown stack, `reuse`) whose
/// segment profiles have this layout are not read again.
SegmentProfiles stream_profiles(StreamPass& pass, double cmin, double wavelength_m, const ProfileCache* reuse,
                                const ProgressFn& progress) {
  SegmentProfiles seg;
  seg.np = pass.pair_idx().size();
  seg.rows = pass.rows();
  seg.bounds = robust::segment_bounds(pass.cols(), kMaxSegments, kMinSegmentCols);
  seg.K = seg.bounds.size() - 1;
  const std::size_t rows = seg.rows, cols = pass.cols(), K = seg.K;
  seg.sum.assign(seg.np * rows * K, 0.0f);
  seg.cnt.assign(seg.np * rows * K, 0.0f);
  pass.reuse(
      reuse,
      [&](const PairProfile& p) {
        return p.n_segments == K && p.seg_grad_sum_rad.size() == rows * K && p.seg_grad_cnt.size() == rows * K;
      },
      [&](std::size_t q, const PairProfile& p) {
        std::copy(p.seg_grad_sum_rad.begin(), p.seg_grad_sum_rad.end(), seg.sum.begin() + q * rows * K);
        std::copy(p.seg_grad_cnt.begin(), p.seg_grad_cnt.end(), seg.cnt.begin() + q * rows * K);
      });
  pass.run(progress, [&](PassPair& in) {
    const std::size_t q = in.q;
    float* ss = seg.sum.data() + q * rows * K;
    float* sc = seg.cnt.data() + q * rows * K;
    // The phase is read once, row after row: each row goes to the published profiles and,
    // with the row before it, to the segment gradients.
    std::size_t next = 0;
    const std::function<const float*(std::size_t)> row = [&](std::size_t r) {
      if (r != next++) throw std::logic_error("detect_robust: the phase rows were not asked for in order");
      const float* u = in.phase_row(r);
      if (r >= 1)
        robust::gradient_row(in.previous_row(r), u, in.coh + (r - 1) * cols, in.coh + r * cols, cols, seg.bounds,
                             kCohFloor, ss + r * K, sc + r * K);
      return u;
    };
    pass.stats[q] = published::process_pair(row, in.coh, rows, cols, cmin, wavelength_m,
                                            pass.intensity.data() + q * rows, pass.counts.data() + q * rows,
                                            pass.med_grad.data() + q * rows, *in.scratch);
    if (next != rows) throw std::logic_error("detect_robust: not every phase row was asked for");
  });
  return seg;
}

/// What every stage of the stack-wide analysis reads.
struct Analysis {
  const Stack& stack;
  const DetectParams& params;
  const SegmentProfiles& seg;
  const std::vector<published::PairStats>& stats;
  std::vector<bool> skipped;  ///< per pair: mean coherence < 0.4
  std::vector<bool> use;      ///< per pair: takes part in the stacking (not skipped)
  std::size_t np, rows, x0, cols;
  unsigned threads;
  double spacing_prior;       ///< the burst cycle in rows (0: unknown azimuth looks)
  double mm_per_rad;

  /// The seams of segments [k0, k1): stacked energy of their profiles, then the seam grid.
  robust::SeamSearch search(std::size_t k0, std::size_t k1) const {
    const auto st = robust::stack_energy_segments(seg.sum.data(), seg.cnt.data(), np, rows, seg.K, k0, k1, use,
                                                  /*fast=*/false, threads);
    return robust::find_seams(st, rows, spacing_prior, params.n_burst);
  }
};

/// One sub-swath while it is being worked out: segments [k0, k1), columns [c0, c1) of the
/// analysed range, its seams.
struct Group {
  std::size_t k0 = 0, k1 = 0;
  std::size_t c0 = 0, c1 = 0;
  robust::SeamSearch seams;
};

/// Seams alike: at least 60 % of the shorter list within 2 rows of one in the other (two
/// empty lists are alike).
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

/// Each segment's seam detection significance per row (stacked energy, the fast detrend: the
/// rows are known already), empty for a segment without pairs; none for a single segment.
std::vector<std::vector<double>> segment_signatures(const Analysis& a) {
  std::vector<std::vector<double>> seg_sig(a.seg.K);
  if (a.seg.K > 1)
    parallel_for(a.seg.K, a.threads, [&](std::size_t k, unsigned) {
      const auto st = robust::stack_energy_segments(a.seg.sum.data(), a.seg.cnt.data(), a.np, a.rows, a.seg.K, k,
                                                    k + 1, a.use, /*fast=*/true);
      if (st.n_pairs > 0) seg_sig[k] = st.sig;
    });
  return seg_sig;
}

/// Sub-swaths, left to right: the peaks of the whole width (full, its search) grouped by the
/// segments they are strong in (each segment's detection significance), each group searched
/// on its own, then adjacent groups with the same seams (or none) merged. Columns [c0, c1)
/// are the groups' segment bounds (cut_subswaths refines them).
std::vector<Group> find_subswaths(const Analysis& a, const robust::SeamSearch& full) {
  std::vector<Group> groups;
  for (auto [k0, k1] : robust::split_by_signatures(full.candidate_rows, full.candidate_sig, segment_signatures(a)))
    groups.push_back({k0, k1, 0, 0, {}});
  if (groups.size() == 1) {
    groups[0].seams = full;
  } else {
    std::vector<robust::SeamSearch> found(groups.size());
    parallel_for(groups.size(), a.threads,
                 [&](std::size_t g, unsigned) { found[g] = a.search(groups[g].k0, groups[g].k1); });
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g].seams = std::move(found[g]);
  }
  for (bool merged = true; merged && groups.size() > 1;) {
    merged = false;
    for (std::size_t g = 0; g + 1 < groups.size(); ++g) {
      const auto& sa = groups[g].seams.rows;
      const auto& sb = groups[g + 1].seams.rows;
      if (same_seams(sa, sb) || sa.empty() || sb.empty()) {
        groups[g].k1 = groups[g + 1].k1;
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(g + 1));
        groups[g].seams = groups.size() == 1 ? full : a.search(groups[g].k0, groups[g].k1);
        merged = true;
        break;
      }
    }
  }
  for (auto& g : groups) {
    g.c0 = a.seg.bounds[g.k0];
    g.c1 = a.seg.bounds[g.k1];
  }
  return groups;
}

/// The stacked squared gradients of the assessed pairs (rows x cols, esum/ecnt), filled only
/// in the column windows where cuts are looked for.
struct EnergyPlane {
  std::size_t rows = 0, cols = 0;
  std::vector<std::int64_t> esum;  ///< units of 2^-32 rad^2 (robust::energy_units)
  std::vector<std::int32_t> ecnt;

  double mean_energy(std::size_t i) const { return robust::energy_rad2(esum[i]) / ecnt[i]; }
  /// Evidence that column x carries these seams: over the seams, the mean energy of rows
  /// s-1..s+1 minus that of rows 4..10 away.
  double seam_evidence(const std::vector<std::size_t>& seams, std::size_t x) const {
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
  }
};

/// Search window [lo, hi) of the cut between groups a and b: the segment either side.
std::pair<std::size_t, std::size_t> cut_window(const SegmentProfiles& seg, const Group& a, const Group& b) {
  return {seg.bounds[std::max(a.k0, a.k1 - 1)], seg.bounds[std::min(b.k1, b.k0 + 1)]};
}

/// The energy plane of the assessed pairs in the cut windows, read again through HDF5 for
/// those columns (the pass cannot know them). Integer sums are exact, so the plane is the
/// same whatever the order of the pairs. Adds the reading seconds to t_read.
EnergyPlane energy_in_windows(const Analysis& a, const std::vector<Group>& groups, double& t_read) {
  EnergyPlane ep{a.rows, a.cols, std::vector<std::int64_t>(a.rows * a.cols, 0),
                 std::vector<std::int32_t>(a.rows * a.cols, 0)};
  std::vector<std::pair<std::size_t, std::size_t>> windows;  // merged column windows [lo, hi)
  for (std::size_t g = 0; g + 1 < groups.size(); ++g) {
    const auto [lo, hi] = cut_window(a.seg, groups[g], groups[g + 1]);
    if (!windows.empty() && lo <= windows.back().second) windows.back().second = std::max(windows.back().second, hi);
    else windows.emplace_back(lo, hi);
  }
  std::vector<float> u, c;
  for (const auto& [lo, hi] : windows) {
    const std::size_t w = hi - lo;
    const std::size_t bp =
        std::max<std::size_t>(1, a.stack.block_pairs({"unwrapPhase", "coherence"}, w, a.params.block_bytes));
    for (std::size_t q = 0; q < a.np;) {
      if (a.stats[q].skipped) {
        ++q;
        continue;
      }
      std::size_t e = q + 1;
      while (e < a.np && e - q < bp && !a.stats[e].skipped) ++e;
      const auto t0 = Clock::now();
      u.resize((e - q) * a.rows * w);
      c.resize(u.size());
      a.stack.read("coherence", q, e, a.x0 + lo, a.x0 + hi, c.data());
      a.stack.read("unwrapPhase", q, e, a.x0 + lo, a.x0 + hi, u.data());
      t_read += seconds_since(t0);
      for (std::size_t i = 0; i < e - q; ++i)
        robust::energy_columns(u.data() + i * a.rows * w, c.data() + i * a.rows * w, a.rows, w, kCohFloor, a.cols,
                               lo, ep.esum.data(), ep.ecnt.data());
      q = e;
    }
  }
  return ep;
}

/// Column cuts between neighbouring sub-swaths, column by column: where the evidence for the
/// left one's seams turns into evidence for the right one's (nothing to do for one).
void cut_subswaths(const Analysis& a, std::vector<Group>& groups, double& t_read) {
  if (groups.size() < 2) return;
  const EnergyPlane ep = energy_in_windows(a, groups, t_read);
  for (std::size_t g = 0; g + 1 < groups.size(); ++g) {
    Group& ga = groups[g];
    Group& gb = groups[g + 1];
    const auto [lo, hi] = cut_window(a.seg, ga, gb);
    std::vector<double> d(a.cols, 0.0);
    for (std::size_t x = lo; x < hi; ++x) d[x] = ep.seam_evidence(ga.seams.rows, x) - ep.seam_evidence(gb.seams.rows, x);
    const std::size_t cut = robust::best_cut(d, lo, hi);
    ga.c1 = cut;
    gb.c0 = cut;
  }
}

/// IW index (0..2) of sub-swath g: from beam_swath when it names every sub-swath ("1",
/// "123"), else by column order. When the stack names more sub-swaths than were found
/// (--sub-x on a merged stack), by where the group's columns sit across the full width
/// (merged sub-swaths are side by side in range order, of similar widths). A single
/// sub-swath of unknown name is taken as IW2 (the middle df_ovl).
int iw_index(const Stack& stack, std::size_t x0, const std::vector<Group>& groups, std::size_t g) {
  const auto beam = stack.attributes().get("beam_swath");
  const bool beam_digits = !beam.empty() && std::all_of(beam.begin(), beam.end(), [](char ch) {
    return ch >= '1' && ch <= '3';
  });
  if (beam_digits && beam.size() == groups.size()) return beam[g] - '1';
  if (beam_digits && beam.size() > groups.size() && stack.width() > 0) {
    const double centre = static_cast<double>(x0) + 0.5 * static_cast<double>(groups[g].c0 + groups[g].c1);
    const std::size_t k = std::min(beam.size() - 1, static_cast<std::size_t>(centre * static_cast<double>(beam.size()) /
                                                                              static_cast<double>(stack.width())));
    return beam[k] - '1';
  }
  return groups.size() == 1 ? 1 : static_cast<int>(g);
}

/// The dates of the stack and their index.
struct Dates {
  std::vector<std::string> names;
  std::map<std::string, std::size_t> index;
  std::size_t of(const std::string& d) const { return index.at(d); }
};

/// One sub-swath's measurements.
struct SubswathOut {
  std::vector<std::size_t> seam_rows;
  std::vector<double> seam_sig;
  std::vector<std::vector<double>> step_rad, step_sigma_rad;  // [pair][seam]
  std::vector<double> ramp_mm, ramp_sigma_mm, resid_mm;       // per pair
  std::vector<double> misreg_px, misreg_sigma_px;             // per date
  double j_rad_per_px = kNaN;
};

/// Segments fully inside the sub-swath's columns (the ones straddling a cut are left out),
/// or all its segments when none is.
std::pair<std::size_t, std::size_t> inner_segments(const SegmentProfiles& seg, const Group& G) {
  std::size_t k0 = G.k0, k1 = G.k1;
  while (k0 < k1 && seg.bounds[k0] < G.c0) ++k0;
  while (k1 > k0 && seg.bounds[k1] > G.c1) --k1;
  if (k0 >= k1) return {G.k0, G.k1};
  return {k0, k1};
}

/// Step fits per assessed pair and seam of one sub-swath (O.step_rad, O.step_sigma_rad) on
/// its mean profiles; returns per pair the total step over the seams and its sigma (NaN
/// where no seam was measured).
std::pair<std::vector<double>, std::vector<double>> fit_steps(const Analysis& a, const std::vector<double>& mean,
                                                              double spacing, SubswathOut& O) {
  const std::size_t ns = O.seam_rows.size();
  const int kh = kStepHalfRows, korder = 1;
  const int w = static_cast<int>(std::clamp(spacing / 2.0 - kh - 3.0, 3.0, static_cast<double>(kTrendRows)));
  std::vector<double> total(a.np, kNaN), total_sigma(a.np, kNaN);
  parallel_for(a.np, a.threads, [&](std::size_t q, unsigned) {
    if (a.skipped[q]) return;
    const double* m = mean.data() + q * a.rows;
    const double sig = robust::step_sigma(m, a.rows, O.seam_rows, kh, w, korder);
    double sum = 0;
    std::size_t nf = 0;
    for (std::size_t s = 0; s < ns; ++s) {
      const double st = robust::fit_step(m, a.rows, O.seam_rows[s], kh, w, korder);
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
  return {std::move(total), std::move(total_sigma)};
}

/// The network inversion of one sub-swath's total steps (v[sec] - v[ref] per pair): the
/// ramp per pair and its sigma, the residuals, and per date the misregistration in px
/// (step = -J s per seam, so the total over ns seams is v = -ns J s).
void invert_dates(const Analysis& a, const Dates& dates, const std::vector<double>& total,
                  const std::vector<double>& total_sigma, SubswathOut& O) {
  const std::size_t nd = dates.names.size(), ns = O.seam_rows.size();
  const auto& pairs = a.stack.pairs();
  std::vector<std::size_t> ref, sec, obs_pair;
  std::vector<double> obs, sg;
  for (std::size_t q = 0; q < a.np; ++q) {
    if (!std::isfinite(total[q])) continue;
    ref.push_back(dates.of(pairs[q].ref));
    sec.push_back(dates.of(pairs[q].sec));
    obs.push_back(total[q]);
    sg.push_back(total_sigma[q]);
    obs_pair.push_back(q);
  }
  const auto net = robust::invert_network(nd, ref, sec, obs, sg);
  for (std::size_t q = 0; q < a.np; ++q) {
    if (a.skipped[q]) continue;
    const std::size_t da = dates.of(pairs[q].ref), db = dates.of(pairs[q].sec);
    if (net.component[da] < 0 || net.component[da] != net.component[db]) continue;
    O.ramp_mm[q] = std::fabs(net.v[db] - net.v[da]) * a.mm_per_rad;
    const double var = net.cov[db * nd + db] + net.cov[da * nd + da] - 2 * net.cov[da * nd + db];
    O.ramp_sigma_mm[q] = std::sqrt(std::max(0.0, var)) * a.mm_per_rad;
  }
  for (std::size_t i = 0; i < obs_pair.size(); ++i) O.resid_mm[obs_pair[i]] = net.residual[i] * a.mm_per_rad;
  for (std::size_t d = 0; d < nd; ++d) {
    if (net.component[d] < 0) continue;
    O.misreg_px[d] = -net.v[d] / (static_cast<double>(ns) * O.j_rad_per_px);
    O.misreg_sigma_px[d] = net.sigma_v[d] / (static_cast<double>(ns) * O.j_rad_per_px);
  }
}

/// One sub-swath (IW index iw): its seams, the step fits of every pair at them, and the
/// network inversion of the pairs' total steps into ramps and dates' misregistration.
SubswathOut subswath_ramps(const Analysis& a, const Dates& dates, const Group& G, int iw) {
  SubswathOut O;
  O.seam_rows = G.seams.rows;
  O.seam_sig = G.seams.significance;
  O.j_rad_per_px = robust::jump_rad_per_px(iw);
  const std::size_t ns = O.seam_rows.size(), nd = dates.names.size();
  double spacing = G.seams.spacing_rows;
  if (!(spacing > 0))
    spacing = ns >= 1 ? static_cast<double>(a.rows) / static_cast<double>(ns + 1) : static_cast<double>(a.rows);
  O.step_rad.assign(a.np, std::vector<double>(ns, kNaN));
  O.step_sigma_rad.assign(a.np, std::vector<double>(ns, kNaN));
  O.ramp_mm.assign(a.np, kNaN);
  O.ramp_sigma_mm.assign(a.np, kNaN);
  O.resid_mm.assign(a.np, kNaN);
  O.misreg_px.assign(nd, kNaN);
  O.misreg_sigma_px.assign(nd, kNaN);
  if (ns == 0) return O;
  const auto [k0, k1] = inner_segments(a.seg, G);
  std::vector<double> mean, cnt;
  a.seg.group(k0, k1, mean, cnt);
  const auto [total, total_sigma] = fit_steps(a, mean, spacing, O);
  invert_dates(a, dates, total, total_sigma, O);
  return O;
}

/// res.subswaths (name, columns, bursts, spacing, J) and the seam search notes as warnings.
void report_subswaths(const Analysis& a, const std::vector<Group>& groups, const std::vector<SubswathOut>& out,
                      DetectResult& res) {
  for (std::size_t g = 0; g < groups.size(); ++g) {
    SubswathRange sw;
    sw.name = "IW" + std::to_string(iw_index(a.stack, a.x0, groups, g) + 1);
    sw.x0 = a.x0 + groups[g].c0;
    sw.x1 = a.x0 + groups[g].c1;
    sw.n_burst = static_cast<int>(out[g].seam_rows.size()) + 1;
    sw.seam_spacing_rows = groups[g].seams.spacing_rows;
    sw.jump_rad_per_px = out[g].j_rad_per_px;
    res.subswaths.push_back(sw);
    for (const auto& n : groups[g].seams.notes)
      res.warnings.push_back((groups.size() > 1 ? sw.name + ": " : std::string()) + n);
  }
}

/// A seam of sub-swath g, its s-th.
struct SeamRef {
  std::size_t row, g, s;
};

/// The seams of every sub-swath by row (a row two sub-swaths share listed once, under the
/// first, with a warning).
std::vector<SeamRef> seams_by_row(const std::vector<SubswathOut>& out, DetectResult& res) {
  std::vector<SeamRef> order;
  for (std::size_t g = 0; g < out.size(); ++g)
    for (std::size_t s = 0; s < out[g].seam_rows.size(); ++s) order.push_back({out[g].seam_rows[s], g, s});
  std::sort(order.begin(), order.end(), [](auto& x, auto& y) { return x.row < y.row || (x.row == y.row && x.g < y.g); });
  std::vector<SeamRef> uniq;
  for (auto& o : order) {
    if (!uniq.empty() && uniq.back().row == o.row) {
      res.warnings.push_back("Seams of two sub-swaths on the same row " + std::to_string(o.row) +
                             ": listed once (under " + res.subswaths[uniq.back().g].name + ")");
      continue;
    }
    uniq.push_back(o);
  }
  return uniq;
}

/// res.seams: per seam its sub-swath, significance, the pairs whose step there exceeds 3
/// sigmas (votes) and the median over pairs of the published median gradient (mgrad).
void report_seams(const Analysis& a, const std::vector<SeamRef>& order, const std::vector<SubswathOut>& out,
                  const std::vector<double>& mgrad, DetectResult& res) {
  std::vector<double> col(a.np), scratch;
  for (auto& o : order) {
    SeamRow sr;
    sr.row = o.row;
    sr.subswath = o.g;
    sr.significance = out[o.g].seam_sig[o.s];
    std::size_t votes = 0;
    for (std::size_t q = 0; q < a.np; ++q) {
      col[q] = mgrad[q * a.rows + o.row];
      const double st = out[o.g].step_rad[q][o.s], sg = out[o.g].step_sigma_rad[q][o.s];
      if (std::isfinite(st) && sg > 0 && std::fabs(st) > 3 * sg) ++votes;
    }
    sr.votes = votes;
    sr.median_grad_mm = num::nanmedian(col.data(), a.np, scratch);
    res.seams.push_back(sr);
  }
}

/// Per pair: its values at the seams, its ramp (the largest over sub-swaths, with that
/// sub-swath's sigma and residual) and whether it is excluded (ramp >= pj_thr) or
/// unassessed (no ramp); res.excluded_pairs and res.unassessed_pairs sorted.
void report_pairs(const Analysis& a, const std::vector<SeamRef>& order, const std::vector<SubswathOut>& out,
                  const std::vector<double>& mgrad, DetectResult& res) {
  for (std::size_t q = 0; q < a.np; ++q) {
    PairResult& r = res.pairs[q];
    for (auto& o : order) {
      r.seam_grad_mm.push_back(mgrad[q * a.rows + o.row]);
      r.seam_jump_mm.push_back(out[o.g].step_rad[q][o.s] * a.mm_per_rad);
      r.seam_jump_sigma_mm.push_back(out[o.g].step_sigma_rad[q][o.s] * a.mm_per_rad);
    }
    double best = kNaN, best_sigma = kNaN, resid = kNaN;
    for (std::size_t g = 0; g < out.size(); ++g) {
      const double v = out[g].ramp_mm[q];
      if (out.size() > 1) r.subswath_ramp_mm.push_back(v);
      if (!std::isfinite(v)) continue;
      if (!std::isfinite(best) || v > best) {
        best = v;
        best_sigma = out[g].ramp_sigma_mm[q];
        resid = out[g].resid_mm[q];
      }
    }
    if (std::isfinite(best)) {
      r.ramp_mm = best;
      r.ramp_sigma_mm = best_sigma;
      if (std::isfinite(resid)) r.network_residual_mm = resid;
      r.excluded = best >= a.params.pj_thr_mm;
      if (r.excluded) res.excluded_pairs.push_back(r.pair);
    } else {
      res.unassessed_pairs.push_back(r.pair);
    }
  }
  std::sort(res.excluded_pairs.begin(), res.excluded_pairs.end());
  std::sort(res.unassessed_pairs.begin(), res.unassessed_pairs.end());
}

/// Per date: the pairs of it with a step measured at some seam of some sub-swath.
std::vector<std::size_t> pairs_measuring(const Analysis& a, const Dates& dates, const std::vector<SubswathOut>& out) {
  std::vector<std::size_t> npairs(dates.names.size(), 0);
  for (std::size_t q = 0; q < a.np; ++q) {
    bool measured = false;
    for (const auto& O : out)
      if (!O.step_rad.empty())
        for (double st : O.step_rad[q]) measured = measured || std::isfinite(st);
    if (!measured) continue;
    ++npairs[dates.of(a.stack.pairs()[q].ref)];
    ++npairs[dates.of(a.stack.pairs()[q].sec)];
  }
  return npairs;
}

/// res.dates: per date the inverse-variance mean of the sub-swaths' misregistration (median
/// put at 0), its sigma and jump, the pairs measuring it; dates beyond max(date_thr_px,
/// 3.5 robust sigmas) are excluded (res.excluded_dates, sorted).
void report_dates(const Analysis& a, const Dates& dates, const std::vector<SubswathOut>& out, DetectResult& res) {
  const std::size_t nd = dates.names.size();
  std::vector<double> e(nd, kNaN), es(nd, kNaN), jmean(nd, kNaN);
  const std::vector<std::size_t> npairs = pairs_measuring(a, dates, out);
  for (std::size_t d = 0; d < nd; ++d) {
    double sw = 0, swx = 0, swj = 0;
    for (auto& O : out) {
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
  const double thr = std::max(a.params.date_thr_px, kDateSigmas * robust::mad_sigma(e));
  for (std::size_t d = 0; d < nd; ++d) {
    DateMisregistration dm;
    dm.date = dates.names[d];
    dm.misreg_px = e[d];
    dm.sigma_px = es[d];
    dm.jump_mm = -e[d] * jmean[d] * a.mm_per_rad;
    dm.jump_sigma_mm = es[d] * jmean[d] * a.mm_per_rad;
    dm.n_pairs = npairs[d];
    dm.excluded = std::isfinite(e[d]) && std::fabs(e[d]) > thr;
    if (dm.excluded) res.excluded_dates.push_back(dm.date);
    res.dates.push_back(dm);
  }
  std::sort(res.excluded_dates.begin(), res.excluded_dates.end());
}

/// The burst count (res.params.n_burst): the most common seams + 1 over sub-swaths (the
/// largest on a tie), and how it was decided (res.n_burst_source), with a warning when it
/// differs from the stack's number_of_bursts.
void report_burst_count(const Analysis& a, DetectResult& res) {
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
  if (a.params.n_burst >= 2) {
    s << "--n-burst " << a.params.n_burst << " (override)";
  } else if (best <= 1) {
    s << "no seam found in the data: the burst count is unknown";
  } else {
    s << "estimated: " << (best - 1) << " seam(s) found";
    double sp = res.subswaths.empty() ? 0 : res.subswaths.front().seam_spacing_rows;
    if (sp > 0) s << " at a regular spacing of " << robust::fixed(sp) << " rows";
    if (a.spacing_prior > 0)
      s << " (the 2.7586 s burst cycle is " << robust::fixed(a.spacing_prior) << " rows at " << a.stack.alooks()
        << " azimuth looks)";
  }
  if (res.subswaths.size() > 1) s << "; " << res.subswaths.size() << " merged sub-swaths";
  if (auto nb = a.stack.attributes().number("number_of_bursts")) {
    if (std::lround(*nb) == best) s << "; agrees with number_of_bursts";
    else
      res.warnings.push_back("The burst count found in the data (" + std::to_string(best) +
                             ") differs from the stack's number_of_bursts (" +
                             a.stack.attributes().get("number_of_bursts") + ")");
  }
  res.n_burst_source = s.str();
}

/// --pair with robust: the seams and the dates' misregistration need the whole stack, so the
/// stack is analysed as a whole and the result is then cut down to the one pair (its row of
/// the profiles, its lists, its two dates), with file names carrying the pair as published.
DetectResult restrict_to_pair(DetectResult full, const std::string& pair) {
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

}  // namespace

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
  const std::size_t np = stack.n_pairs(), rows = stack.length();

  // The streamed pass over every pair.
  std::vector<std::size_t> all_pairs(np);
  for (std::size_t q = 0; q < np; ++q) all_pairs[q] = q;
  StreamPass pass(stack, params, res.x0, res.x1, all_pairs);
  SegmentProfiles seg = stream_profiles(pass, params.cmin, res.wavelength_m, reuse, progress);
  res.n_pairs_reused = pass.n_reused;
  double t_read = pass.t_read;

  const auto t_analyse = Clock::now();
  // Per-pair results and the published profiles (outputs); the temporal mean coherence for
  // the figures (left out with reused pairs: incomplete, and the figures say so).
  Analysis a{stack, params, seg, pass.stats, {}, {}, np, rows, res.x0, pass.cols(), pass.threads(),
             stack.alooks() > 0 ? robust::kBurstCycleLines / stack.alooks() : 0.0,
             res.wavelength_m / (4.0 * std::numbers::pi) * 1000.0};
  a.skipped = fill_pair_results(stack, all_pairs, pass.stats, pass.intensity, pass.med_grad, pass.counts, rows, res);
  a.use.resize(np);
  for (std::size_t q = 0; q < np; ++q) a.use[q] = !a.skipped[q];
  if (pass.coh_summed) res.avg_coherence = pass.mean_coherence();
  std::vector<double> mgrad = pass.med_grad;
  published::nan_zero_and_skipped(mgrad, a.skipped, rows);

  // Sub-swaths and their seams, the cuts between them.
  std::vector<Group> groups = find_subswaths(a, a.search(0, seg.K));
  cut_subswaths(a, groups, t_read);

  // Per sub-swath: step fits per pair and seam, the network inversion.
  Dates dates{stack.dates(), {}};
  for (std::size_t d = 0; d < dates.names.size(); ++d) dates.index[dates.names[d]] = d;
  std::vector<SubswathOut> out(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g)
    out[g] = subswath_ramps(a, dates, groups[g], iw_index(stack, res.x0, groups, g));

  // The result: sub-swaths, seams (ascending, tagged with their sub-swath), pairs, dates.
  report_subswaths(a, groups, out, res);
  const auto order = seams_by_row(out, res);
  report_seams(a, order, out, mgrad, res);
  report_pairs(a, order, out, mgrad, res);
  report_dates(a, dates, out, res);
  report_burst_count(a, res);
  if (res.seams.empty())
    res.warnings.push_back("No seam was found in the stacked profiles; no pair is assessed.");
  report(progress, 1.0, "analyse");
  res.timings_s["read"] = t_read;
  res.timings_s["compute"] = pass.t_compute;
  res.timings_s["analyse"] = seconds_since(t_analyse);
  res.timings_s["total"] = seconds_since(t_total);
  res.n_segments = seg.K;  // for the catalogue (incremental runs)
  res.seg_grad_sum_rad = std::move(seg.sum);
  res.seg_grad_cnt = std::move(seg.cnt);
  return res;
}

}  // namespace pjd
