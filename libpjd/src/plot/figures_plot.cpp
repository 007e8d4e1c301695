// Private PLplot layer for pjd's figures (see figures_plot.hpp).
#include "plot/figures_plot.hpp"

#include <plplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "pjd/internal/atomic_file.hpp"
#include "pjd/error.hpp"

namespace pjd::plot {
namespace fs = std::filesystem;

namespace {

std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

struct Stop {
  double pos;
  int r, g, b;
};

// Colour maps as control points (0-255), interpolated linearly in RGB by PLplot.
const std::vector<Stop>& stops_of(Cmap c) {
  static const std::vector<Stop> viridis{{0.0, 68, 1, 84},     {0.1, 72, 36, 117},  {0.2, 65, 68, 135},
                                         {0.3, 53, 95, 141},   {0.4, 42, 120, 142}, {0.5, 33, 145, 140},
                                         {0.6, 34, 168, 132},  {0.7, 68, 191, 112}, {0.8, 122, 209, 81},
                                         {0.9, 189, 223, 38},  {1.0, 253, 231, 37}};
  static const std::vector<Stop> magma{{0.0, 0, 0, 4},        {0.1, 20, 14, 54},    {0.2, 59, 15, 112},
                                       {0.3, 100, 26, 128},   {0.4, 140, 41, 129},  {0.5, 183, 55, 121},
                                       {0.6, 222, 73, 104},   {0.7, 247, 112, 92},  {0.8, 254, 159, 109},
                                       {0.9, 254, 207, 146},  {1.0, 252, 253, 191}};
  static const std::vector<Stop> greys{{0.0, 0, 0, 0}, {1.0, 255, 255, 255}};
  // ColorBrewer RdBu (11 classes), reversed: blue for low values, red for high ones.
  static const std::vector<Stop> rdbu_r{{0.0, 5, 48, 97},      {0.1, 33, 102, 172},  {0.2, 67, 147, 195},
                                        {0.3, 146, 197, 222},  {0.4, 209, 229, 240}, {0.5, 247, 247, 247},
                                        {0.6, 253, 219, 199},  {0.7, 244, 165, 130}, {0.8, 214, 96, 77},
                                        {0.9, 178, 24, 43},    {1.0, 103, 0, 31}};
  static const std::vector<Stop> mask{{0.0, 221, 221, 221}, {1.0, 33, 145, 140}};
  switch (c) {
    case Cmap::Viridis: return viridis;
    case Cmap::Magma: return magma;
    case Cmap::Greys: return greys;
    case Cmap::RdBuR: return rdbu_r;
    case Cmap::Mask: return mask;
  }
  return viridis;
}

const char* device_of(FigureFormat f) {
  switch (f) {
    case FigureFormat::Png: return "pngcairo";
    case FigureFormat::Svg: return "svgcairo";
    case FigureFormat::Pdf: return "pdfcairo";
  }
  return "pngcairo";
}

double finite_or(double v, double fallback) { return std::isfinite(v) ? v : fallback; }

}  // namespace

Figure::Figure(const fs::path& file, FigureFormat format, int width_px, int height_px, double scale)
    : lock_(plplot_mutex()), target_(file), tmp_(temporary_path_for(file)) {
  // PLplot already sizes text and lines with the page: `scale` only changes the page size.
  (void)scale;
  PLINT strm = 0;
  plmkstrm(&strm);
  if (strm < 0) throw_io(file.string(), "PLplot could not open a new plot stream");
  stream_ = strm;
  plsdev(device_of(format));
  plsfnam(tmp_.c_str());
  // Cairo's vector devices count points (72 per inch), the PNG device pixels at 90 per
  // inch: the vector page is made smaller by 72/90 so text and lines keep their size.
  const double k = format == FigureFormat::Png ? 1.0 : 72.0 / 90.0;
  plspage(0, 0, static_cast<PLINT>(std::lround(width_px * k)), static_cast<PLINT>(std::lround(height_px * k)), 0, 0);
  plscolbg(255, 255, 255);
  plscmap0n(16);
  plinit();
  open_ = true;
  // Fixed colours after plinit (cmap0 index 0 is the background).
  plscol0(kWhite, 255, 255, 255);
  plscol0(kBlack, 0, 0, 0);
  plscol0(kGrey, 0xAA, 0xB7, 0xB8);
  plscol0(kMagenta, 0xEE, 0x33, 0x77);
  plscol0(kBlue, 0x54, 0x99, 0xC7);
  plscol0(kNoData, 0xE4, 0xE4, 0xE4);
  plscol0(kGreen, 0x00, 0x9E, 0x73);
  plscol0(kDarkGrey, 0x60, 0x60, 0x60);
  plscol0(kOrange, 0xE6, 0x9F, 0x00);
  plscol0(kMaskOn, 33, 145, 140);
  plscol0(kMaskOff, 221, 221, 221);
  pladv(0);
  plschr(0, 0.75 * scale_);
  plsfont(PL_FCI_SANS, PL_FCI_UPRIGHT, PL_FCI_MEDIUM);
  plcol0(kBlack);
}

Figure::~Figure() {
  if (open_) {
    plsstrm(stream_);
    plend1();
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void Figure::finish() {
  if (!open_) return;
  plsstrm(stream_);
  plend1();
  open_ = false;
  std::error_code ec;
  if (!fs::exists(tmp_, ec) || fs::file_size(tmp_, ec) == 0)
    throw_io(target_.string(), "PLplot did not write the figure (is the cairo driver installed? "
                               "Debian package plplot-driver-cairo)");
  fs::rename(tmp_, target_, ec);
  if (ec) {
    fs::remove(tmp_, ec);
    throw_io(target_.string(), "cannot rename the figure into place");
  }
}

void Figure::title(const std::string& text, const std::string& subtitle) {
  plvpor(0.0, 1.0, 0.0, 1.0);
  plwind(0, 1, 0, 1);
  plcol0(kBlack);
  plschr(0, 1.0 * scale_);
  plptex(0.5, subtitle.empty() ? 0.955 : 0.965, 1, 0, 0.5, text.c_str());
  if (!subtitle.empty()) {
    plschr(0, 0.66 * scale_);
    plcol0(kDarkGrey);
    plptex(0.5, 0.925, 1, 0, 0.5, subtitle.c_str());
  }
  plschr(0, 0.75 * scale_);
  plcol0(kBlack);
}

void Figure::panel(const Box& box, const Axis& x, const Axis& y, bool nodata_bg) {
  box_ = box;
  x_ = x;
  y_ = y;
  plvpor(box.x0, box.x1, box.y0, box.y1);
  plwind(x.min, x.max, y.min, y.max);
  if (nodata_bg) {
    std::array<PLFLT, 4> bx{x.min, x.max, x.max, x.min}, by{y.min, y.min, y.max, y.max};
    plcol0(kNoData);
    plfill(4, bx.data(), by.data());
    plcol0(kBlack);
  }
}

void Figure::frame(const std::string& panel_title) {
  plcol0(kBlack);
  plwidth(1.0 * scale_);
  pllsty(1);
  if (x_.time) pltimefmt("%Y-%m-%d");
  std::string xo = x_.numbers ? "bcnst" : "bcst";
  if (x_.time) xo += "d";
  const std::string yo = y_.numbers ? "bcnstv" : "bcstv";
  plbox(xo.c_str(), x_.tick, 0, yo.c_str(), y_.tick, 0);
  if (!x_.label.empty()) plmtex("b", x_.numbers ? 3.0 : 1.5, 0.5, 0.5, x_.label.c_str());
  if (!y_.label.empty()) {
    // Room for the widest tick label (written horizontally).
    const double m = std::max(std::fabs(y_.min), std::fabs(y_.max));
    const int digits = m >= 1 ? static_cast<int>(std::floor(std::log10(m))) + 1 : 3;
    plmtex("l", y_.numbers ? 1.6 + 0.75 * std::max(digits, 2) : 1.5, 0.5, 0.5, y_.label.c_str());
  }
  if (!panel_title.empty()) {
    plschr(0, 0.85 * scale_);
    plmtex("t", 0.8, 0.5, 0.5, panel_title.c_str());
    plschr(0, 0.75 * scale_);
  }
}

void Figure::set_cmap(Cmap cmap) {
  const auto& s = stops_of(cmap);
  if (cmap == Cmap::Mask) {
    std::array<PLINT, 2> r{s[0].r, s[1].r}, g{s[0].g, s[1].g}, b{s[0].b, s[1].b};
    plscmap1(r.data(), g.data(), b.data(), 2);
    return;
  }
  std::vector<PLFLT> pos, r, g, b;
  for (const auto& st : s) {
    pos.push_back(st.pos);
    r.push_back(st.r / 255.0);
    g.push_back(st.g / 255.0);
    b.push_back(st.b / 255.0);
  }
  plscmap1n(256);
  plscmap1l(1, static_cast<PLINT>(pos.size()), pos.data(), r.data(), g.data(), b.data(), nullptr);
}

void Figure::image(const std::vector<float>& z, std::size_t nx, std::size_t ny, double x0, double x1, double y0,
                   double y1, double vmin, double vmax, Cmap cmap) {
  if (nx == 0 || ny == 0) return;
  if (!(vmax > vmin)) {
    vmin = finite_or(vmin, 0.0) - 0.5;
    vmax = vmin + 1.0;
  }
  set_cmap(cmap);
  // PLplot takes z[ix][iy]; values below zmin are not drawn (NaN -> below), the rest
  // are clipped into [vmin, vmax] so that outliers saturate.
  const double below = vmin - (vmax - vmin);
  std::vector<PLFLT> data(nx * ny);
  std::vector<const PLFLT*> cols(nx);
  for (std::size_t ix = 0; ix < nx; ++ix) {
    for (std::size_t iy = 0; iy < ny; ++iy) {
      const float v = z[iy * nx + ix];
      data[ix * ny + iy] = std::isnan(v) ? below : std::clamp(static_cast<double>(v), vmin, vmax);
    }
    cols[ix] = data.data() + ix * ny;
  }
  plimagefr(cols.data(), static_cast<PLINT>(nx), static_cast<PLINT>(ny), x0, x1, y0, y1, vmin, vmax, vmin, vmax,
            nullptr, nullptr);
}

void Figure::colour_bar(const Box& box, double vmin, double vmax, Cmap cmap, const std::string& label) {
  if (!(vmax > vmin)) {
    vmin = finite_or(vmin, 0.0) - 0.5;
    vmax = vmin + 1.0;
  }
  const std::size_t n = cmap == Cmap::Mask ? 2 : 256;
  std::vector<float> z(2 * n);  // two columns: PLplot draws no image one cell wide
  for (std::size_t i = 0; i < n; ++i)
    z[2 * i] = z[2 * i + 1] = static_cast<float>(vmin + (vmax - vmin) * (static_cast<double>(i) + 0.5) / static_cast<double>(n));
  plvpor(box.x0, box.x1, box.y0, box.y1);
  plwind(0, 1, vmin, vmax);
  image(z, 2, n, 0, 1, vmin, vmax, vmin, vmax, cmap);
  plcol0(kBlack);
  plwidth(1.0 * scale_);
  // A tick step of 1, 2 or 5 x 10^n giving about five labels; PLplot writes them with
  // the step's decimals, so the longest label's width is known: the label goes beyond.
  const double raw = (vmax - vmin) / 5.0, p10 = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * p10;
  for (double k : {1.0, 2.0, 5.0})
    if (k * p10 >= raw) {
      step = k * p10;
      break;
    }
  plbox("bc", 0, 0, "bcmstv", step, 0);
  const double m = std::max(std::fabs(vmin), std::fabs(vmax));
  const int digits = m >= 1 ? static_cast<int>(std::floor(std::log10(m))) + 1 : 1;
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  const int chars = digits + (decimals ? decimals + 1 : 0) + (vmin < 0 ? 1 : 0);
  plmtex("r", 1.6 + 0.72 * chars, 0.5, 0.5, label.c_str());
  // Back to the panel.
  plvpor(box_.x0, box_.x1, box_.y0, box_.y1);
  plwind(x_.min, x_.max, y_.min, y_.max);
}

void Figure::line(const std::vector<double>& x, const std::vector<double>& y, int colour, double width, int style) {
  // Split at NaN.
  plcol0(colour);
  plwidth(width * scale_);
  pllsty(style);
  std::vector<PLFLT> xs, ys;
  auto flush = [&] {
    if (xs.size() >= 2) plline(static_cast<PLINT>(xs.size()), xs.data(), ys.data());
    xs.clear();
    ys.clear();
  };
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      xs.push_back(x[i]);
      ys.push_back(y[i]);
    } else {
      flush();
    }
  }
  flush();
  pllsty(1);
  plwidth(1.0 * scale_);
  plcol0(kBlack);
}

void Figure::fill(const std::vector<double>& x, const std::vector<double>& y, int colour) {
  if (x.size() < 3) return;
  plcol0(colour);
  plfill(static_cast<PLINT>(x.size()), x.data(), y.data());
  plcol0(kBlack);
}

void Figure::markers(const std::vector<double>& x, const std::vector<double>& y, int colour, const std::string& glyph,
                     double size) {
  std::vector<PLFLT> xs, ys;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      xs.push_back(x[i]);
      ys.push_back(y[i]);
    }
  if (xs.empty()) return;
  plcol0(colour);
  plschr(0, 0.75 * size * scale_);
  plstring(static_cast<PLINT>(xs.size()), xs.data(), ys.data(), glyph.c_str());
  plschr(0, 0.75 * scale_);
  plcol0(kBlack);
}

