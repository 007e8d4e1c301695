#pragma once
// Geocoded overlays of a detection result: seam lines, burst polygons and the stack
// footprint, written through GDAL/OGR in any CRS that PROJ knows.
//
// The geometry is built from geometryRadar.h5 (latitude/longitude per radar cell) as
// pure functions (seam_line_parts, outline_ring) so it can be tested without OGR;
// write_overlay() transforms it and writes the layers atomically.
//
// The input is a DetectResult, however it was obtained: a `pjd detect` directory
// (read_result_summary, pjd/outputs.hpp) or a catalogue run.
#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pjd/detect.hpp"
#include "pjd/enum_names.hpp"
#include "pjd/stack.hpp"

namespace pjd {

enum class OverlayFormat { Gpkg, GeoJson, Kml, Fgb, Shp };

template <>
struct EnumNames<OverlayFormat> {  // the names of --output-format, and the usual extensions
  static constexpr std::string_view what = "output format";
  static constexpr std::array<std::pair<OverlayFormat, std::string_view>, 5> names{{{OverlayFormat::Gpkg, "gpkg"},
                                                                                    {OverlayFormat::GeoJson, "geojson"},
                                                                                    {OverlayFormat::Kml, "kml"},
                                                                                    {OverlayFormat::Fgb, "fgb"},
                                                                                    {OverlayFormat::Shp, "shp"}}};
};
/// The format that a file name's extension implies (.gpkg, .geojson/.json, .kml,
/// .fgb, .shp; case-insensitive); nullopt when none does.
std::optional<OverlayFormat> format_from_extension(const std::filesystem::path& path);

/// The three layers, in the order they are written.
inline const std::vector<std::string> kOverlayLayers = {"seams", "bursts", "footprint"};

struct OverlayOptions {
  /// Output CRS: anything OGRSpatialReference::SetFromUserInput accepts (EPSG:xxxx, WKT,
  /// PROJJSON, PROJ strings) or "auto-utm" (the UTM zone of the analysed area's centroid).
  std::string crs = "EPSG:4326";
  /// Any of kOverlayLayers, each at most once.
  std::vector<std::string> layers = {"seams"};
  /// Largest distance (m) by which thinning may move a line off the cell centres; 0 keeps
  /// every vertex.
  double tolerance_m = 1.0;
  OverlayFormat format = OverlayFormat::Gpkg;
  /// Catalogue run id for the "run" attribute; empty = no catalogue (NULL).
  std::string run;
};

/// One vertex of a line or ring: a radar cell and its position (degrees, WGS84).
struct LineVertex {
  std::size_t row = 0;
  std::size_t col = 0;
  double lon = 0;
  double lat = 0;
};
using LinePart = std::vector<LineVertex>;

/// True when the cell has a usable position: finite latitude and longitude, and not the
/// (0, 0) that some processors write for no data.
bool valid_cell(const Geometry& g, std::size_t row, std::size_t col);

/// Douglas-Peucker thinning (GEOS, through OGR) in a local metric frame (azimuthal
/// equidistant, centred on the part): keeps the end points and every vertex needed to
/// stay within `tolerance_m` of all the original ones. tolerance_m <= 0 returns `part`.
LinePart thin_part(const LinePart& part, double tolerance_m);

/// The line through the cells of `row` at columns [x0, x1): invalid cells are skipped and
/// split the line; parts with fewer than two vertices are dropped; each part is thinned
/// with `tolerance_m`. Throws pjd::Error (Data) when row or columns lie outside `g`.
std::vector<LinePart> seam_line_parts(const Geometry& g, std::size_t row, std::size_t x0, std::size_t x1,
                                      double tolerance_m);

/// The closed outline (first vertex repeated at the end) of rows [row0, row1) and columns
/// [x0, x1), through the centres of the boundary cells: top row left to right, last
/// column down, bottom row right to left, first column up. Invalid cells are skipped;
/// each side is thinned separately (corners stay). Empty when the block is narrower than
/// two rows or two columns, or fewer than three distinct valid cells remain.
LinePart outline_ring(const Geometry& g, std::size_t row0, std::size_t row1, std::size_t x0, std::size_t x1,
                      double tolerance_m);

/// Burst b (1-based) covers rows [first, last]: rows 0 to the first seam - 1, between
/// consecutive seams, and the last seam to length - 1.
struct BurstExtent {
  int index = 0;
  std::size_t row_first = 0;
  std::size_t row_last = 0;
};
std::vector<BurstExtent> burst_extents(std::size_t length, const std::vector<SeamRow>& seams);

/// Number of assessed pairs whose ramp_mm >= params.pj_thr_mm (the pairs that the
/// threshold flags); the n_pairs_above_thr attribute of every seam.
std::size_t pairs_above_threshold(const DetectResult& result);

/// "auto-utm" -> "EPSG:326zz" / "EPSG:327zz" for the mean position of the valid cells in
/// columns [x0, x1); any other string is returned as given.
std::string resolve_crs(const std::string& crs, const Geometry& g, std::size_t x0, std::size_t x1);

struct OverlayReport {
  std::string crs;                              ///< the CRS written (auto-utm resolved)
  std::vector<std::filesystem::path> files;     ///< every file written
  std::map<std::string, std::size_t> features;  ///< layer -> feature count
  std::vector<std::string> warnings;            ///< e.g. no seams found
};

/// Checks `options` (layers, tolerance, CRS, format/CRS combination) and the geometry
/// against the result, builds the layers and writes them to `out`:
///   gpkg, kml: one file holding every layer;
///   geojson, fgb, shp: `out` is a file when one layer is asked for and `out` has the
///   format's extension, else a directory holding <layer>.<ext> per layer.
/// Everything is written to a temporary directory next to `out` and renamed into place
/// at the end; on any failure nothing is left behind and an existing `out` is untouched.
/// Throws pjd::Error: Usage for bad options, Data for a geometry that does not fit the
/// result, Io when the output cannot be written.
OverlayReport write_overlay(const DetectResult& result, const Geometry& geometry, const OverlayOptions& options,
                            const std::filesystem::path& out);

/// Adds the result's layers (options.layers, EPSG:4326, options.run required) to a
/// catalogue GeoPackage's layers pjd_seams, pjd_bursts, pjd_footprint, replacing the
/// run's earlier features, in one transaction. Returns the number of features written.
/// The layers are part of the catalogue's layout (db/layout_0005.sql; Catalog::open
/// upgrades an older catalogue): only features are written here, never layers or fields.
/// Throws pjd::Error (Data) naming the catalogue when a layer or a field is missing.
std::size_t add_overlay_to_catalog(const DetectResult& result, const Geometry& geometry, const OverlayOptions& options,
                                   const std::filesystem::path& catalog);

}  // namespace pjd
