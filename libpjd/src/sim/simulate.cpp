// pjd simulate: MintPy stacks with known TOPS burst-seam phase jumps.
//
// Numbers quoted from ../shared/docs/tops-facts.md:
//   - burst cycle 2.7586 s = ~1342 single-look lines at the azimuth time interval 2.055556 ms;
//   - jump J = 2*pi * df_ovl * dt * s, df_ovl ~4.9 / 4.1 / 4.3 kHz (IW1 / IW2 / IW3);
//   - LOS mm per radian = WAVELENGTH/(4*pi)*1000 = 4.414 for WAVELENGTH 0.05546576 m;
//   - date misregistration after ESD ~0.001-0.002 px, bad acquisitions near 0.01 px;
//   - decorrelation noise sigma = sqrt(1-g^2) / (g*sqrt(2L)), L = looks;
//   - turbulent troposphere with a 2-D spectrum ~k^-8/3;
//   - MintPy layout: float32 (pairs, LENGTH, WIDTH), h5py auto-chunks, maxshape (None, ..),
//     connectComponent int16 always LZF, date (pairs, 2) S8, bperp float32, dropIfgram bool.
#include "pjd/simulate.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <future>
#include <mutex>
#include <numbers>
#include <numeric>
#include <random>
#include <thread>

#include "io/h5util.hpp"
#include "pjd/error.hpp"
#include "pjd/stack.hpp"

