// The figures of a detection (see pjd/figures.hpp): what each one shows, from a
// DetectResult. Drawing goes through figures_plot.hpp (PLplot).
#include "pjd/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "plot/figures_plot.hpp"
#include "pjd/internal/atomic_file.hpp"
#include "pjd/error.hpp"
#include "pjd/internal/pyformat.hpp"
#include "detect/published/published.hpp"

namespace pjd {
namespace fs = std::filesystem;
using plot::Axis;
using plot::Box;
using plot::Cmap;
using plot::Figure;

namespace {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

/// 1, 2 or 5 times a power of ten, at least `raw`.
double nice_step(double raw) {
  if (!(raw > 0)) return 0;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string prefix_of(const DetectResult& r) { return r.params.pair ? *r.params.pair + "_" : std::string(); }

/// Orientation of the azimuth (row) and range (column) axes, as the reference draws them.
struct Orientation {
  bool rows_up = false;        ///< ascending: row 0 at the bottom
  bool range_reversed = false; ///< descending: range increases to the left
  std::string note;
};
Orientation orientation_of(const std::string& orbit) {
  Orientation o;
  const char c = orbit.empty() ? '?' : static_cast<char>(std::tolower(static_cast<unsigned char>(orbit[0])));
  if (c == 'a') {
    o.rows_up = true;
    o.note = "ascending: row 0 at the bottom";
  } else if (c == 'd') {
    o.range_reversed = true;
    o.note = "descending: row 0 at the top, range to the left";
  } else {
    o.note = "orbit unknown: row 0 at the top";
  }
  return o;
}
Axis row_axis(std::size_t rows, const Orientation& o, const std::string& label) {
  Axis a;
  a.min = o.rows_up ? 0.0 : static_cast<double>(rows);
  a.max = o.rows_up ? static_cast<double>(rows) : 0.0;
  a.label = label;
  return a;
}
Axis range_axis(std::size_t x0, std::size_t x1, const Orientation& o, const std::string& label) {
  Axis a;
  a.min = o.range_reversed ? static_cast<double>(x1) : static_cast<double>(x0);
  a.max = o.range_reversed ? static_cast<double>(x0) : static_cast<double>(x1);
  a.label = label;
  return a;
}

/// The intensity profiles at each masking stage, (pairs x rows) as doubles.
struct MaskStages {
  std::vector<double> unmasked, after_rows, after_coh;  ///< after_coh empty unless the mask was used
  std::vector<std::int32_t> mask_counts;               ///< per row (result's, or from avg coherence)
  std::vector<double> counts_nan;
};

void check_profiles(const DetectResult& r) {
  const auto& p = r.profiles;
  const std::size_t n = p.n_pairs * p.length;
  if (p.n_pairs != r.pairs.size() || p.length != r.length || p.intensity_pct.size() != n || p.counts.size() != n ||
      p.median_grad_mm.size() != n)
    throw_data(r.stack_file, "the result's row profiles do not match its pairs and rows (" +
                                 std::to_string(p.n_pairs) + " x " + std::to_string(p.length) + " for " +
                                 std::to_string(r.pairs.size()) + " pairs of " + std::to_string(r.length) +
                                 " rows): cannot draw figures");
}

MaskStages mask_stages(const DetectResult& r, const std::vector<float>& avg_coh) {
  const std::size_t rows = r.length, np = r.pairs.size();
  MaskStages m;
  std::vector<bool> skipped(np);
  for (std::size_t q = 0; q < np; ++q) skipped[q] = r.pairs[q].skipped;
  m.unmasked.resize(np * rows);
  std::vector<std::int32_t> counts(np * rows);
  for (std::size_t i = 0; i < np * rows; ++i) {
    m.unmasked[i] = r.profiles.intensity_pct[i];
    counts[i] = r.profiles.counts[i];
  }
  published::nan_zero_and_skipped(m.unmasked, skipped, rows);
  m.counts_nan = published::counts_for_masking(counts, skipped, rows);
  m.after_rows = m.unmasked;
  published::RowReliability rel;
  rel.threshold = r.row_count_threshold;
  rel.percentile_count = r.row_count_percentile;
  rel.width_count = r.row_count_width;
  rel.auto_mask = r.avg_coh_mask_auto;
  if (std::isfinite(rel.threshold)) published::apply_row_reliability(m.after_rows, m.counts_nan, rel);
  m.mask_counts = r.avg_coh_mask_counts;
  const std::size_t cols = r.x1 - r.x0;
  if (m.mask_counts.size() != rows && avg_coh.size() == rows * cols) {
    // Not used by the detection, but drawn: the cmin mask of the average coherence.
    m.mask_counts.assign(rows, 0);
    const float cminf = static_cast<float>(r.params.cmin);
    for (std::size_t y = 0; y < rows; ++y)
      for (std::size_t x = 0; x < cols; ++x)
        if (avg_coh[y * cols + x] >= cminf) ++m.mask_counts[y];
  }
  if (r.avg_coh_mask_used && r.avg_coh_mask_counts.size() == rows) {
    m.after_coh = m.after_rows;
    published::apply_avg_coh_mask(m.after_coh, m.counts_nan, r.avg_coh_mask_counts);
  }
  return m;
}

/// (pairs x rows) doubles -> image (rows of pairs) floats.
std::vector<float> transpose_to_image(const std::vector<double>& a, std::size_t np, std::size_t rows) {
  std::vector<float> z(np * rows);
  for (std::size_t q = 0; q < np; ++q)
    for (std::size_t y = 0; y < rows; ++y) z[y * np + q] = static_cast<float>(a[q * rows + y]);
  return z;
}

std::vector<double> seam_centres(const DetectResult& r) {
  std::vector<double> ys;
  for (const auto& s : r.seams) ys.push_back(static_cast<double>(s.row) + 0.5);
  return ys;
}

std::string seam_list(const DetectResult& r) {
  if (r.seams.empty()) return "no seam rows detected";
  std::string s = r.seams.size() == 1 ? "seam row " : "seam rows ";
  for (std::size_t i = 0; i < r.seams.size(); ++i) s += (i ? ", " : "") + std::to_string(r.seams[i].row);
  return s;
}

/// Image cells allowed per panel side: twice the panel's pixels in PNG (cairo resolves
/// them), half of them in vector formats (each cell is a rectangle there).
std::size_t max_cells(double frac, int page_px, FigureFormat f) {
  const double px = frac * page_px;
  return static_cast<std::size_t>(std::max(16.0, f == FigureFormat::Png ? 2.0 * px : 0.5 * px));
}

/// Draws an image panel with downsampling as needed.
void image_panel(Figure& fig, const Box& b, const FigureSize& sz, const FigureOptions& o, const std::vector<float>& z,
                 std::size_t nx, std::size_t ny, double x0, double x1, double y0, double y1, double vmin, double vmax,
                 Cmap cmap) {
  std::size_t ox = nx, oy = ny;
  const auto d = plot::downsample(z, nx, ny, max_cells(b.x1 - b.x0, sz.width, o.format),
                                  max_cells(b.y1 - b.y0, sz.height, o.format), ox, oy);
  fig.image(d, ox, oy, x0, x1, y0, y1, vmin, vmax, cmap);
}

fs::path target(const fs::path& dir, const std::string& base, const FigureOptions& o, const std::string& pre = "") {
  return dir / (pre + base + "." + std::string(name_of(o.format)));
}

// ------------------------------------------------------------------ figures

void draw_time_series(const DetectResult& r, const fs::path& dir, const FigureOptions& o) {
  const std::string base = "timeserie_phase_jump";
  const FigureSize sz = figure_size(base, o);
  Figure fig(target(dir, base, o, prefix_of(r)), o.format, sz.width, sz.height, o.scale);
  std::vector<double> kx, ky, ex, ey;
  std::map<double, std::pair<double, int>> by_ref;  // ref date (s) -> sum, count
  double tmin = INFINITY, tmax = -INFINITY, vmax = 0;
  std::size_t n_unassessed = 0;
  for (const auto& p : r.pairs) {
    if (p.pair.size() < 8) continue;
    const double t = 86400.0 * days_from_yyyymmdd(p.pair.substr(0, 8));
    tmin = std::min(tmin, t);
    tmax = std::max(tmax, t);
    if (!p.ramp_mm || !std::isfinite(*p.ramp_mm)) {
      ++n_unassessed;
      continue;
    }
    const double v = *p.ramp_mm;
    vmax = std::max(vmax, v);
    (p.excluded ? ex : kx).push_back(t);
    (p.excluded ? ey : ky).push_back(v);
    auto& acc = by_ref[t];
    acc.first += v;
    acc.second += 1;
  }
  if (!std::isfinite(tmin)) {
    tmin = 0;
    tmax = 86400.0 * 365;
  }
  const double pad = std::max(86400.0 * 15, 0.03 * (tmax - tmin));
  Axis x{tmin - pad, tmax + pad, "Reference date of the pair", true};
  const double thr = r.params.pj_thr_mm;
  Axis y{0.0, std::max(std::ceil(vmax) + 1.0, std::ceil(thr * 1.25)), "Accumulated jump at the seams [mm]"};
  const std::size_t n_assessed = kx.size() + ex.size();
  fig.title("Phase-jump ramp of each pair over time",
            std::to_string(n_assessed) + " pair(s) assessed, " + std::to_string(ex.size()) + " excluded (ramp >= " +
                python_repr(thr) + " mm), " + std::to_string(n_unassessed) + " without a ramp (not drawn)");
  fig.panel({0.08, 0.97, 0.12, 0.86}, x, y);
  fig.hline(thr, plot::kMagenta, 2.0, 2);
  std::vector<double> mx, my;
  for (const auto& [t, acc] : by_ref) {
    mx.push_back(t);
    my.push_back(acc.first / acc.second);
  }
  fig.line(mx, my, plot::kBlack, 1.2);
  fig.markers(kx, ky, plot::kDarkGrey, "○", 1.0);
  fig.markers(ex, ey, plot::kMagenta, "●", 1.0);
  if (n_assessed == 0) fig.text_frac(0.5, 0.5, "no pair has a ramp: nothing to draw", plot::kDarkGrey, 0.5, 1.3);
  fig.frame();
  fig.legend(0.01, 0.98,
             {{"kept (" + std::to_string(kx.size()) + ")", plot::kDarkGrey, "○"},
              {"excluded (" + std::to_string(ex.size()) + ")", plot::kMagenta, "●"},
              {"mean per reference date", plot::kBlack, "", 1},
              {"threshold " + python_repr(thr) + " mm", plot::kMagenta, "", 2}});
  fig.finish();
}

void draw_masked_intensity(const DetectResult& r, const MaskStages& m, const fs::path& dir, const FigureOptions& o) {
  const std::string base = "masked_intensity";
  const FigureSize sz = figure_size(base, o);
  Figure fig(target(dir, base, o, prefix_of(r)), o.format, sz.width, sz.height, o.scale);
  const std::size_t np = r.pairs.size(), rows = r.length;
  const Orientation ori = orientation_of(r.orbit_direction);
  std::vector<float> un;
  un.reserve(m.unmasked.size());
  for (double v : m.unmasked) un.push_back(static_cast<float>(v));
  const auto pr = plot::percentiles(un, {2, 98});
  const double vmin = std::isfinite(pr[0]) ? pr[0] : 0, vmax = std::isfinite(pr[1]) ? pr[1] : 100;
  std::vector<std::pair<std::string, const std::vector<double>*>> stages{
      {"Unmasked", &m.unmasked},
      {"Rows with > " + python_round2(r.row_count_threshold) + " valid cells", &m.after_rows}};
  if (!m.after_coh.empty()) {
    stages[1].first = "Valid cells > " + python_round2(r.row_count_threshold);
    stages.push_back({"+ average-coherence mask", &m.after_coh});
  }
  fig.title("Intensity before and after row-reliability masking",
            "% of valid cells per row with |gradient| >= the pair's median; grey: no value; " + ori.note);
  const double left = 0.07, right = 0.86, gap = 0.025;
  const double w = (right - left - gap * static_cast<double>(stages.size() - 1)) / static_cast<double>(stages.size());
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Box b{left + static_cast<double>(i) * (w + gap), left + static_cast<double>(i) * (w + gap) + w, 0.1, 0.85};
    Axis x{0, static_cast<double>(np), "Pair number"};
    Axis y = row_axis(rows, ori, i == 0 ? "Row (azimuth)" : "");
    y.numbers = i == 0;
    fig.panel(b, x, y, true);
    image_panel(fig, b, sz, o, transpose_to_image(*stages[i].second, np, rows), np, rows, 0, static_cast<double>(np),
                0, static_cast<double>(rows), vmin, vmax, Cmap::Viridis);
    fig.frame(stages[i].first);
  }
  fig.colour_bar({0.885, 0.9, 0.1, 0.85}, vmin, vmax, Cmap::Viridis, "Intensity [%]");
  fig.finish();
}

void draw_detection(const DetectResult& r, const MaskStages& m, const fs::path& dir, const FigureOptions& o) {
  const std::string base = "detrended_intensity";
  const FigureSize sz = figure_size(base, o);
  Figure fig(target(dir, base, o, prefix_of(r)), o.format, sz.width, sz.height, o.scale);
  const std::size_t np = r.pairs.size(), rows = r.length;
  const Orientation ori = orientation_of(r.orbit_direction);
  // Steps 13-14 as the reference draws them: intensity (after masking) over the per-row
  // median of the pairs, and its difference along the rows with a 0 prepended.
  const auto& in = m.after_coh.empty() ? m.after_rows : m.after_coh;
  std::vector<double> det(in.size()), grad(in.size());
  std::vector<double> col(np);
  for (std::size_t y = 0; y < rows; ++y) {
    std::size_t n = 0;
    for (std::size_t q = 0; q < np; ++q)
      if (std::isfinite(in[q * rows + y])) col[n++] = in[q * rows + y];
    double med = NAN;
    if (n) {
      std::sort(col.begin(), col.begin() + static_cast<std::ptrdiff_t>(n));
      med = n % 2 ? col[n / 2] : 0.5 * (col[n / 2 - 1] + col[n / 2]);
    }
    for (std::size_t q = 0; q < np; ++q) det[q * rows + y] = in[q * rows + y] / med;
  }
  for (std::size_t q = 0; q < np; ++q)
    for (std::size_t y = 0; y < rows; ++y)
      grad[q * rows + y] = det[q * rows + y] - (y ? det[q * rows + y - 1] : 0.0);
  fig.title("Detection of phase jumps at the burst seams",
            seam_list(r) + " (green marks, " + std::to_string(r.params.n_burst - 1) + " expected); " + ori.note);
  const auto ys = seam_centres(r);
  {
    const Box b{0.07, 0.4, 0.1, 0.85};
    fig.panel(b, {0, static_cast<double>(np), "Pair number"}, row_axis(rows, ori, "Row (azimuth)"), true);
    image_panel(fig, b, sz, o, transpose_to_image(det, np, rows), np, rows, 0, static_cast<double>(np), 0,
                static_cast<double>(rows), 0.5, 1.5, Cmap::Magma);
    fig.frame("Detrended intensity");
    fig.edge_marks(ys, plot::kGreen);
    fig.colour_bar({0.425, 0.44, 0.1, 0.85}, 0.5, 1.5, Cmap::Magma, "Intensity / row median over pairs");
  }
  {
    // Symmetric about 0, to the 99th percentile of |gradient|: seams stand out as red rows.
    std::vector<float> ag;
    ag.reserve(grad.size());
    for (double v : grad) ag.push_back(static_cast<float>(std::fabs(v)));
    const double g99 = plot::percentiles(ag, {99})[0];
    const double gl = std::isfinite(g99) && g99 > 0 ? g99 : 0.1;
    const Box b{0.56, 0.89, 0.1, 0.85};
    fig.panel(b, {0, static_cast<double>(np), "Pair number"}, row_axis(rows, ori, ""), true);
    image_panel(fig, b, sz, o, transpose_to_image(grad, np, rows), np, rows, 0, static_cast<double>(np), 0,
                static_cast<double>(rows), -gl, gl, Cmap::RdBuR);
    fig.frame("Its gradient along azimuth");
    fig.edge_marks(ys, plot::kGreen);
    fig.colour_bar({0.915, 0.93, 0.1, 0.85}, -gl, gl, Cmap::RdBuR, "Gradient of the detrended intensity [1/row]");
  }
  fig.finish();
}

void draw_avg_coherence(const DetectResult& r, const MaskStages& m, const std::vector<float>& avg,
                        const fs::path& dir, const FigureOptions& o) {
  const std::string base = "average_coherence_mask";
  const FigureSize sz = figure_size(base, o);
  Figure fig(target(dir, base, o, prefix_of(r)), o.format, sz.width, sz.height, o.scale);
  const std::size_t rows = r.length, cols = r.x1 - r.x0;
  const Orientation ori = orientation_of(r.orbit_direction);
  const double cmin = r.params.cmin;
  std::string sub = "mean over the pairs kept by dropIfgram; mask: mean ≥ cmin " + python_repr(cmin) + " (";
  sub += r.avg_coh_mask_used ? (r.avg_coh_mask_auto ? "used: switched on by low coherence" : "used")
                             : "not used by this detection";
  fig.title("Coherence-based row reliability", sub + "); " + ori.note);
  const Axis xr = range_axis(r.x0, r.x1, ori, "Column (range)");
  const Axis yr = row_axis(rows, ori, "Row (azimuth)");
  const double xa = static_cast<double>(r.x0), xb = static_cast<double>(r.x1);
  {
    const Box b{0.06, 0.36, 0.1, 0.85};
    fig.panel(b, xr, yr, true);
    image_panel(fig, b, sz, o, avg, cols, rows, xa, xb, 0, static_cast<double>(rows), 0.0, 1.0, Cmap::Greys);
    fig.frame("Average coherence");
    fig.colour_bar({0.37, 0.382, 0.1, 0.85}, 0.0, 1.0, Cmap::Greys, "Coherence");
  }
  {
    const Box b{0.47, 0.77, 0.1, 0.85};
    Axis y = yr;
    y.numbers = false;
    y.label.clear();
    fig.panel(b, xr, y, true);
    std::vector<float> mask(avg.size());
    const float cminf = static_cast<float>(cmin);
    for (std::size_t i = 0; i < avg.size(); ++i) mask[i] = std::isnan(avg[i]) ? kNaNf : (avg[i] >= cminf ? 1.f : 0.f);
    image_panel(fig, b, sz, o, mask, cols, rows, xa, xb, 0, static_cast<double>(rows), 0.0, 1.0, Cmap::Mask);
    fig.frame("Mask");
    fig.legend(0.02, 0.99, {{"≥ " + python_repr(cmin), plot::kMaskOn, "■"}, {"< " + python_repr(cmin), plot::kMaskOff, "■"}});
  }
  {
    const Box b{0.8, 0.97, 0.1, 0.85};
    // Valid cells per row over the assessed pairs: the band from the least to the most.
    std::vector<double> lo(rows, INFINITY), hi(rows, -INFINITY);
    const std::size_t np = r.pairs.size();
    double xmax = static_cast<double>(cols);
    for (std::size_t q = 0; q < np; ++q) {
      if (r.pairs[q].skipped) continue;
      for (std::size_t y = 0; y < rows; ++y) {
        const double c = m.counts_nan[q * rows + y];
        if (!std::isfinite(c) || c <= -1e18) continue;
        lo[y] = std::min(lo[y], c);
        hi[y] = std::max(hi[y], c);
      }
    }
    Axis x{0, xmax * 1.02, "Valid cells per row"};
    x.tick = nice_step(xmax / 3.0);
    Axis y = yr;
    y.numbers = false;
    y.label.clear();
    fig.panel(b, x, y);
    // One polygon per run of rows with values.
    for (std::size_t y0 = 0; y0 < rows;) {
      if (!std::isfinite(lo[y0])) {
        ++y0;
        continue;
      }
      std::size_t y1 = y0;
      while (y1 < rows && std::isfinite(lo[y1])) ++y1;
      std::vector<double> px, py;
      for (std::size_t yy = y0; yy < y1; ++yy) {
        px.push_back(lo[yy]);
        py.push_back(static_cast<double>(yy) + 0.5);
      }
      for (std::size_t yy = y1; yy-- > y0;) {
        px.push_back(hi[yy]);
        py.push_back(static_cast<double>(yy) + 0.5);
      }
      if (px.size() >= 3) fig.fill(px, py, plot::kGrey);
      y0 = y1;
    }
    if (m.mask_counts.size() == rows) {
      std::vector<double> mx, my;
      for (std::size_t yy = 0; yy < rows; ++yy) {
        mx.push_back(m.mask_counts[yy]);
        my.push_back(static_cast<double>(yy) + 0.5);
      }
      fig.line(mx, my, plot::kMagenta, 1.2);
    }
    if (std::isfinite(r.row_count_threshold)) fig.vline(r.row_count_threshold, plot::kBlue, 1.5, 2);
    fig.frame("Row reliability");
    fig.legend(0.03, 0.99, {{"pairs", plot::kGrey, "■"}, {"mask", plot::kMagenta, "", 1}, {"threshold", plot::kBlue, "", 2}});
  }
  fig.finish();
}

}  // namespace

FigureSize figure_size(const std::string& base, const FigureOptions& o) {
  FigureSize s{1600, 1000};
  if (base == "timeserie_phase_jump" || base == "average_coherence_mask") s = {1600, 900};
  if (base.rfind("abs_grad_az", 0) == 0) s = {1500, 1000};
  const double k = o.scale > 0 ? o.scale : 1.0;
  return {static_cast<int>(std::lround(s.width * k)), static_cast<int>(std::lround(s.height * k))};
}

std::vector<std::string> summary_figure_names(const DetectResult& r, const FigureOptions& o, bool with_avg) {
  const std::string pre = prefix_of(r), ext = "." + std::string(name_of(o.format));
  std::vector<std::string> n{pre + "timeserie_phase_jump" + ext, pre + "masked_intensity" + ext,
                             pre + "detrended_intensity" + ext};
  if (with_avg) n.push_back(pre + "average_coherence_mask" + ext);
  return n;
}

std::string pair_figure_name(const std::string& pair, const FigureOptions& o) {
  return "abs_grad_az_" + pair + "." + std::string(name_of(o.format));
}

std::vector<float> average_coherence(const Stack& stack, std::size_t x0, std::size_t x1, std::size_t block_bytes) {
  const std::size_t rows = stack.length(), cols = x1 - x0, plane = rows * cols;
  std::vector<float> sum(plane, 0.0f), buf;
  std::vector<std::int32_t> cnt(plane, 0);
  const auto& keep = stack.keep();
  const std::size_t bp = std::max<std::size_t>(1, stack.block_pairs({"coherence"}, cols, block_bytes));
  for (std::size_t p0 = 0; p0 < stack.n_pairs(); p0 += bp) {
    const std::size_t p1 = std::min(stack.n_pairs(), p0 + bp);
    buf.resize((p1 - p0) * plane);
    stack.read("coherence", p0, p1, x0, x1, buf.data());
    for (std::size_t p = p0; p < p1; ++p)
      if (keep[p]) published::avg_coh_accumulate(buf.data() + (p - p0) * plane, plane, sum.data(), cnt.data());
  }
  std::vector<float> mean(plane);
  for (std::size_t i = 0; i < plane; ++i)
    mean[i] = cnt[i] > 0 ? static_cast<float>(static_cast<double>(sum[i]) / static_cast<double>(cnt[i])) : kNaNf;
  return mean;
}

std::vector<fs::path> write_summary_figures(const DetectResult& r, const std::vector<float>& avg_coherence,
                                            const fs::path& dir, const FigureOptions& o) {
  check_profiles(r);
  ensure_output_directory(dir);
  const std::size_t plane = r.length * (r.x1 - r.x0);
  const bool with_avg = !avg_coherence.empty();
  if (with_avg && avg_coherence.size() != plane)
    throw_data(r.stack_file, "the average coherence (" + std::to_string(avg_coherence.size()) +
                                 " values) does not match the analysed rows x columns (" + std::to_string(plane) + ")");
  const MaskStages m = mask_stages(r, avg_coherence);
  draw_time_series(r, dir, o);
  draw_masked_intensity(r, m, dir, o);
  draw_detection(r, m, dir, o);
  if (with_avg) draw_avg_coherence(r, m, avg_coherence, dir, o);
  std::vector<fs::path> out;
  for (const auto& n : summary_figure_names(r, o, with_avg)) out.push_back(dir / n);
  return out;
}

PairImages pair_images(const Stack& stack, const DetectResult& r, const std::string& pair) {
  const auto idx = stack.pair_index(pair);
  if (!idx) throw_data(stack.file().string(), "pair " + pair + " of the result is not in the stack");
  if (stack.length() != r.length || stack.width() != r.width)
    throw_data(stack.file().string(), "the stack (" + std::to_string(stack.length()) + " x " +
                                          std::to_string(stack.width()) + ") is not the one of the result (" +
                                          std::to_string(r.length) + " x " + std::to_string(r.width) + ")");
  PairImages im;
  im.pair = pair;
  im.rows = r.length;
  im.cols = r.x1 - r.x0;
  const std::size_t n = im.rows * im.cols;
  std::vector<float> coh(n);
  im.unw_rad.resize(n);
  stack.read("unwrapPhase", *idx, *idx + 1, r.x0, r.x1, im.unw_rad.data());
  stack.read("coherence", *idx, *idx + 1, r.x0, r.x1, coh.data());
  const float cminf = static_cast<float>(r.params.cmin);
  for (std::size_t i = 0; i < n; ++i)
    if (coh[i] < cminf || im.unw_rad[i] == 0.0f) im.unw_rad[i] = kNaNf;
  // |phase difference along azimuth| in mm, the first and last two rows left out, then
  // the values above the 99th percentile removed (as the reference, before its statistics).
  const double k = (std::isfinite(r.wavelength_m) ? r.wavelength_m : 0.05546576) / (4.0 * M_PI) * 1000.0;
  im.abs_grad_mm.assign(n, kNaNf);
  for (std::size_t y = 2; y + 2 < im.rows; ++y)
    for (std::size_t x = 0; x < im.cols; ++x) {
      const float a = im.unw_rad[y * im.cols + x], b = im.unw_rad[(y - 1) * im.cols + x];
      im.abs_grad_mm[y * im.cols + x] = static_cast<float>(std::fabs(static_cast<double>(a) - b) * k);
    }
  const double p99 = plot::percentiles(im.abs_grad_mm, {99})[0];
  if (std::isfinite(p99))
    for (auto& v : im.abs_grad_mm)
      if (v > p99) v = kNaNf;
  return im;
}

fs::path write_pair_figure(const DetectResult& r, const PairImages& im, const fs::path& dir, const FigureOptions& o) {
  check_profiles(r);
  ensure_output_directory(dir);
  const auto it = std::find_if(r.pairs.begin(), r.pairs.end(), [&](const PairResult& p) { return p.pair == im.pair; });
  if (it == r.pairs.end()) throw_data(r.stack_file, "pair " + im.pair + " is not in the result");
  const std::size_t q = static_cast<std::size_t>(it - r.pairs.begin()), rows = r.length;
  const FigureSize sz = figure_size("abs_grad_az", o);
  const fs::path file = dir / pair_figure_name(im.pair, o);
  Figure fig(file, o.format, sz.width, sz.height, o.scale);
  const Orientation ori = orientation_of(r.orbit_direction);
  std::string state = it->skipped ? "skipped (mean coherence < 0.4)"
                      : !it->ramp_mm ? "no ramp"
                      : (it->excluded ? "EXCLUDED" : "kept");
  std::string sub = "ramp " + (it->ramp_mm ? python_round2(*it->ramp_mm) + " mm" : std::string("-")) + " (" + state +
                    "), mean coherence " + python_round2(it->coh_mean) + ", cells < " + python_repr(r.params.cmin) +
                    " masked; " + ori.note;
  fig.title("Pair " + im.pair, sub);
  const Axis xr = range_axis(r.x0, r.x1, ori, "Column (range)");
  const Axis yr = row_axis(rows, ori, "Row (azimuth)");
  const double xa = static_cast<double>(r.x0), xb = static_cast<double>(r.x1);
  const auto ys = seam_centres(r);
  {
    const Box b{0.07, 0.35, 0.1, 0.85};
    fig.panel(b, xr, yr, true);
    auto pr = plot::percentiles(im.unw_rad, {10, 90});
    image_panel(fig, b, sz, o, im.unw_rad, im.cols, im.rows, xa, xb, 0, static_cast<double>(rows), pr[0], pr[1],
                Cmap::RdBuR);
    fig.frame("Unwrapped phase");
    fig.edge_marks(ys, plot::kGreen);
    fig.colour_bar({0.36, 0.372, 0.1, 0.85}, pr[0], pr[1], Cmap::RdBuR, "Phase [rad]");
  }
  {
    const Box b{0.47, 0.75, 0.1, 0.85};
    Axis y = yr;
    y.numbers = false;
    y.label.clear();
    fig.panel(b, xr, y, true);
    auto pr = plot::percentiles(im.abs_grad_mm, {2, 98});
    const double vmin = std::isfinite(pr[0]) ? pr[0] : 0.0;
    const double vmax = std::isfinite(pr[1]) ? std::max(vmin + 0.1, std::min(1.5, pr[1])) : 1.5;
    image_panel(fig, b, sz, o, im.abs_grad_mm, im.cols, im.rows, xa, xb, 0, static_cast<double>(rows), vmin, vmax,
                Cmap::Viridis);
    fig.frame("|Phase difference along azimuth|");
    fig.edge_marks(ys, plot::kGreen);
    fig.colour_bar({0.76, 0.772, 0.1, 0.85}, vmin, vmax, Cmap::Viridis, "|Gradient| [mm]");
  }
  {
    const Box b{0.87, 0.98, 0.1, 0.85};
    Axis y = yr;
    y.numbers = false;
    y.label.clear();
    Axis x{0, 100, "Intensity [%]"};
    x.tick = 50;
    fig.panel(b, x, y);
    for (double s : ys) fig.hline(s, plot::kGreen, 1.2, 2);
    std::vector<double> px, py;
    for (std::size_t yy = 0; yy < rows; ++yy) {
      px.push_back(r.profiles.intensity_pct[q * rows + yy]);
      py.push_back(static_cast<double>(yy) + 0.5);
    }
    fig.line(px, py, plot::kBlack, 1.0);
    fig.frame("Intensity");
  }
  fig.finish();
  return file;
}

std::vector<fs::path> write_pair_figures(const Stack& stack, const DetectResult& r, const fs::path& dir,
                                         const FigureOptions& o, const ProgressFn& progress) {
  std::vector<fs::path> out;
  for (std::size_t i = 0; i < r.pairs.size(); ++i) {
    out.push_back(write_pair_figure(r, pair_images(stack, r, r.pairs[i].pair), dir, o));
    report(progress, static_cast<double>(i + 1) / static_cast<double>(r.pairs.size()), "figures");
  }
  return out;
}

}  // namespace pjd
