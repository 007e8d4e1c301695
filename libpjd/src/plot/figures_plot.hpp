#pragma once
// Private: a thin layer over PLplot's C API for pjd's figures (panels in page
// fractions, images with a colour map and a no-data colour, colour bars, markers,
// legends). It draws nothing of its own: every line, glyph and pixel is PLplot's.
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "pjd/figures.hpp"

namespace pjd::plot {

/// Colour maps for images (cmap1): sequential (viridis, magma, greys), diverging
/// (RdBu reversed: blue low, white middle, red high) and a two-colour mask.
enum class Cmap { Viridis, Magma, Greys, RdBuR, Mask };

/// Fixed colours (cmap0 indices).
enum Colour : int {
  kWhite = 0,
  kBlack = 1,
  kGrey = 2,     ///< kept pairs, pair ranges (#AAB7B8, the reference's grey)
  kMagenta = 3,  ///< excluded pairs, threshold, mask (#EE3377, the reference's magenta)
  kBlue = 4,     ///< #5499C7
  kNoData = 5,   ///< light grey behind images: cells without a value
  kGreen = 6,    ///< seam markers on images (#009E73)
  kDarkGrey = 7,
  kOrange = 8,   ///< #E69F00
  kMaskOn = 9,   ///< the mask's two colours (as Cmap::Mask)
  kMaskOff = 10,
};

/// An axis: [min, max] in world units (max < min reverses it), a label, and whether
/// the values are seconds since 1970-01-01 (drawn as dates).
struct Axis {
  double min = 0, max = 1;
  std::string label;
  bool time = false;
  bool numbers = true;  ///< draw tick labels
  double tick = 0;      ///< major tick interval (0: PLplot chooses)
};

/// A rectangle in page fractions: x0 < x1, y0 < y1 (0 = left/bottom).
struct Box {
  double x0, x1, y0, y1;
};

/// One output file. Holds the process-wide PLplot lock from construction to
/// destruction; draws into a temporary next to `file`, renamed on finish().
class Figure {
 public:
  Figure(const std::filesystem::path& file, FigureFormat format, int width_px, int height_px, double scale);
  Figure(const Figure&) = delete;
  Figure& operator=(const Figure&) = delete;
  ~Figure();

  /// Ends the PLplot stream (the file is complete) and renames it into place.
  void finish();

  /// Title across the top of the page.
  void title(const std::string& text, const std::string& subtitle = "");

  /// Sets a panel: viewport, world window, no-data background (when `nodata_bg`),
  /// and remembers it for the drawing calls below; draw_frame() draws its axes.
  void panel(const Box& box, const Axis& x, const Axis& y, bool nodata_bg = false);
  void frame(const std::string& panel_title = "");

  /// An image of z (nx columns along x by ny rows along y, z[iy * nx + ix], NaN = not
  /// drawn) covering world [x0, x1] x [y0, y1] (cell edges), coloured over [vmin, vmax].
  void image(const std::vector<float>& z, std::size_t nx, std::size_t ny, double x0, double x1, double y0,
             double y1, double vmin, double vmax, Cmap cmap);
  /// A vertical colour bar in `box` for [vmin, vmax].
  void colour_bar(const Box& box, double vmin, double vmax, Cmap cmap, const std::string& label);

  void line(const std::vector<double>& x, const std::vector<double>& y, int colour, double width = 1.5,
            int style = 1);
  /// Polygon fill (e.g. a band between two curves).
  void fill(const std::vector<double>& x, const std::vector<double>& y, int colour);
  /// Markers: a Unicode glyph (e.g. "○") at each point.
  void markers(const std::vector<double>& x, const std::vector<double>& y, int colour, const std::string& glyph,
               double size = 1.0);
  void hline(double y, int colour, double width = 1.5, int style = 1);
  void vline(double x, int colour, double width = 1.5, int style = 1);
  /// Short marks just outside the left and right edges of the current panel at the
  /// world rows `ys`, with an optional label to the right.
  void edge_marks(const std::vector<double>& ys, int colour, const std::vector<std::string>& labels = {});
  /// Text at world coordinates (just: 0 left, 0.5 centre, 1 right).
  void text(double x, double y, const std::string& s, int colour = kBlack, double just = 0.0, double size = 1.0);
  /// Text in the current panel's fractions (0..1), independent of the world window.
  void text_frac(double fx, double fy, const std::string& s, int colour = kBlack, double just = 0.0,
                 double size = 1.0);

  struct LegendEntry {
    std::string label;
    int colour = kBlack;
    std::string glyph;  ///< a marker glyph, or empty for a line
    int style = 1;      ///< line style when glyph is empty
  };
  /// A legend box in the current panel, top-left corner at panel fractions (fx, fy).
  void legend(double fx, double fy, const std::vector<LegendEntry>& entries);

 private:
  void set_cmap(Cmap cmap);
  std::unique_lock<std::mutex> lock_;
  std::filesystem::path target_, tmp_;
  bool open_ = false;
  int stream_ = -1;
  double scale_ = 1.0;
  Box box_{0, 1, 0, 1};
  Axis x_, y_;
};

/// Values at the given percentiles (0-100) of the finite values of v (NaN when none).
std::vector<double> percentiles(const std::vector<float>& v, const std::vector<double>& pct);

/// Block means (NaN-aware) of z (ny rows of nx) so that neither side exceeds the maxima.
std::vector<float> downsample(const std::vector<float>& z, std::size_t nx, std::size_t ny, std::size_t max_nx,
                              std::size_t max_ny, std::size_t& out_nx, std::size_t& out_ny);

}  // namespace pjd::plot