namespace pjd {

namespace {

namespace fs = std::filesystem;
using h5::Handle;

constexpr double kPi = std::numbers::pi;
constexpr double kWavelengthM = 0.05546576;          // Sentinel-1 C band
constexpr double kLineTimeS = 2.055556e-3;           // azimuth time interval, single look
constexpr double kBurstCycleLines = 1342.0;          // 2.7586 s / 2.055556 ms
constexpr double kDfOvlHz[3] = {4900.0, 4100.0, 4300.0};  // IW1, IW2, IW3
constexpr double kLowCoherence = 0.4;                // the published skip rule (mean < 0.4)
constexpr double kCohDecayDays = 400.0;              // temporal decorrelation time constant
constexpr double kLowCohFactor = 0.35;               // scales a low-coherence pair's coherence
constexpr double kEarthRadiusM = 6371000.0;
constexpr double kOrbitHeightM = 693000.0;           // Sentinel-1 altitude
constexpr double kSceneLatDeg = -24.1, kSceneLonDeg = -66.3;  // scene centre (Puna plateau)
constexpr double kMetersPerDegree = 111320.0;
constexpr double kBaseHeightM = 3600.0;
constexpr double kBadSigmasMin = 6.0, kBadSigmasMax = 7.0;  // bad dates' |s| in scatter sigmas, at least

// Stream tags for derive(): every random quantity has its own reproducible stream.
enum Tag : std::uint64_t {
  kTagMisreg = 1, kTagBadDates, kTagBperp, kTagSeams, kTagTropo, kTagCohField, kTagHeight,
  kTagWater, kTagDeformation, kTagPairNoise, kTagLowCoh, kTagPairCoh, kTagCohTrend
};

// ---------------------------------------------------------------- random numbers
// std::mt19937_64 is specified bit for bit by the standard; the distributions are not, so
// uniform and normal transforms are our own.

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t derive(std::uint64_t seed, std::uint64_t tag, std::uint64_t index) {
  return splitmix64(splitmix64(seed ^ splitmix64(tag)) + index);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Standard normal by Marsaglia's polar method.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  /// k distinct indices out of [0, n), in drawn order.
  std::vector<std::size_t> choose(std::size_t n, std::size_t k) {
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(uniform() * static_cast<double>(n - i));
      std::swap(idx[i], idx[std::min(j, n - 1)]);
    }
    idx.resize(k);
    return idx;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// ---------------------------------------------------------------- smooth random fields

/// A sum of octaves of bilinearly interpolated N(0,1) node grids: octave o has node spacing
/// coarsest/2^o and amplitude ~ spacing^exponent. exponent 5/6 gives the r^(5/3) structure
/// function of a k^-8/3 turbulence spectrum. Normalised to a standard deviation of ~1
/// (bilinear interpolation of unit nodes has a mean variance of (2/3)^2).
class SmoothField {
 public:
  SmoothField(std::uint64_t seed, std::size_t length, std::size_t width, double finest_px,
              double exponent)
      : length_(length), width_(width) {
    Rng rng(seed);
    double spacing = static_cast<double>(std::max(length, width));
    double var = 0;
    while (spacing >= finest_px) {
      Octave o;
      o.spacing = spacing;
      o.amp = std::pow(spacing, exponent);
      o.off_y = rng.uniform() * spacing;
      o.off_x = rng.uniform() * spacing;
      o.ny = static_cast<std::size_t>((static_cast<double>(length - 1) + o.off_y) / spacing) + 2;
      o.nx = static_cast<std::size_t>((static_cast<double>(width - 1) + o.off_x) / spacing) + 2;
      o.nodes.resize(o.ny * o.nx);
      for (auto& v : o.nodes) v = static_cast<float>(rng.normal());
      var += o.amp * o.amp * (4.0 / 9.0);
      octaves_.push_back(std::move(o));
      spacing /= 2.0;
    }
    const double norm = var > 0 ? 1.0 / std::sqrt(var) : 0.0;
    for (auto& o : octaves_) o.amp *= norm;
  }

  /// out[r*width + c] += scale * field(r, c) over the whole grid.
  void add_to(float* out, double scale) const {
    std::vector<std::uint32_t> ix(width_);
    std::vector<float> fx(width_);
    for (const auto& o : octaves_) {
      for (std::size_t c = 0; c < width_; ++c) {
        const double x = (static_cast<double>(c) + o.off_x) / o.spacing;
        ix[c] = static_cast<std::uint32_t>(x);
        fx[c] = static_cast<float>(x - std::floor(x));
      }
      const float a = static_cast<float>(scale * o.amp);
      for (std::size_t r = 0; r < length_; ++r) {
        const double y = (static_cast<double>(r) + o.off_y) / o.spacing;
        const std::size_t j = static_cast<std::size_t>(y);
        const float fy = static_cast<float>(y - std::floor(y));
        const float* g0 = o.nodes.data() + j * o.nx;
        const float* g1 = g0 + o.nx;
        float* row = out + r * width_;
        for (std::size_t c = 0; c < width_; ++c) {
          const std::uint32_t i = ix[c];
          const float f = fx[c];
          const float top = g0[i] + f * (g0[i + 1] - g0[i]);
          const float bot = g1[i] + f * (g1[i + 1] - g1[i]);
          row[c] += a * (top + fy * (bot - top));
        }
      }
    }
  }

  /// The field alone, shifted and scaled to a realised mean 0 and standard deviation 1
  /// (a few coarse nodes dominate, so the realised statistics can be far from nominal).
  std::vector<float> render_standardised() const {
    std::vector<float> out(length_ * width_, 0.0f);
    add_to(out.data(), 1.0);
    double sum = 0, sum2 = 0;
    for (float v : out) {
      sum += v;
      sum2 += static_cast<double>(v) * v;
    }
    const double n = static_cast<double>(out.size());
    const double mean = sum / n, sd = std::sqrt(std::max(sum2 / n - mean * mean, 1e-12));
    for (float& v : out) v = static_cast<float>((v - mean) / sd);
    return out;
  }

 private:
  struct Octave {
    double spacing = 0, amp = 0, off_y = 0, off_x = 0;
    std::size_t ny = 0, nx = 0;
    std::vector<float> nodes;
  };
  std::size_t length_, width_;
  std::vector<Octave> octaves_;
};

// ---------------------------------------------------------------- small helpers

std::string fmt_num(double v) {
  // Python's str(float) for the moderate values we write: shortest round-trip digits in
  // fixed notation, always with a decimal point ("800000.0", "0.05546576", "-12.0").
  char buf[512];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string s(buf, ec == std::errc() ? ptr : buf);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string yyyymmdd(int days_since_epoch) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days_since_epoch}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string utc_string(const std::string& date, double seconds_of_day) {
  char buf[64];
  const int s = static_cast<int>(std::floor(seconds_of_day));
  const int us = static_cast<int>(std::lround((seconds_of_day - s) * 1e6));
  std::snprintf(buf, sizeof buf, "%s-%s-%s %02d:%02d:%02d.%06d", date.substr(0, 4).c_str(),
                date.substr(4, 2).c_str(), date.substr(6, 2).c_str(), (s / 3600) % 24, (s / 60) % 60,
                s % 60, std::min(us, 999999));
  return buf;
}

double smooth_step(double x, double sigma) {
  if (sigma <= 0) return x >= 0 ? 1.0 : 0.0;
  return 0.5 * (1.0 + std::erf(x / (sigma * std::numbers::sqrt2)));
}

double rad_to_mm(double rad) { return rad * kWavelengthM / (4.0 * kPi) * 1000.0; }

// ---------------------------------------------------------------- the model

struct PairDef {
  std::size_t ref = 0, sec = 0;  // date indices
  double btemp_yr = 0;
  bool low_coh = false;
  double coh_factor = 1.0;
};

/// Everything that is fixed before the pairs are generated: network, seams, static fields.
struct Model {
  SimParams p;
  std::size_t L = 0, W = 0;
  int B = 0;
  std::vector<std::string> dates;
  std::vector<int> days;
  std::vector<double> misreg;  // per date, px
  std::vector<std::size_t> bad_dates;  // indices of the bad dates
  std::vector<double> bperp;   // per date, m
  std::vector<PairDef> pairs;
  std::vector<SimSubswath> subswaths;
  std::vector<std::uint8_t> sub_of_col;
  std::vector<float> coh_base;     // L x W, static coherence before temporal decay
  std::vector<std::uint8_t> land;  // L x W, 1 = land, 0 = water
  std::vector<float> defo_unit;    // L x W, Gaussian bowl with peak 1
  double rad_per_mm = 0;           // phase per LOS mm (MintPy sign: phase = -4 pi / lambda * d)
  double looks = 27;
};

void validate(const SimParams& p) {
  auto bad = [](const std::string& what) { throw_usage("simulate: " + what); };
  if (p.n_dates < 2) bad("--n-dates must be at least 2");
  if (p.connections < 1) bad("--connections must be at least 1");
  if (p.interval_days < 1) bad("the acquisition interval must be at least 1 day");
  try {
    days_from_yyyymmdd(p.start_date);
  } catch (const Error&) {
    bad("start date '" + p.start_date + "' is not a valid YYYYMMDD date");
  }
  if (p.n_subswaths < 1 || p.n_subswaths > 3) bad("--subswaths must be 1, 2 or 3");
  if (p.alooks < 1 || p.rlooks < 1) bad("looks must be at least 1");
  if (p.length < 32 || p.width < 8) bad("the stack must be at least 32 rows x 8 columns");
  if (p.length > 200000 || p.width > 200000) bad("the stack is unreasonably large");
  if (p.width < static_cast<std::size_t>(8 * p.n_subswaths))
    bad("each sub-swath needs at least 8 columns (--width >= 8 x --subswaths)");
  if (p.n_burst < 0 || p.n_burst == 1) bad("--n-burst must be at least 2 (or 0 for automatic)");
  if (p.smear_rows < 0 || p.smear_rows > 50) bad("--smear-rows must be in [0, 50]");
  if (p.misreg_sigma_px < 0) bad("the misregistration scatter must be >= 0");
  if (!(p.coherence_mean >= 0.4 && p.coherence_mean <= 0.95)) bad("--coherence must be in [0.4, 0.95]");
  if (p.n_bad_dates < 0 || p.n_bad_dates > p.n_dates) bad("--bad-dates must be in [0, n_dates]");
  if (p.bad_misreg_min_px < 0 || p.bad_misreg_max_px < p.bad_misreg_min_px)
    bad("bad-date misregistration range is invalid");
  if (p.df_ovl_jitter < 0 || p.df_ovl_jitter > 0.5) bad("df_ovl jitter must be in [0, 0.5]");
  if (p.tropo_mm < 0) bad("the troposphere amplitude must be >= 0");
  if (p.n_lowcoh_pairs < 0) bad("--lowcoh-pairs must be >= 0");
  if (p.range_pixel_m <= 0 || p.azimuth_pixel_m <= 0 || p.starting_range_m <= kOrbitHeightM)
    bad("pixel sizes must be > 0 and the starting range above the orbit height");
}

int resolve_n_burst(const SimParams& p) {
  if (p.n_burst > 0) return p.n_burst;
  // Seam spacing ~1342 / ALOOKS rows; choose the count whose spacing L/B is closest.
  const double spacing = kBurstCycleLines / p.alooks;
  return std::max(2, static_cast<int>(std::lround(static_cast<double>(p.length) / spacing)));
}

/// Seam rows of every sub-swath: a regular spacing d = L/B * (1 + U(0.5 %, 2 %)) so that B
/// full bursts overhang the grid (first and last bursts cut), an offset, a stagger between
/// sub-swaths and +-1 row of jitter; then kept inside the detector's windows
/// [n*w - w/2, n*w + w/2), w = L // B.
void place_seams(Model& m) {
  Rng rng(derive(m.p.seed, kTagSeams, 0));
  const std::size_t L = m.L;
  const int B = m.B;
  const int S = m.p.n_subswaths;
  const double w = static_cast<double>(L / static_cast<std::size_t>(B));
  const long h = static_cast<long>(L / static_cast<std::size_t>(B)) / 2;
  const double d = static_cast<double>(L) / B * (1.0 + rng.uniform(0.005, 0.02));
  const double excess = B * d - static_cast<double>(L);  // rows cut from the first + last bursts
  const double base = -rng.uniform(0.0, excess);
  const double stagger = S > 1 ? 0.3 * w / (S - 1) : 0.0;
  for (int k = 0; k < S; ++k) {
    SimSubswath& sw = m.subswaths[static_cast<std::size_t>(k)];
    const double off = base + (k - (S - 1) / 2.0) * stagger;
    for (int n = 1; n < B; ++n) {
      const double jitter = std::floor(rng.uniform() * 3.0) - 1.0;  // -1, 0, +1
      long row = std::lround(off + n * d + jitter);
      const long centre = static_cast<long>(n * static_cast<long>(w));
      row = std::clamp(row, centre - h + 2, centre + h - 3);
      row = std::clamp(row, 3L, static_cast<long>(L) - 4);
      sw.boundary_rows.push_back(static_cast<std::size_t>(row));
      const double df = sw.df_ovl_hz * (1.0 + rng.uniform(-m.p.df_ovl_jitter, m.p.df_ovl_jitter));
      sw.df_ovl_per_seam_hz.push_back(df);
    }
  }
}

Model build_model(const SimParams& params) {
  validate(params);
  Model m;
  m.p = params;
  m.L = params.length;
  m.W = params.width;
  m.B = resolve_n_burst(params);
  m.p.n_burst = m.B;
  if (m.L / static_cast<std::size_t>(m.B) < 16)
    throw_usage("simulate: --length / --n-burst must be at least 16 rows per burst");
  m.looks = static_cast<double>(params.alooks) * params.rlooks;
  m.rad_per_mm = -4.0 * kPi / kWavelengthM / 1000.0;

  // Dates and network.
  const int d0 = days_from_yyyymmdd(params.start_date);
  for (int i = 0; i < params.n_dates; ++i) {
    m.days.push_back(d0 + i * params.interval_days);
    m.dates.push_back(yyyymmdd(m.days.back()));
  }
  const std::size_t nd = m.dates.size();
  for (std::size_t i = 0; i < nd; ++i)
    for (int k = 1; k <= params.connections && i + static_cast<std::size_t>(k) < nd; ++k) {
      PairDef pd;
      pd.ref = i;
      pd.sec = i + static_cast<std::size_t>(k);
      pd.btemp_yr = (m.days[pd.sec] - m.days[pd.ref]) / 365.25;
      m.pairs.push_back(pd);
    }
  if (static_cast<std::size_t>(params.n_lowcoh_pairs) > m.pairs.size())
    throw_usage("simulate: --lowcoh-pairs exceeds the number of pairs (" + std::to_string(m.pairs.size()) + ")");

  // Misregistration per date: normal scatter, plus bad dates at +-[min, max] px.
  {
    Rng rng(derive(params.seed, kTagMisreg, 0));
    for (std::size_t i = 0; i < nd; ++i) m.misreg.push_back(params.misreg_sigma_px * rng.normal());
    Rng bad(derive(params.seed, kTagBadDates, 0));
    m.bad_dates = bad.choose(nd, static_cast<std::size_t>(params.n_bad_dates));
    // A bad date is an outlier of the stack's scatter: its |s| is at least 6 (up to 7) sigmas,
    // so raising the scatter above ESD's 0.001-0.002 px keeps the bad dates identifiable.
    const double lo = std::max(params.bad_misreg_min_px, kBadSigmasMin * params.misreg_sigma_px);
    const double hi = std::max(params.bad_misreg_max_px, kBadSigmasMax * params.misreg_sigma_px);
    for (std::size_t i : m.bad_dates) {
      const double mag = bad.uniform(lo, hi);
      m.misreg[i] = bad.uniform() < 0.5 ? -mag : mag;
    }
    Rng bp(derive(params.seed, kTagBperp, 0));
    for (std::size_t i = 0; i < nd; ++i) m.bperp.push_back(50.0 * bp.normal());
  }

  // Pair coherence factors: a mild per-pair spread; chosen pairs are made low-coherence.
  {
    Rng rng(derive(params.seed, kTagPairCoh, 0));
    for (auto& pd : m.pairs) pd.coh_factor = rng.uniform(0.95, 1.03);
    Rng low(derive(params.seed, kTagLowCoh, 0));
    for (std::size_t i : low.choose(m.pairs.size(), static_cast<std::size_t>(params.n_lowcoh_pairs))) {
      m.pairs[i].low_coh = true;
      m.pairs[i].coh_factor = kLowCohFactor;
    }
  }

  // Sub-swaths side by side in range (IW1 at near range), seams staggered.
  const int S = params.n_subswaths;
  m.subswaths.resize(static_cast<std::size_t>(S));
  m.sub_of_col.resize(m.W);
  for (int k = 0; k < S; ++k) {
    auto& sw = m.subswaths[static_cast<std::size_t>(k)];
    sw.name = "IW" + std::to_string(k + 1);
    sw.x0 = m.W * static_cast<std::size_t>(k) / static_cast<std::size_t>(S);
    sw.x1 = m.W * static_cast<std::size_t>(k + 1) / static_cast<std::size_t>(S);
    sw.df_ovl_hz = kDfOvlHz[k % 3];
    for (std::size_t c = sw.x0; c < sw.x1; ++c) m.sub_of_col[c] = static_cast<std::uint8_t>(k);
  }
  place_seams(m);

  // Static coherence: smooth field + an azimuth trend.
  {
    m.coh_base = SmoothField(derive(params.seed, kTagCohField, 0), m.L, m.W, 8.0, 1.0).render_standardised();
    Rng rng(derive(params.seed, kTagCohTrend, 0));
    const double trend = rng.uniform(0.04, 0.08) * (rng.uniform() < 0.5 ? -1.0 : 1.0);
    for (std::size_t r = 0; r < m.L; ++r) {
      const double t = trend * (static_cast<double>(r) / static_cast<double>(m.L - 1) - 0.5) * 2.0;
      for (std::size_t c = 0; c < m.W; ++c) {
        float& g = m.coh_base[r * m.W + c];
        // The defaults (mean 0.80) clip to [0.45, 0.97]; other means shift that range along.
        g = static_cast<float>(std::clamp(params.coherence_mean + 0.07 * g + t, params.coherence_mean - 0.35,
                                          std::min(0.99, params.coherence_mean + 0.17)));
      }
    }
  }

  // Water: an irregular lake (ellipse with a wobbly shore), ~3-8 % of the grid.
  m.land.assign(m.L * m.W, 1);
  if (params.water) {
    Rng rng(derive(params.seed, kTagWater, 0));
    const double cy = rng.uniform(0.25, 0.75) * static_cast<double>(m.L);
    const double cx = rng.uniform(0.25, 0.75) * static_cast<double>(m.W);
    const double ay = rng.uniform(0.10, 0.14) * static_cast<double>(m.L);
    const double ax = rng.uniform(0.12, 0.16) * static_cast<double>(m.W);
    const auto shore = SmoothField(derive(params.seed, kTagWater, 1), m.L, m.W, 4.0, 1.0).render_standardised();
    for (std::size_t r = 0; r < m.L; ++r)
      for (std::size_t c = 0; c < m.W; ++c) {
        const double dy = (static_cast<double>(r) - cy) / ay, dx = (static_cast<double>(c) - cx) / ax;
        if (dy * dy + dx * dx < 1.0 + 0.25 * shore[r * m.W + c]) m.land[r * m.W + c] = 0;
      }
  }

  // Deformation: Gaussian bowl (peak 1), sigma ~12 % of the smaller ground extent.
  m.defo_unit.assign(m.L * m.W, 0.0f);
  if (params.deformation_mm_yr != 0) {
    Rng rng(derive(params.seed, kTagDeformation, 0));
    const double cy = rng.uniform(0.3, 0.7) * static_cast<double>(m.L);
    const double cx = rng.uniform(0.3, 0.7) * static_cast<double>(m.W);
    const double gr = params.range_pixel_m / std::sin(38.0 * kPi / 180.0);  // ground range px, m
    const double sig = 0.12 * std::min(m.L * params.azimuth_pixel_m, m.W * gr);
    for (std::size_t r = 0; r < m.L; ++r)
      for (std::size_t c = 0; c < m.W; ++c) {
        const double dy = (static_cast<double>(r) - cy) * params.azimuth_pixel_m;
        const double dx = (static_cast<double>(c) - cx) * gr;
        m.defo_unit[r * m.W + c] = static_cast<float>(std::exp(-(dy * dy + dx * dx) / (2 * sig * sig)));
      }
  }
  return m;
}

/// The seam phase of one pair and sub-swath along rows: a zero-mean sawtooth that ramps
/// down inside each burst and steps by step[n] at the seam before boundary_rows[n]
/// (between rows b-1 and b), each step smeared by an erf whose 10-90 % rise spans smear_rows.
std::vector<double> sawtooth(std::size_t L, const std::vector<std::size_t>& rows,
                             const std::vector<double>& step, double smear_rows) {
  const std::size_t b = rows.size();
  std::vector<double> x(b);  // seam positions (half-way between rows)
  for (std::size_t n = 0; n < b; ++n) x[n] = static_cast<double>(rows[n]) - 0.5;
  const double spacing = b > 1 ? (x[b - 1] - x[0]) / static_cast<double>(b - 1)
                               : static_cast<double>(L) / 2.0;
  std::vector<double> out(L);
  for (std::size_t r = 0; r < L; ++r) {
    const double y = static_cast<double>(r);
    // Burst index: number of seams before y.
    std::size_t k = 0;
    while (k < b && x[k] < y) ++k;
    double v;
    if (k == 0) {  // first (partial) burst: ends at -step[0]/2
      v = -step[0] / 2 - step[0] / spacing * (y - x[0]);
    } else if (k == b) {  // last (partial) burst: starts at +step[b-1]/2
      v = step[b - 1] / 2 - step[b - 1] / spacing * (y - x[b - 1]);
    } else {  // full burst: +step[k-1]/2 after its first seam down to -step[k]/2 before the next
      const double t = (y - x[k - 1]) / (x[k] - x[k - 1]);
      v = step[k - 1] / 2 + t * (-step[k] / 2 - step[k - 1] / 2);
    }
    out[r] = v;
  }
  if (smear_rows > 0) {
    const double sigma = smear_rows / 2.5631;  // erf 10-90 % rise = 2.5631 sigma
    const double reach = 6.0 * sigma + 1.0;
    for (std::size_t n = 0; n < b; ++n)
      for (std::size_t r = 0; r < L; ++r) {
        const double dx = static_cast<double>(r) - x[n];
        if (std::abs(dx) > reach) continue;
        out[r] += step[n] * (smooth_step(dx, sigma) - (dx >= 0 ? 1.0 : 0.0));
      }
  }
  return out;
}

/// Generates one pair into unw/coh/cc (each L x W) and fills the truth's coherence fields.
void generate_pair(const Model& m, std::size_t index, const SimPairTruth& truth, float* unw, float* coh,
                   std::int16_t* cc, double& mean_coherence) {
  const auto& pd = m.pairs[index];
  const std::size_t L = m.L, W = m.W, N = L * W;
  std::fill(unw, unw + N, 0.0f);
  if (m.p.tropo_mm > 0) {
    const double a = m.p.tropo_mm * m.rad_per_mm;
    SmoothField(derive(m.p.seed, kTagTropo, pd.sec), L, W, 4.0, 5.0 / 6.0).add_to(unw, a);
    SmoothField(derive(m.p.seed, kTagTropo, pd.ref), L, W, 4.0, 5.0 / 6.0).add_to(unw, -a);
  }
  std::vector<std::vector<double>> saw;
  for (std::size_t k = 0; k < m.subswaths.size(); ++k)
    saw.push_back(sawtooth(L, m.subswaths[k].boundary_rows, truth.jump_rad[k], m.p.smear_rows));
  const double btemp_days = pd.btemp_yr * 365.25;
  const double decay = std::exp(-btemp_days / kCohDecayDays) * pd.coh_factor;
  const double defo = m.p.deformation_mm_yr * pd.btemp_yr * m.rad_per_mm;
  const double noise_k = 1.0 / std::sqrt(2.0 * m.looks);
  Rng rng(derive(m.p.seed, kTagPairNoise, index));
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t r = 0; r < L; ++r) {
    for (std::size_t c = 0; c < W; ++c) {
      const std::size_t i = r * W + c;
      double g = m.coh_base[i] * decay;
      if (m.p.coherence_noise) g *= 1.0 + 0.06 * rng.normal();
      g = std::clamp(g, 0.05, 0.99);
      double phi = unw[i] + saw[m.sub_of_col[c]][r] + defo * m.defo_unit[i];
      if (m.p.phase_noise) phi += std::sqrt(1.0 - g * g) / g * noise_k * rng.normal();
      if (!m.land[i]) {
        unw[i] = 0.0f;
        coh[i] = 0.0f;
        cc[i] = 0;
        continue;
      }
      float fphi = static_cast<float>(phi);
      if (fphi == 0.0f) fphi = 1e-6f;  // 0 means no data in MintPy
      unw[i] = fphi;
      coh[i] = static_cast<float>(g);
      cc[i] = 1;
      sum += coh[i];
      ++count;
    }
  }
  mean_coherence = count ? sum / static_cast<double>(count) : 0.0;
}

// ---------------------------------------------------------------- HDF5 writing

using AttrList = std::vector<std::pair<std::string, std::string>>;

Handle checked(hid_t id, const std::string& file, const std::string& what) {
  if (id < 0) throw_io(file, "cannot " + what);
  return Handle(id);
}

void check(herr_t st, const std::string& file, const std::string& what) {
  if (st < 0) throw_io(file, "cannot " + what);
}

void write_attrs(hid_t obj, const AttrList& attrs) {
  for (const auto& [k, v] : attrs) h5::write_string_attribute(obj, k, v);
}

/// h5py's bool: an enum over int8 with FALSE = 0, TRUE = 1.
Handle bool_type() {
  Handle t(H5Tenum_create(H5T_STD_I8LE));
  signed char v0 = 0, v1 = 1;
  H5Tenum_insert(t, "FALSE", &v0);
  H5Tenum_insert(t, "TRUE", &v1);
  return t;
}

void write_1d_or_2d(hid_t fid, const std::string& file, const char* name, hid_t ftype, hid_t mtype,
                    std::vector<hsize_t> dims, const void* data) {
  Handle space = checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), file, "create a dataspace");
  Handle dset = checked(H5Dcreate2(fid, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file,
                        std::string("create dataset '") + name + "'");
  check(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file, std::string("write dataset '") + name + "'");
}

Handle create_3d(hid_t fid, const std::string& file, const char* name, hid_t ftype, std::size_t type_size,
                 hsize_t n, hsize_t L, hsize_t W, SimCompression comp) {
  Handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), file, "create a property list");
  const auto chunk = h5::guess_chunk({n, L, W}, type_size);
  check(H5Pset_chunk(dcpl, 3, chunk.data()), file, "set chunking");
  check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), file, "set the fill time");  // as h5py does
  switch (comp) {
    case SimCompression::None: break;
    case SimCompression::Gzip:
      check(H5Pset_shuffle(dcpl), file, "set the shuffle filter");
      check(H5Pset_deflate(dcpl, 4), file, "set gzip compression");
      break;
    case SimCompression::Lzf:
      // h5py: set_filter(FILTER_LZF, FLAG_OPTIONAL); the plugin's set_local fills the params.
      check(H5Pset_filter(dcpl, h5::kLzfFilter, H5Z_FLAG_OPTIONAL, 0, nullptr), file, "set LZF compression");
      break;
  }
  const hsize_t dims[3] = {n, L, W};
  const hsize_t maxdims[3] = {H5S_UNLIMITED, L, W};
  Handle space = checked(H5Screate_simple(3, dims, maxdims), file, "create a dataspace");
  return checked(H5Dcreate2(fid, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), file,
                 std::string("create dataset '") + name + "'");
}