void Figure::hline(double y, int colour, double width, int style) { line({x_.min, x_.max}, {y, y}, colour, width, style); }
void Figure::vline(double x, int colour, double width, int style) { line({x, x}, {y_.min, y_.max}, colour, width, style); }

void Figure::edge_marks(const std::vector<double>& ys, int colour, const std::vector<std::string>& labels) {
  // A wider viewport with the same vertical mapping, the window widened to match.
  const double w = box_.x1 - box_.x0, m = 0.012;
  plvpor(box_.x0 - m, box_.x1 + m, box_.y0, box_.y1);
  plwind(-m / w, 1 + m / w, y_.min, y_.max);
  plcol0(colour);
  plwidth(2.5 * scale_);
  for (std::size_t i = 0; i < ys.size(); ++i) {
    std::array<PLFLT, 2> ly{ys[i], ys[i]};
    std::array<PLFLT, 2> lx{-m / w, 0.0}, rx{1.0, 1 + m / w};
    plline(2, lx.data(), ly.data());
    plline(2, rx.data(), ly.data());
  }
  plwidth(1.0 * scale_);
  if (!labels.empty()) {
    plvpor(box_.x0, 1.0, box_.y0, box_.y1);
    const double tot = (1.0 - box_.x0) / w;
    plwind(0, tot, y_.min, y_.max);
    plschr(0, 0.62 * scale_);
    for (std::size_t i = 0; i < ys.size() && i < labels.size(); ++i)
      plptex(1 + 1.4 * m / w, ys[i], 1, 0, 0.0, labels[i].c_str());
    plschr(0, 0.75 * scale_);
  }
  plcol0(kBlack);
  plvpor(box_.x0, box_.x1, box_.y0, box_.y1);
  plwind(x_.min, x_.max, y_.min, y_.max);
}

