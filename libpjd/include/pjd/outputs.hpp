#pragma once
// Writing a DetectResult to disk: the reference implementation's files (netCDF-4 row
// profiles and text reports, same names and formats) plus summary.json.
//
// Every file is written atomically (temporary name in the output directory, renamed
// when complete). With --pair (result.params.pair set) every file name is prefixed with
// "<pair>_", as the reference does for its netCDF files, so that a single-pair run
// never overwrites the reports of a whole-stack run.
#include <filesystem>
#include <string>
#include <vector>

#include "pjd/detect.hpp"
#include "pjd/stack.hpp"

namespace pjd {

/// <mintpy dir>/pj_evaluation, the reference's output directory.
std::filesystem::path default_out_dir(const Stack& stack);

/// File names (without directory), reference names, "<pair>_" prefixed with --pair.
struct OutputNames {
  std::string intensity_nc;    ///< intensity_pct.nc: int_pct (pair, Y) int16, percent, _FillValue -999
  std::string counts_nc;       ///< coherence_cts.nc: NoNanCounts (pair, Y) int16, no fill value
  std::string median_nc;       ///< median_az_grad_mm.nc: abs_grad_az_mm (pair, Y) float32, mm, _FillValue NaN
  std::string mask_counts_nc;  ///< maskCoh_cts.nc: maskCoh_cts (Y) int32, when the average-coherence mask is used
  std::string stats_txt;       ///< stats_absolute_gradient.txt
  std::string coordinates_txt; ///< pj_coordinates.txt
  std::string magnitude_txt;   ///< magnitude_phase_jumps.txt (not written when no pair was assessed, as the reference)
  std::string exclude_pairs_txt;  ///< exclude_listdate12_interferograms_by_phase_jump.txt
  std::string exclude_dates_txt;  ///< exclude_dates_by_phase_jumps.txt
  std::string summary_json;    ///< summary.json: to_json(result)
};
OutputNames output_names(const DetectResult& result);

/// The reference's text reports, byte for byte (numbers as str(np.round(x, 2))).
std::string format_stats_txt(const DetectResult& result);
std::string format_coordinates_txt(const DetectResult& result);
/// Empty when no pair has a ramp (the reference then writes no file).
std::string format_magnitude_txt(const DetectResult& result);
std::string format_exclude_pairs_txt(const DetectResult& result);
std::string format_exclude_dates_txt(const DetectResult& result);

/// Writes every output into `out_dir` (created if needed) and returns the paths written,
/// in writing order. maskCoh_cts.nc (mask not used) and magnitude_phase_jumps.txt (no
/// pair assessed) are not written; a copy left there by an earlier run is removed. Throws pjd::Error (Io) naming the file that could not be written;
/// no temporary file is left behind. `with_summary` = false skips summary.json.
std::vector<std::filesystem::path> write_outputs(const DetectResult& result, const std::filesystem::path& out_dir,
                                                 bool with_summary = true);

/// A `pjd detect` result read back from its summary.json.
struct LoadedResult {
  DetectResult result;
  std::string run_id;                   ///< "run_id" when present, else empty
  std::filesystem::path summary_file;
  std::filesystem::path stack_file;     ///< resolved: as written, else relative to the result directory
};

/// Reads RESULT_DIR/summary.json (or the file itself). Throws pjd::Error (Data) naming
/// the file when it is missing or malformed.
LoadedResult read_result_summary(const std::filesystem::path& result);

/// geometryRadar.h5 next to the stack that a result names.
std::filesystem::path geometry_path_for_stack_file(const std::filesystem::path& stack_file);

}  // namespace pjd