void write_block(hid_t dset, const std::string& file, hid_t mtype, hsize_t p0, hsize_t np, hsize_t L,
                 hsize_t W, const void* data) {
  Handle fspace(H5Dget_space(dset));
  const hsize_t start[3] = {p0, 0, 0};
  const hsize_t count[3] = {np, L, W};
  check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr), file, "select pairs");
  Handle mspace(H5Screate_simple(3, count, nullptr));
  check(H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, data), file,
        "write pairs " + std::to_string(p0) + ":" + std::to_string(p0 + np));
}

AttrList stack_attributes(const Model& m, std::size_t ref_y, std::size_t ref_x) {
  const bool desc = m.p.descending;
  const double center_utc = desc ? 37800.0 : 82800.0;
  const double frame_s = static_cast<double>(m.L) * m.p.alooks * kLineTimeS;
  std::string swaths;
  for (const auto& sw : m.subswaths) swaths += sw.name.substr(2);
  return {
      {"ALOOKS", std::to_string(m.p.alooks)},
      {"AZIMUTH_PIXEL_SIZE", fmt_num(m.p.azimuth_pixel_m)},
      {"CENTER_LINE_UTC", fmt_num(center_utc)},
      {"DATA_TYPE", "float32"},
      {"FILE_TYPE", "ifgramStack"},
      {"HEADING", fmt_num(desc ? -168.0 : -12.0)},
      {"LENGTH", std::to_string(m.L)},
      {"ORBIT_DIRECTION", desc ? "DESCENDING" : "ASCENDING"},
      {"PLATFORM", "Sen"},
      {"PROCESSOR", "isce"},
      {"PROJECT_NAME", "pjdsim"},
      {"RANGE_PIXEL_SIZE", fmt_num(m.p.range_pixel_m)},
      {"REF_X", std::to_string(ref_x)},
      {"REF_Y", std::to_string(ref_y)},
      {"RLOOKS", std::to_string(m.p.rlooks)},
      {"STARTING_RANGE", fmt_num(m.p.starting_range_m)},
      {"UNIT", "radian"},
      {"WAVELENGTH", fmt_num(kWavelengthM)},
      {"WIDTH", std::to_string(m.W)},
      {"beam_swath", swaths},
      {"number_of_bursts", std::to_string(m.B)},
      {"startUTC", utc_string(m.dates.front(), center_utc - frame_s / 2)},
      {"stopUTC", utc_string(m.dates.front(), center_utc + frame_s / 2)},
  };
}

