// validate_params: every check that can be made before reading a pixel.
//
// Azimuth-extent rule (the published method's windows assume that the stack covers the
// full azimuth extent of B bursts: seams near n * LENGTH / B, n = 1..B-1):
//  1. Always: w = LENGTH // B must be at least kMinRowsPerBurst rows. Below that the
//     search windows [n*w - w/2, n*w + w/2) hold a handful of rows, two of which are
//     the no-data borders, and the detection is meaningless -> Data.
//  2. When the stack records `number_of_bursts` (pjd simulate and some processors write
//     it; MintPy does not), it is the authority: --n-burst must equal it -> Data
//     naming both numbers otherwise.
//  3. Otherwise, for Sentinel-1 stacks (PLATFORM starting with "sen" or "s1"), the rows
//     must cover most of B burst cycles: LENGTH * ALOOKS single-look lines at the IW
//     line time 2.055556 ms against B * 2.7586 s (~1342 lines per burst). Fewer than
//     kMinBurstFraction * B cycles means the stack was cut along azimuth (or B is too
//     large) -> Data, explaining that the windows assume the full azimuth extent.
//     The first and last bursts may be partly cut, hence the tolerance.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "pjd/detect.hpp"
#include "pjd/error.hpp"

namespace pjd {
namespace {

constexpr std::size_t kMinRowsPerBurst = 4;
constexpr double kLineTimeS = 2.055556e-3;   // Sentinel-1 IW azimuth time interval
constexpr double kBurstCycleS = 2.7586;      // Sentinel-1 IW burst cycle
constexpr double kMinBurstFraction = 0.75;   // rows must hold >= 75% of B burst cycles

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool is_sentinel1(const std::string& platform) {
  std::string p;
  for (char c : platform) p.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return p.rfind("sen", 0) == 0 || p.rfind("s1", 0) == 0;
}

}  // namespace

void check_detect_options(const DetectParams& p, bool n_burst_from_stack) {
  if (p.method != "published" && p.method != "robust")
    throw_usage("--method '" + p.method + "' is unknown (available: published, robust)");
  const bool robust = p.method == "robust";
  // Robust: --n-burst is optional (0 = estimated from the seam spacing), an override when given.
  if (!((robust || n_burst_from_stack) && p.n_burst == 0) && p.n_burst < 2)
    throw_usage("--n-burst must be >= 2 (bursts per sub-swath; with fewer there is no burst seam), got " +
                std::to_string(p.n_burst));
  if (p.threads > kMaxThreads)
    throw_usage("--threads must be at most " + std::to_string(kMaxThreads) + " (0 = every core), got " +
                std::to_string(p.threads));
  if (robust && !(p.date_thr_px > 0.0 && std::isfinite(p.date_thr_px)))
    throw_usage("--date-thr-px must be a positive number of pixels, got " + fmt(p.date_thr_px));
  if (!(p.cmin > 0.0 && p.cmin <= 1.0)) throw_usage("--cmin must be in (0, 1], got " + fmt(p.cmin));
  if (!(p.pct > 0.0 && p.pct < 1.0))
    throw_usage("--pct must be a fraction in (0, 1) (0.25 = 25th percentile), got " + fmt(p.pct));
  if (!(p.pj_thr_mm > 0.0) || !std::isfinite(p.pj_thr_mm))
    throw_usage("--pj-thr must be a positive number of millimetres, got " + fmt(p.pj_thr_mm));
}

DetectParams validate_params(const Stack& stack, const DetectParams& params) {
  DetectParams p = params;
  const std::string file = stack.file().string();
  const std::size_t length = stack.length();
  const std::size_t width = stack.width();

  // Options that do not depend on the stack first (Usage).
  check_detect_options(p);

  // --sub-x: sorted; x1 <= WIDTH-1 as the reference requires (Usage, naming the width).
  if (p.sub_x) {
    auto [a, b] = *p.sub_x;
    if (a > b) std::swap(a, b);
    if (b > width - 1 || a == b)
      throw_usage("--sub-x " + std::to_string(a) + " " + std::to_string(b) +
                  (a == b ? " selects no column" : " is outside the stack") + " (WIDTH " + std::to_string(width) +
                  " of " + file + ": columns 0.." + std::to_string(width - 1) + ", x0 < x1 <= " +
                  std::to_string(width - 1) + ")");
    p.sub_x = std::make_pair(a, b);
  }

  // --pair must name a pair of the stack.
  if (p.pair && !stack.pair_index(*p.pair))
    throw_usage("--pair " + *p.pair + " is not a pair of " + file + " (expected YYYYMMDD_yyyymmdd, see 'pjd info')");

  // The stack itself (Data).
  if (stack.geocoded())
    throw_data(file, "the stack is geocoded (attribute Y_FIRST); phase jumps must be detected in radar coordinates "
                     "(use inputs/ifgramStack.h5 before geocoding)");

  if (p.n_burst == 0) {
    // Robust without --n-burst: the count comes from the data; only a minimal size check.
    if (length < 16) throw_data(file, std::to_string(length) + " rows are too few to find burst seams");
    return p;
  }
  const std::size_t b = static_cast<std::size_t>(p.n_burst);
  if (length / b < kMinRowsPerBurst)
    throw_data(file, std::to_string(length) + " rows cannot hold " + std::to_string(b) + " bursts: the windows would be " +
                         std::to_string(length / b) + " rows (at least " + std::to_string(kMinRowsPerBurst) +
                         " rows per burst are needed)");

  const auto& attrs = stack.attributes();
  if (auto nb = attrs.number("number_of_bursts")) {
    if (std::lround(*nb) != p.n_burst)
      throw_data(file, "--n-burst " + std::to_string(p.n_burst) + " does not match the stack's number_of_bursts " +
                           attrs.get("number_of_bursts") + "; the detection windows assume --n-burst bursts over the "
                           "full azimuth extent of the stack");
  } else if (is_sentinel1(stack.platform()) && attrs.has("ALOOKS")) {
    const double lines = static_cast<double>(length) * stack.alooks();
    const double cycles = lines * kLineTimeS / kBurstCycleS;
    if (cycles < kMinBurstFraction * static_cast<double>(b)) {
      std::ostringstream s;
      s.precision(2);
      s << std::fixed << length << " rows x " << stack.alooks() << " azimuth looks cover about " << cycles
        << " Sentinel-1 burst cycles (2.7586 s each), far fewer than --n-burst " << b
        << ": the stack looks cut along azimuth (or --n-burst is too large); the detection windows assume the "
           "full azimuth extent of all bursts";
      throw_data(file, s.str());
    }
  }
  return p;
}

}  // namespace pjd