void Figure::text(double x, double y, const std::string& s, int colour, double just, double size) {
  plcol0(colour);
  plschr(0, 0.75 * size * scale_);
  // Along the page's left-to-right direction also on a reversed axis (descending range).
  plptex(x, y, x_.max >= x_.min ? 1 : -1, 0, just, s.c_str());
  plschr(0, 0.75 * scale_);
  plcol0(kBlack);
}

void Figure::text_frac(double fx, double fy, const std::string& s, int colour, double just, double size) {
  text(x_.min + fx * (x_.max - x_.min), y_.min + fy * (y_.max - y_.min), s, colour, just, size);
}

void Figure::legend(double fx, double fy, const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  auto wx = [&](double f) { return x_.min + f * (x_.max - x_.min); };
  auto wy = [&](double f) { return y_.min + f * (y_.max - y_.min); };
  // Entry height in panel fractions from the character height (mm) and the viewport.
  PLFLT def = 0, ht = 0;
  plgchr(&def, &ht);
  PLFLT vx0, vx1, vy0, vy1, sx0, sx1, sy0, sy1;
  plgvpd(&vx0, &vx1, &vy0, &vy1);  // viewport in page fractions
  plgspa(&sx0, &sx1, &sy0, &sy1);  // page in mm
  const double row = 2.0 * ht / ((vy1 - vy0) * (sy1 - sy0));
  const double char_w = ht / ((vx1 - vx0) * (sx1 - sx0));
  std::size_t longest = 0;
  for (const auto& e : entries) longest = std::max(longest, e.label.size());
  const double width = char_w * (6.0 + 0.62 * static_cast<double>(longest));
  const double height = row * (static_cast<double>(entries.size()) + 0.4);
  std::array<PLFLT, 5> bx{wx(fx), wx(fx + width), wx(fx + width), wx(fx), wx(fx)};
  std::array<PLFLT, 5> by{wy(fy), wy(fy), wy(fy - height), wy(fy - height), wy(fy)};
  plcol0(kWhite);
  plfill(4, bx.data(), by.data());
  plcol0(kGrey);
  plline(5, bx.data(), by.data());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const double yc = fy - row * (static_cast<double>(i) + 0.7);
    if (e.glyph.empty()) {
      line({wx(fx + char_w * 0.8), wx(fx + char_w * 4.0)}, {wy(yc), wy(yc)}, e.colour, 2.0, e.style);
    } else {
      markers({wx(fx + char_w * 2.4)}, {wy(yc)}, e.colour, e.glyph, 1.2);
    }
    text(wx(fx + char_w * 5.0), wy(yc), e.label, kBlack, 0.0, 0.95);
  }
  plcol0(kBlack);
}