/// geometryRadar.h5: latitude/longitude from the pixel sizes, heading and a spherical Earth.
void write_geometry(const Model& m, const fs::path& path, const AttrList& stack_attrs) {
  const std::string file = path.string();
  const std::size_t L = m.L, W = m.W;
  const bool desc = m.p.descending;
  const double heading = (desc ? -168.0 : -12.0) * kPi / 180.0;
  const double Rs = kEarthRadiusM + kOrbitHeightM;
  // Per column: slant range, incidence angle, ground range from column 0.
  std::vector<double> slant(W), inc(W), ground(W);
  for (std::size_t c = 0; c < W; ++c) {
    const double R = m.p.starting_range_m + static_cast<double>(c) * m.p.range_pixel_m;
    const double cos_look = (Rs * Rs + R * R - kEarthRadiusM * kEarthRadiusM) / (2 * Rs * R);
    const double look = std::acos(std::clamp(cos_look, -1.0, 1.0));
    const double incidence = std::asin(std::clamp(Rs / kEarthRadiusM * std::sin(look), -1.0, 1.0));
    slant[c] = R;
    inc[c] = incidence;
    ground[c] = kEarthRadiusM * (incidence - look);  // central angle x radius
  }
  for (std::size_t c = W; c-- > 0;) ground[c] -= ground[0];
  // Along track (rows) follows the heading; range (columns) points 90 deg right of it.
  const double ae = std::sin(heading), an = std::cos(heading);
  const double re = std::sin(heading + kPi / 2), rn = std::cos(heading + kPi / 2);
  const double yc = static_cast<double>(L - 1) / 2 * m.p.azimuth_pixel_m, gc = ground[W - 1] / 2;
  const double cos_lat = std::cos(kSceneLatDeg * kPi / 180.0);
  std::vector<float> lat(L * W), lon(L * W), hgt(L * W), inc_deg(L * W), az(L * W), rng(L * W);
  std::vector<signed char> shadow(L * W, 0), water(L * W);
  const auto topo = SmoothField(derive(m.p.seed, kTagHeight, 0), L, W, 4.0, 1.0).render_standardised();
  double az_angle = -(heading * 180.0 / kPi - 90.0);  // MintPy: LOS azimuth, from north, anti-clockwise
  az_angle -= std::round(az_angle / 360.0) * 360.0;
  for (std::size_t r = 0; r < L; ++r)
    for (std::size_t c = 0; c < W; ++c) {
      const std::size_t i = r * W + c;
      const double y = static_cast<double>(r) * m.p.azimuth_pixel_m - yc, g = ground[c] - gc;
      const double e = y * ae + g * re, n = y * an + g * rn;
      lat[i] = static_cast<float>(kSceneLatDeg + n / kMetersPerDegree);
      lon[i] = static_cast<float>(kSceneLonDeg + e / (kMetersPerDegree * cos_lat));
      hgt[i] = m.land[i] ? static_cast<float>(kBaseHeightM + 300.0 * topo[i]) : static_cast<float>(kBaseHeightM - 200.0);
      inc_deg[i] = static_cast<float>(inc[c] * 180.0 / kPi);
      az[i] = static_cast<float>(az_angle);
      rng[i] = static_cast<float>(slant[c]);
      water[i] = m.land[i] ? 1 : 0;  // MintPy waterMask: True = land (valid)
    }

  Handle fid = checked(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), file, "create the file");
  AttrList attrs;
  for (const auto& [k, v] : stack_attrs) {
    if (k == "FILE_TYPE" || k == "UNIT" || k == "DATA_TYPE" || k == "REF_X" || k == "REF_Y") continue;
    attrs.emplace_back(k, v);
  }
  attrs.emplace_back("FILE_TYPE", "geometry");
  write_attrs(fid, attrs);
  const std::vector<hsize_t> dims = {L, W};
  const auto f32 = H5T_IEEE_F32LE;
  write_1d_or_2d(fid, file, "latitude", f32, H5T_NATIVE_FLOAT, dims, lat.data());
  write_1d_or_2d(fid, file, "longitude", f32, H5T_NATIVE_FLOAT, dims, lon.data());
  write_1d_or_2d(fid, file, "height", f32, H5T_NATIVE_FLOAT, dims, hgt.data());
  write_1d_or_2d(fid, file, "incidenceAngle", f32, H5T_NATIVE_FLOAT, dims, inc_deg.data());
  write_1d_or_2d(fid, file, "azimuthAngle", f32, H5T_NATIVE_FLOAT, dims, az.data());
  write_1d_or_2d(fid, file, "slantRangeDistance", f32, H5T_NATIVE_FLOAT, dims, rng.data());
  Handle bt = bool_type();
  write_1d_or_2d(fid, file, "shadowMask", bt, bt, dims, shadow.data());
  write_1d_or_2d(fid, file, "waterMask", bt, bt, dims, water.data());
  check(H5Fflush(fid, H5F_SCOPE_LOCAL), file, "flush the file");
}

