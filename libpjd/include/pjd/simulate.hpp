#pragma once
// Simulated MintPy stacks with known phase jumps at Sentinel-1 TOPS burst seams.
//
// simulate() writes OUT/inputs/ifgramStack.h5, OUT/inputs/geometryRadar.h5 and
// OUT/truth.json in MintPy's exact layout (as h5py writes it), streaming blocks of pairs
// so memory stays bounded. The physics follows ../shared/docs/tops-facts.md; the model
// and every parameter are described in share/docs/simulate.md.
#include <cstddef>
#include <cstdint>
#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pjd/enum_names.hpp"
#include "pjd/progress.hpp"

namespace pjd {

enum class SimCompression { None, Gzip, Lzf };

template <>
struct EnumNames<SimCompression> {
  static constexpr std::string_view what = "compression";
  static constexpr std::array<std::pair<SimCompression, std::string_view>, 3> names{
      {{SimCompression::None, "none"}, {SimCompression::Gzip, "gzip"}, {SimCompression::Lzf, "lzf"}}};
};

/// Every knob of the simulator. Defaults = the "small" preset.
struct SimParams {
  // Network: n_dates acquisitions every interval_days from start_date; each date is paired
  // with its `connections` next dates (pairs (i, i+k), k = 1..connections).
  int n_dates = 30;
  int connections = 3;
  std::string start_date = "20210103";  ///< YYYYMMDD
  int interval_days = 12;

  // Grid (multilooked radar coordinates).
  std::size_t length = 540;  ///< rows (azimuth)
  std::size_t width = 140;   ///< columns (range)
  int alooks = 3;            ///< azimuth looks (ISCE2 topsStack default)
  int rlooks = 9;            ///< range looks
  double azimuth_pixel_m = 42.0;  ///< AZIMUTH_PIXEL_SIZE (m), ~14 m x 3 looks
  double range_pixel_m = 20.7;    ///< RANGE_PIXEL_SIZE (slant, m), ~2.3 m x 9 looks
  double starting_range_m = 800000.0;
  bool descending = false;        ///< geometry: row 0 north, range westward, heading -168 deg

  // Bursts and seams.
  int n_burst = 6;          ///< bursts per sub-swath (>= 2); 0 = round(length*alooks/1342)
  int n_subswaths = 1;      ///< merged sub-swaths side by side in range (1-3 typical)
  double smear_rows = 2.0;  ///< 10-90 % rise of a seam step, rows (0 = a hard step)

  // Misregistration (azimuth, pixels).
  double misreg_sigma_px = 0.0015;  ///< per-date scatter after ESD (0.001-0.002 px)
  int n_bad_dates = 2;              ///< dates with |s| in [max(min, 6 sigma), max(max, 7 sigma)]
  double bad_misreg_min_px = 0.010;
  double bad_misreg_max_px = 0.012;
  double df_ovl_jitter = 0.03;      ///< per-seam relative spread of the overlap Doppler separation

  // Other signals (switch off for clean tests).
  double tropo_mm = 4.0;            ///< std of each date's turbulent delay (LOS mm); 0 = off
  double deformation_mm_yr = -30.0; ///< peak LOS velocity of a Gaussian bowl (mm/yr); 0 = off
  bool phase_noise = true;          ///< decorrelation noise sqrt(1-g^2)/(g*sqrt(2L))
  bool coherence_noise = true;      ///< pixel-level scatter of the coherence estimate
  bool water = true;                ///< a lake of no-data (coherence 0, phase 0)
  /// Mean of the static coherence field (before temporal decorrelation and per-pair factors),
  /// clipped to [mean - 0.35, min(0.99, mean + 0.17)] per cell.
  double coherence_mean = 0.80;
  int n_lowcoh_pairs = 2;           ///< pairs scaled to a mean coherence < 0.4

  // Output.
  SimCompression compression = SimCompression::None;  ///< unwrapPhase and coherence
  std::uint64_t seed = 1;
  unsigned threads = 0;                 ///< workers; 0 = every core
  std::size_t block_bytes = 128u << 20; ///< target bytes per block of pairs in memory
};

/// Presets: "tiny" (12 dates x 200 x 60, 4 bursts; unit tests), "small" (30 dates x 540 x 140,
/// 6 bursts), "realistic" (102 dates = 300 pairs x 1500 x 800, bursts from the 1342-line cycle).
/// Throws pjd::Error (Usage) for an unknown name.
SimParams sim_preset(const std::string& name);

/// One sub-swath: its columns and seams.
struct SimSubswath {
  std::string name;                       ///< "IW1", "IW2", "IW3", ...
  std::size_t x0 = 0, x1 = 0;             ///< columns [x0, x1)
  double df_ovl_hz = 0;                   ///< nominal Doppler separation in the overlaps (Hz)
  std::vector<double> df_ovl_per_seam_hz; ///< the value used at each seam
  std::vector<std::size_t> boundary_rows; ///< first row after each seam (ascending)
};

struct SimPairTruth {
  std::string pair;  ///< YYYYMMDD_yyyymmdd
  int btemp_days = 0;
  double bperp_m = 0;
  double misreg_px = 0;  ///< s(sec) - s(ref)
  /// [sub-swath][seam]: phase step across the seam, phi(after) - phi(before), radians.
  std::vector<std::vector<double>> jump_rad;
  /// [sub-swath][seam]: |jump| in LOS mm (x WAVELENGTH/(4 pi) x 1000).
  std::vector<std::vector<double>> jump_mm;
  std::vector<double> ramp_mm;  ///< [sub-swath]: sum of |jump_mm| over the seams
  double mean_coherence = 0;    ///< over non-zero coherence cells, as written (float32)
  bool low_coherence = false;   ///< mean_coherence < 0.4
};

struct SimTruth {
  SimParams params;  ///< as used (n_burst resolved)
  std::filesystem::path stack_file, geometry_file, truth_file;
  std::size_t length = 0, width = 0;
  int n_burst = 0;
  std::vector<std::string> dates;
  std::vector<SimSubswath> subswaths;
  std::vector<std::string> bad_dates;
  std::map<std::string, double> misreg_px_per_date;
  std::vector<SimPairTruth> pairs;
  std::vector<std::string> low_coherence_pairs;
  std::size_t ref_y = 0, ref_x = 0;
  double water_fraction = 0;  ///< share of cells that are no-data water
};

/// truth.json: parity-truth keys (n_burst, length, width, boundary_rows, bad_dates, seed,
/// misreg_px_per_date, pairs[...]) plus subswaths, low_coherence_pairs and params.
/// With one sub-swath the per-seam fields are flat lists (exactly like the parity truth);
/// with several, boundary_rows, jump_mm_per_boundary, jump_rad_per_boundary and ramp_mm gain
/// an outer per-sub-swath dimension in `subswaths` order.
nlohmann::json to_json(const SimTruth& truth);
nlohmann::json to_json(const SimParams& params);

/// Simulates a stack into out_dir (created if needed). Existing outputs are replaced only
/// once every file is complete (written under temporary names, then renamed).
/// Deterministic for a given params (seed included), whatever the thread count.
/// Throws pjd::Error: Usage for bad parameters, Io when an output cannot be written.
SimTruth simulate(const std::filesystem::path& out_dir, const SimParams& params,
                  const ProgressFn& progress = {});

}  // namespace pjd