std::vector<double> percentiles(const std::vector<float>& v, const std::vector<double>& pct) {
  std::vector<double> f;
  f.reserve(v.size());
  for (float x : v)
    if (std::isfinite(x)) f.push_back(x);
  std::vector<double> out;
  if (f.empty()) return std::vector<double>(pct.size(), std::numeric_limits<double>::quiet_NaN());
  std::sort(f.begin(), f.end());
  for (double p : pct) {
    const double pos = p / 100.0 * static_cast<double>(f.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(f.size() - 1, lo + 1);
    out.push_back(f[lo] + (f[hi] - f[lo]) * (pos - static_cast<double>(lo)));
  }
  return out;
}

std::vector<float> downsample(const std::vector<float>& z, std::size_t nx, std::size_t ny, std::size_t max_nx,
                              std::size_t max_ny, std::size_t& out_nx, std::size_t& out_ny) {
  const std::size_t fx = std::max<std::size_t>(1, (nx + max_nx - 1) / std::max<std::size_t>(1, max_nx));
  const std::size_t fy = std::max<std::size_t>(1, (ny + max_ny - 1) / std::max<std::size_t>(1, max_ny));
  if (fx == 1 && fy == 1) {
    out_nx = nx;
    out_ny = ny;
    return z;
  }
  out_nx = (nx + fx - 1) / fx;
  out_ny = (ny + fy - 1) / fy;
  std::vector<float> out(out_nx * out_ny, std::numeric_limits<float>::quiet_NaN());
  for (std::size_t oy = 0; oy < out_ny; ++oy)
    for (std::size_t ox = 0; ox < out_nx; ++ox) {
      double s = 0;
      std::size_t n = 0;
      for (std::size_t y = oy * fy; y < std::min(ny, (oy + 1) * fy); ++y)
        for (std::size_t x = ox * fx; x < std::min(nx, (ox + 1) * fx); ++x) {
          const float v = z[y * nx + x];
          if (std::isfinite(v)) {
            s += v;
            ++n;
          }
        }
      if (n) out[oy * out_nx + ox] = static_cast<float>(s / static_cast<double>(n));
    }
  return out;
}

}  // namespace pjd::plot