/// Temporary output names, removed unless committed (renamed into place).
class TempOutputs {
 public:
  fs::path add(const fs::path& final_path) {
    fs::path tmp = final_path;
    tmp += ".tmp" + std::to_string(::getpid());
    items_.emplace_back(tmp, final_path);
    return tmp;
  }
  void commit() {
    for (const auto& [tmp, final_path] : items_) {
      std::error_code ec;
      fs::rename(tmp, final_path, ec);
      if (ec) throw_io(final_path.string(), "cannot rename from " + tmp.string() + ": " + ec.message());
    }
    items_.clear();
  }
  ~TempOutputs() {
    for (const auto& [tmp, final_path] : items_) {
      std::error_code ec;
      fs::remove(tmp, ec);
    }
  }

 private:
  std::vector<std::pair<fs::path, fs::path>> items_;
};

}  // namespace

// ---------------------------------------------------------------- public API

SimParams sim_preset(const std::string& name) {
  SimParams p;
  if (name == "tiny") {
    p.n_dates = 12;
    p.length = 200;
    p.width = 60;
    p.n_burst = 4;
  } else if (name == "small") {
    // the defaults
  } else if (name == "realistic") {
    p.n_dates = 102;  // 3 x 102 - 6 = 300 pairs with 3 connections
    p.length = 1500;
    p.width = 800;
    p.n_burst = 0;  // from the 1342-line burst cycle: 1500 / 447 -> 3 bursts
  } else {
    throw_usage("unknown size '" + name + "' (expected tiny, small or realistic)");
  }
  return p;
}

