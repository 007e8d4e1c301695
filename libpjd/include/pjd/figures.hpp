#pragma once
// Figures of a detection, drawn with PLplot (cairo drivers): the reference
// implementation's set, drawn from a DetectResult (plus the stack for per-pair panels
// and, when the result does not carry it, the average coherence).
//
// Summary figures (file names as the reference; "<pair>_" prefixed with --pair):
//   timeserie_phase_jump      ramp (mm) of each assessed pair by reference date, kept and
//                             excluded pairs, threshold, mean per reference date
//   masked_intensity          intensity (pairs x rows) before and after row-reliability
//                             masking (and after the average-coherence mask when used)
//   detrended_intensity       the detrended intensity and its gradient, seam rows marked
//   average_coherence_mask    mean coherence, its cmin mask, and row reliability (valid
//                             cells per row over the pairs versus the mask)
// Per pair (--plot-ind): abs_grad_az_<pair>: unwrapped phase, |azimuth gradient| (mm) and
// the intensity profile with the seams.
//
// Azimuth is drawn as the reference does: ascending orbits with row 0 at the bottom,
// descending orbits with row 0 at the top and range increasing to the left.
//
// PLplot keeps global state: every function here serialises its drawing on one
// process-wide lock, so figures may be drawn from a worker thread.
// Every file is written atomically. Errors are pjd::Error (Usage for a bad format,
// Io when a file cannot be written, Data when the result or stack does not fit).
#include <cstddef>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "pjd/detect.hpp"
#include "pjd/enum_names.hpp"
#include "pjd/progress.hpp"
#include "pjd/stack.hpp"

namespace pjd {

enum class FigureFormat { Png, Svg, Pdf };

template <>
struct EnumNames<FigureFormat> {  // names are the file extensions
  static constexpr std::string_view what = "figure format";
  static constexpr std::array<std::pair<FigureFormat, std::string_view>, 3> names{
      {{FigureFormat::Png, "png"}, {FigureFormat::Svg, "svg"}, {FigureFormat::Pdf, "pdf"}}};
};

struct FigureOptions {
  FigureFormat format = FigureFormat::Png;
  /// Multiplies every figure's size in pixels (PNG) or points (SVG, PDF); fonts scale along.
  double scale = 1.0;
};

/// Size of one figure in pixels (PNG) at scale 1.
struct FigureSize {
  int width = 0;
  int height = 0;
};
/// The PNG size of a figure (by its base name, e.g. "masked_intensity") at `options.scale`.
FigureSize figure_size(const std::string& base_name, const FigureOptions& options);

/// File names (with extension) of the summary figures drawn for `result`:
/// average_coherence_mask only when `with_avg_coherence`.
std::vector<std::string> summary_figure_names(const DetectResult& result, const FigureOptions& options,
                                              bool with_avg_coherence);
/// File name of a pair's figure.
std::string pair_figure_name(const std::string& pair, const FigureOptions& options);

/// Temporal mean coherence of the pairs kept by dropIfgram over columns [x0, x1), as
/// detect() computes it (DetectResult::avg_coherence). One read pass over coherence.
std::vector<float> average_coherence(const Stack& stack, std::size_t x0, std::size_t x1,
                                     std::size_t block_bytes = 256u << 20);

/// Draws the summary figures into `dir` (created if needed) and returns the paths
/// written. `avg_coherence` ((rows x (x1-x0)), e.g. result.avg_coherence) may be empty:
/// average_coherence_mask is then not drawn.
std::vector<std::filesystem::path> write_summary_figures(const DetectResult& result,
                                                         const std::vector<float>& avg_coherence,
                                                         const std::filesystem::path& dir,
                                                         const FigureOptions& options = {});

/// One pair's images over the analysed columns, as the reference draws them.
struct PairImages {
  std::string pair;
  std::size_t rows = 0, cols = 0;
  std::vector<float> unw_rad;      ///< unwrapped phase (rad), NaN where coherence < cmin or no data
  std::vector<float> abs_grad_mm;  ///< |azimuth gradient| (mm), NaN at the edges, no data and > p99
};
/// Reads pair `pair` (a name in result.pairs) from the stack and derives its images.
/// Throws pjd::Error (Data) when the stack does not match the result.
PairImages pair_images(const Stack& stack, const DetectResult& result, const std::string& pair);

/// Draws one pair's figure into `dir`; returns its path.
std::filesystem::path write_pair_figure(const DetectResult& result, const PairImages& images,
                                        const std::filesystem::path& dir, const FigureOptions& options = {});

/// Every analysed pair's figure (reads the stack pair by pair). Progress in [0, 1].
std::vector<std::filesystem::path> write_pair_figures(const Stack& stack, const DetectResult& result,
                                                      const std::filesystem::path& dir,
                                                      const FigureOptions& options = {},
                                                      const ProgressFn& progress = {});

}  // namespace pjd