nlohmann::json to_json(const SimParams& p) {
  return {
      {"n_dates", p.n_dates},
      {"connections", p.connections},
      {"start_date", p.start_date},
      {"interval_days", p.interval_days},
      {"length", p.length},
      {"width", p.width},
      {"alooks", p.alooks},
      {"rlooks", p.rlooks},
      {"azimuth_pixel_m", p.azimuth_pixel_m},
      {"range_pixel_m", p.range_pixel_m},
      {"starting_range_m", p.starting_range_m},
      {"orbit", p.descending ? "desc" : "asc"},
      {"n_burst", p.n_burst},
      {"n_subswaths", p.n_subswaths},
      {"smear_rows", p.smear_rows},
      {"misreg_sigma_px", p.misreg_sigma_px},
      {"coherence_mean", p.coherence_mean},
      {"n_bad_dates", p.n_bad_dates},
      {"bad_misreg_min_px", std::max(p.bad_misreg_min_px, kBadSigmasMin * p.misreg_sigma_px)},
      {"bad_misreg_max_px", std::max(p.bad_misreg_max_px, kBadSigmasMax * p.misreg_sigma_px)},
      {"df_ovl_jitter", p.df_ovl_jitter},
      {"tropo_mm", p.tropo_mm},
      {"deformation_mm_yr", p.deformation_mm_yr},
      {"phase_noise", p.phase_noise},
      {"coherence_noise", p.coherence_noise},
      {"water", p.water},
      {"n_lowcoh_pairs", p.n_lowcoh_pairs},
      {"compression", name_of(p.compression)},
      {"seed", p.seed},
  };
}

nlohmann::json to_json(const SimTruth& t) {
  using nlohmann::json;
  const bool multi = t.subswaths.size() > 1;
  auto per_sub = [&](const auto& v) -> json { return multi ? json(v) : json(v.empty() ? json::array() : json(v.front())); };
  json j;
  j["n_burst"] = t.n_burst;
  j["length"] = t.length;
  j["width"] = t.width;
  std::vector<std::vector<std::size_t>> rows;
  for (const auto& sw : t.subswaths) rows.push_back(sw.boundary_rows);
  j["boundary_rows"] = per_sub(rows);
  j["bad_dates"] = t.bad_dates;
  j["seed"] = t.params.seed;
  j["misreg_px_per_date"] = t.misreg_px_per_date;
  auto& pairs = j["pairs"] = json::array();
  for (const auto& p : t.pairs) {
    pairs.push_back({{"pair", p.pair},
                     {"btemp_days", p.btemp_days},
                     {"bperp_m", p.bperp_m},
                     {"misreg_px", p.misreg_px},
                     {"jump_mm_per_boundary", per_sub(p.jump_mm)},
                     {"jump_rad_per_boundary", per_sub(p.jump_rad)},
                     {"ramp_mm", multi ? json(p.ramp_mm) : json(p.ramp_mm.front())},
                     {"mean_coherence", p.mean_coherence},
                     {"low_coherence", p.low_coherence}});
  }
  j["low_coherence_pairs"] = t.low_coherence_pairs;
  j["n_pairs"] = t.pairs.size();
  j["n_dates"] = t.dates.size();
  j["dates"] = t.dates;
  j["n_subswaths"] = t.subswaths.size();
  auto& subs = j["subswaths"] = json::array();
  for (const auto& sw : t.subswaths)
    subs.push_back({{"name", sw.name},
                    {"x0", sw.x0},
                    {"x1", sw.x1},
                    {"df_ovl_hz", sw.df_ovl_hz},
                    {"df_ovl_per_seam_hz", sw.df_ovl_per_seam_hz},
                    {"boundary_rows", sw.boundary_rows}});
  j["ref_y"] = t.ref_y;
  j["ref_x"] = t.ref_x;
  j["water_fraction"] = t.water_fraction;
  j["wavelength_m"] = kWavelengthM;
  j["conventions"] = {
      {"boundary_rows", "first row after the seam (the step lies between rows b-1 and b)"},
      {"jump_rad_per_boundary", "phi(row b) - phi(row b-1) of the seam term = -2*pi*df_ovl*dt*misreg_px, dt = 2.055556 ms"},
      {"jump_mm_per_boundary", "|jump_rad| * WAVELENGTH / (4*pi) * 1000"},
      {"ramp_mm", "sum of jump_mm_per_boundary over the seams"},
      {"misreg_px", "s(secondary) - s(reference), azimuth pixels (single look)"},
      {"mean_coherence", "mean of the pair's non-zero coherence cells"},
      {"subswaths", "with n_subswaths > 1 every per-seam field has an outer per-sub-swath list, in subswaths order"}};
  j["params"] = to_json(t.params);
  return j;
}

SimTruth simulate(const fs::path& out_dir, const SimParams& params, const ProgressFn& progress) {
  h5::init_library();
  const Model m = build_model(params);
  const std::size_t L = m.L, W = m.W, n = m.pairs.size(), N = L * W;
  // HDF5 silently skips an optional filter it cannot load; refuse rather than write
  // uncompressed data that claims to be LZF.
  if (!h5::lzf_available())
    throw_io("", "the LZF filter (Debian package hdf5-plugin-lzf) is not available; "
                 "connectComponent is always LZF-compressed");

  // Output directory.
  std::error_code ec;
  const fs::path inputs = out_dir / "inputs";
  fs::create_directories(inputs, ec);
  if (ec || !fs::is_directory(inputs)) throw_io(inputs.string(), "cannot create the directory" + (ec ? ": " + ec.message() : ""));

  SimTruth truth;
  truth.params = m.p;
  truth.length = L;
  truth.width = W;
  truth.n_burst = m.B;
  truth.dates = m.dates;
  truth.subswaths = m.subswaths;
  truth.stack_file = inputs / "ifgramStack.h5";
  truth.geometry_file = inputs / "geometryRadar.h5";
  truth.truth_file = out_dir / "truth.json";
  for (std::size_t i = 0; i < m.dates.size(); ++i) truth.misreg_px_per_date[m.dates[i]] = m.misreg[i];
  for (std::size_t i : m.bad_dates) truth.bad_dates.push_back(m.dates[i]);
  std::sort(truth.bad_dates.begin(), truth.bad_dates.end());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& pd = m.pairs[i];
    SimPairTruth t;
    t.pair = m.dates[pd.ref] + "_" + m.dates[pd.sec];
    t.btemp_days = m.days[pd.sec] - m.days[pd.ref];
    t.bperp_m = m.bperp[pd.sec] - m.bperp[pd.ref];
    t.misreg_px = m.misreg[pd.sec] - m.misreg[pd.ref];
    for (const auto& sw : m.subswaths) {
      std::vector<double> jr, jm;
      double ramp = 0;
      for (double df : sw.df_ovl_per_seam_hz) {
        const double step = -2.0 * kPi * df * kLineTimeS * t.misreg_px;
        jr.push_back(step);
        jm.push_back(std::abs(rad_to_mm(step)));
        ramp += jm.back();
      }
      t.jump_rad.push_back(std::move(jr));
      t.jump_mm.push_back(std::move(jm));
      t.ramp_mm.push_back(ramp);
    }
    truth.pairs.push_back(std::move(t));
  }
  // Reference point (REF_Y/REF_X): a coherent land pixel near the centre.
  {
    std::size_t best = 0, land = 0;
    double best_score = -1e9;
    const double cy = static_cast<double>(L - 1) / 2, cx = static_cast<double>(W - 1) / 2;
    for (std::size_t i = 0; i < N; ++i) {
      if (!m.land[i]) continue;
      ++land;
      const double dy = (static_cast<double>(i / W) - cy) / static_cast<double>(L);
      const double dx = (static_cast<double>(i % W) - cx) / static_cast<double>(W);
      const double score = m.coh_base[i] - 0.2 * std::sqrt(dy * dy + dx * dx);
      if (score > best_score) {
        best_score = score;
        best = i;
      }
    }
    truth.ref_y = best / W;
    truth.ref_x = best % W;
    truth.water_fraction = 1.0 - static_cast<double>(land) / static_cast<double>(N);
  }
  const AttrList attrs = stack_attributes(m, truth.ref_y, truth.ref_x);

  TempOutputs temps;
  const fs::path geo_tmp = temps.add(truth.geometry_file);
  const fs::path stack_tmp = temps.add(truth.stack_file);
  const fs::path truth_tmp = temps.add(truth.truth_file);

  report(progress, 0.0, "geometry");
  write_geometry(m, geo_tmp, attrs);
  report(progress, 0.02, "simulate");

  // ---- the stack
  const std::string file = stack_tmp.string();
  {
    Handle fid = checked(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), file, "create the file");
    write_attrs(fid, attrs);
    Handle unw = create_3d(fid, file, "unwrapPhase", H5T_IEEE_F32LE, 4, n, L, W, params.compression);
    Handle coh = create_3d(fid, file, "coherence", H5T_IEEE_F32LE, 4, n, L, W, params.compression);
    Handle cc = create_3d(fid, file, "connectComponent", H5T_STD_I16LE, 2, n, L, W, SimCompression::Lzf);
    {
      Handle stype(H5Tcopy(H5T_C_S1));
      H5Tset_size(stype, 8);
      H5Tset_strpad(stype, H5T_STR_NULLPAD);
      std::vector<char> dates(n * 2 * 8);
      std::vector<float> bperp(n);
      std::vector<signed char> drop(n, 1);
      for (std::size_t i = 0; i < n; ++i) {
        std::memcpy(&dates[i * 16], m.dates[m.pairs[i].ref].data(), 8);
        std::memcpy(&dates[i * 16 + 8], m.dates[m.pairs[i].sec].data(), 8);
        bperp[i] = static_cast<float>(truth.pairs[i].bperp_m);
      }
      write_1d_or_2d(fid, file, "date", stype, stype, {n, 2}, dates.data());
      write_1d_or_2d(fid, file, "bperp", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {n}, bperp.data());
      Handle bt = bool_type();
      write_1d_or_2d(fid, file, "dropIfgram", bt, bt, {n}, drop.data());
    }

    // Blocks of pairs aligned to the chunk depth of every 3-D dataset.
    const std::size_t d_f = h5::guess_chunk({n, L, W}, 4)[0], d_i = h5::guess_chunk({n, L, W}, 2)[0];
    std::size_t unit = std::lcm(d_f, d_i);
    if (unit * N * 10 > 4 * params.block_bytes) unit = d_f;
    const std::size_t per_pair = N * (4 + 4 + 2);
    const std::size_t block = std::max<std::size_t>(1, params.block_bytes / (per_pair * unit)) * unit;
    const std::size_t cap = std::min(block, n);
    // Two buffers: worker threads compute block i into one while a writer thread writes
    // block i-1 from the other. Only the writer calls HDF5 during that time.
    struct Buffers {
      std::vector<float> unw, coh;
      std::vector<std::int16_t> cc;
    };
    Buffers buf[2];
    for (auto& b : buf) {
      b.unw.resize(cap * N);
      b.coh.resize(cap * N);
      b.cc.resize(cap * N);
    }
    const unsigned nthreads = params.threads ? params.threads : std::max(1u, std::thread::hardware_concurrency());
    std::future<void> writing;
    std::size_t written = 0;  // pairs written once `writing` is done

    for (std::size_t p0 = 0, i = 0; p0 < n; p0 += block, ++i) {
      const std::size_t np = std::min(block, n - p0);
      Buffers& b = buf[i % 2];
      std::atomic<std::size_t> next{0};
      std::exception_ptr error;
      std::mutex error_mutex;
      auto work = [&] {
        try {
          for (std::size_t k; (k = next.fetch_add(1)) < np;) {
            double mean = 0;
            generate_pair(m, p0 + k, truth.pairs[p0 + k], b.unw.data() + k * N, b.coh.data() + k * N,
                          b.cc.data() + k * N, mean);
            truth.pairs[p0 + k].mean_coherence = mean;
            truth.pairs[p0 + k].low_coherence = mean < kLowCoherence;
          }
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
          next.store(np);
        }
      };
      const unsigned nt = static_cast<unsigned>(std::min<std::size_t>(nthreads, np));
      std::vector<std::thread> workers;
      for (unsigned t = 1; t < nt; ++t) workers.emplace_back(work);
      work();
      for (auto& t : workers) t.join();
      if (writing.valid()) {
        writing.get();  // rethrows a write error
        report(progress, 0.02 + 0.97 * static_cast<double>(written) / static_cast<double>(n), "simulate");
      }
      if (error) std::rethrow_exception(error);
      writing = std::async(std::launch::async, [&, p0, np, bp = &b] {
        write_block(unw, file, H5T_NATIVE_FLOAT, p0, np, L, W, bp->unw.data());
        write_block(coh, file, H5T_NATIVE_FLOAT, p0, np, L, W, bp->coh.data());
        write_block(cc, file, H5T_NATIVE_INT16, p0, np, L, W, bp->cc.data());
      });
      written = p0 + np;
    }
    if (writing.valid()) writing.get();
    report(progress, 0.99, "simulate");
    check(H5Fflush(fid, H5F_SCOPE_LOCAL), file, "flush the file");
  }
  for (const auto& p : truth.pairs)
    if (p.low_coherence) truth.low_coherence_pairs.push_back(p.pair);

  // ---- truth.json
  {
    std::ofstream out(truth_tmp);
    out << to_json(truth).dump(1) << "\n";
    out.close();
    if (!out) throw_io(truth_tmp.string(), "cannot write");
  }
  temps.commit();
  report(progress, 1.0, "done");
  return truth;
}

}  // namespace pjd
