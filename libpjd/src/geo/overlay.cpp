// Geocoded overlays: seam lines, burst polygons, footprint (see pjd/overlay.hpp).
#include "pjd/overlay.hpp"

#include "io/gdal_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <variant>

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include "pjd/catalog.hpp"
#include "pjd/error.hpp"

namespace fs = std::filesystem;

namespace pjd {

namespace {

struct FormatInfo {
  OverlayFormat format;  ///< named by EnumNames<OverlayFormat>
  const char* driver;
  const char* ext;  ///< with the dot
  bool multi_layer;  ///< one file holds every layer
};

constexpr FormatInfo kFormats[] = {
    {OverlayFormat::Gpkg, "GPKG", ".gpkg", true},
    {OverlayFormat::GeoJson, "GeoJSON", ".geojson", false},
    {OverlayFormat::Kml, "KML", ".kml", true},
    {OverlayFormat::Fgb, "FlatGeobuf", ".fgb", false},
    {OverlayFormat::Shp, "ESRI Shapefile", ".shp", false},
};

const FormatInfo& info(OverlayFormat f) {
  for (const auto& i : kFormats)
    if (i.format == f) return i;
  throw_usage("unknown output format");
}

using QuietGdal = gdal::Quiet;
std::string gdal_message() { return gdal::last_message(); }

OGRSpatialReference wgs84() {
  OGRSpatialReference s;
  s.importFromEPSG(4326);
  s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return s;
}

struct CtDeleter {
  void operator()(OGRCoordinateTransformation* ct) const { OGRCoordinateTransformation::DestroyCT(ct); }
};
using CtPtr = std::unique_ptr<OGRCoordinateTransformation, CtDeleter>;

bool same_cell(const LineVertex& a, const LineVertex& b) { return a.row == b.row && a.col == b.col; }

void check_block(const Geometry& g, std::size_t row0, std::size_t row1, std::size_t x0, std::size_t x1) {
  if (row0 >= row1 || row1 > g.length || x0 >= x1 || x1 > g.width)
    throw_data(g.file.string(), "rows [" + std::to_string(row0) + ", " + std::to_string(row1) + ") and columns [" +
                                    std::to_string(x0) + ", " + std::to_string(x1) + ") do not fit the geometry (" +
                                    std::to_string(g.length) + " x " + std::to_string(g.width) + ")");
}

}  // namespace

std::optional<OverlayFormat> format_from_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".json") return OverlayFormat::GeoJson;
  for (const auto& i : kFormats)
    if (ext == i.ext) return i.format;
  return std::nullopt;
}

bool valid_cell(const Geometry& g, std::size_t row, std::size_t col) {
  const std::size_t k = row * g.width + col;
  const float lat = g.latitude_deg[k], lon = g.longitude_deg[k];
  return std::isfinite(lat) && std::isfinite(lon) && !(lat == 0.0f && lon == 0.0f);
}

LinePart thin_part(const LinePart& part, double tolerance_m) {
  if (!(tolerance_m > 0) || part.size() <= 2) return part;
  gdal::init();
  if (!OGRGeometryFactory::haveGEOS()) return part;  // no simplifier: keeping every vertex is always within tolerance
  QuietGdal quiet;
  // A local metric frame: azimuthal equidistant centred on the part.
  double lon0 = 0, lat0 = 0;
  for (const auto& v : part) {
    lon0 += v.lon;
    lat0 += v.lat;
  }
  lon0 /= double(part.size());
  lat0 /= double(part.size());
  OGRSpatialReference src = wgs84(), local;
  char proj4[160];
  std::snprintf(proj4, sizeof proj4, "+proj=aeqd +lat_0=%.12f +lon_0=%.12f +datum=WGS84 +units=m +no_defs", lat0,
                lon0);
  if (local.importFromProj4(proj4) != OGRERR_NONE) return part;
  local.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  CtPtr ct(OGRCreateCoordinateTransformation(&src, &local));
  if (!ct) return part;
  const std::size_t n = part.size();
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = part[i].lon;
    y[i] = part[i].lat;
  }
  if (!ct->Transform(n, x.data(), y.data())) return part;
  OGRLineString line;
  line.setPoints(int(n), x.data(), y.data());
  std::unique_ptr<OGRGeometry> simple(line.Simplify(tolerance_m));  // GEOS Douglas-Peucker
  if (!simple || wkbFlatten(simple->getGeometryType()) != wkbLineString) return part;
  const OGRLineString* s = simple->toLineString();
  // Douglas-Peucker keeps a subset of the input vertices unchanged: map them back.
  LinePart out;
  std::size_t k = 0;
  for (int i = 0; i < s->getNumPoints(); ++i) {
    const double px = s->getX(i), py = s->getY(i);
    while (k < n && !(x[k] == px && y[k] == py)) ++k;
    if (k == n) return part;
    out.push_back(part[k++]);
  }
  if (out.size() < 2 || !same_cell(out.front(), part.front()) || !same_cell(out.back(), part.back())) return part;
  return out;
}

std::vector<LinePart> seam_line_parts(const Geometry& g, std::size_t row, std::size_t x0, std::size_t x1,
                                      double tolerance_m) {
  check_block(g, row, row + 1, x0, x1);
  std::vector<LinePart> parts;
  LinePart current;
  auto flush = [&] {
    if (current.size() >= 2) parts.push_back(thin_part(current, tolerance_m));
    current.clear();
  };
  for (std::size_t c = x0; c < x1; ++c) {
    if (!valid_cell(g, row, c)) {
      flush();
      continue;
    }
    const std::size_t k = row * g.width + c;
    current.push_back({row, c, double(g.longitude_deg[k]), double(g.latitude_deg[k])});
  }
  flush();
  return parts;
}

LinePart outline_ring(const Geometry& g, std::size_t row0, std::size_t row1, std::size_t x0, std::size_t x1,
                      double tolerance_m) {
  check_block(g, row0, row1, x0, x1);
  if (row1 - row0 < 2 || x1 - x0 < 2) return {};
  auto vertex = [&](std::size_t r, std::size_t c) {
    const std::size_t k = r * g.width + c;
    return LineVertex{r, c, double(g.longitude_deg[k]), double(g.latitude_deg[k])};
  };
  LinePart ring;
  auto add_side = [&](const std::vector<std::pair<std::size_t, std::size_t>>& cells) {
    LinePart side;
    for (const auto& [r, c] : cells)
      if (valid_cell(g, r, c)) side.push_back(vertex(r, c));
    for (const auto& v : thin_part(side, tolerance_m))
      if (ring.empty() || !same_cell(ring.back(), v)) ring.push_back(v);
  };
  std::vector<std::pair<std::size_t, std::size_t>> cells;
  for (std::size_t c = x0; c < x1; ++c) cells.emplace_back(row0, c);  // top, left to right
  add_side(cells);
  cells.clear();
  for (std::size_t r = row0; r < row1; ++r) cells.emplace_back(r, x1 - 1);  // last column, down
  add_side(cells);
  cells.clear();
  for (std::size_t c = x1; c-- > x0;) cells.emplace_back(row1 - 1, c);  // bottom, right to left
  add_side(cells);
  cells.clear();
  for (std::size_t r = row1; r-- > row0;) cells.emplace_back(r, x0);  // first column, up
  add_side(cells);
  if (ring.empty()) return {};
  if (!same_cell(ring.front(), ring.back())) ring.push_back(ring.front());
  std::set<std::pair<std::size_t, std::size_t>> distinct;
  for (const auto& v : ring) distinct.emplace(v.row, v.col);
  if (distinct.size() < 3) return {};
  return ring;
}

std::vector<BurstExtent> burst_extents(std::size_t length, const std::vector<SeamRow>& seams) {
  std::vector<BurstExtent> out;
  std::size_t start = 0;
  int index = 1;
  for (const auto& s : seams) {
    if (s.row > start && s.row < length) {
      out.push_back({index++, start, s.row - 1});
      start = s.row;
    }
  }
  if (start < length) out.push_back({index, start, length - 1});
  return out;
}

/// The stack columns a seam is drawn over: its sub-swath's when the result has merged
/// sub-swaths (robust), else the analysed columns.
std::pair<std::size_t, std::size_t> seam_columns(const DetectResult& result, const SeamRow& s) {
  if (result.subswaths.size() > 1 && s.subswath < result.subswaths.size()) {
    const auto& sw = result.subswaths[s.subswath];
    if (sw.x0 < sw.x1 && sw.x1 <= result.width) return {sw.x0, sw.x1};
  }
  return {result.x0, result.x1};
}

std::size_t pairs_above_threshold(const DetectResult& result) {
  std::size_t n = 0;
  for (const auto& p : result.pairs)
    if (p.ramp_mm && *p.ramp_mm >= result.params.pj_thr_mm) ++n;
  return n;
}

std::string resolve_crs(const std::string& crs, const Geometry& g, std::size_t x0, std::size_t x1) {
  if (crs != "auto-utm") return crs;
  check_block(g, 0, g.length, x0, x1);
  // Mean position of the valid cells, from at most ~1000 rows.
  const std::size_t step = std::max<std::size_t>(1, g.length / 1000);
  double slon = 0, slat = 0;
  std::size_t n = 0;
  for (std::size_t r = 0; r < g.length; r += step)
    for (std::size_t c = x0; c < x1; ++c)
      if (valid_cell(g, r, c)) {
        slon += g.longitude_deg[r * g.width + c];
        slat += g.latitude_deg[r * g.width + c];
        ++n;
      }
  if (n == 0) throw_data(g.file.string(), "no valid latitude/longitude in the analysed columns (auto-utm)");
  const double lon = slon / double(n), lat = slat / double(n);
  int zone = int(std::floor((lon + 180.0) / 6.0)) + 1;
  zone = std::clamp(zone, 1, 60);
  return "EPSG:" + std::to_string((lat >= 0 ? 32600 : 32700) + zone);
}

// ---------------------------------------------------------------------------------------
// Writing

namespace {

using Value = std::variant<std::monostate, long long, double, std::string>;

struct Field {
  std::string name;
  std::string shp_name;  ///< shapefile column names are limited to 10 characters
  OGRFieldType type;
};

struct Feature {
  std::unique_ptr<OGRGeometry> geometry;
  std::vector<Value> values;
};

struct Layer {
  std::string name;
  OGRwkbGeometryType type;
  std::vector<Field> fields;
  std::vector<Feature> features;
};

/// Transforms WGS84 lon/lat vertices to the output CRS (identity when ct is null).
class Projector {
 public:
  Projector(OGRCoordinateTransformation* ct, std::string crs) : ct_(ct), crs_(std::move(crs)) {}

  void points(const LinePart& part, std::vector<double>& x, std::vector<double>& y) const {
    x.resize(part.size());
    y.resize(part.size());
    for (std::size_t i = 0; i < part.size(); ++i) {
      x[i] = part[i].lon;
      y[i] = part[i].lat;
    }
    if (!ct_ || part.empty()) return;
    std::vector<int> ok(part.size(), 0);
    if (!ct_->Transform(part.size(), x.data(), y.data(), nullptr, ok.data()) ||
        std::find(ok.begin(), ok.end(), 0) != ok.end()) {
      std::size_t bad = 0;
      while (bad + 1 < ok.size() && ok[bad]) ++bad;
      throw_usage("CRS '" + crs_ + "' cannot represent the position of radar cell (row " +
                  std::to_string(part[bad].row) + ", column " + std::to_string(part[bad].col) + ")");
    }
  }

  std::unique_ptr<OGRGeometry> lines(const std::vector<LinePart>& parts) const {
    auto multi = std::make_unique<OGRMultiLineString>();
    std::vector<double> x, y;
    for (const auto& p : parts) {
      points(p, x, y);
      auto line = std::make_unique<OGRLineString>();
      line->setPoints(int(p.size()), x.data(), y.data());
      multi->addGeometryDirectly(line.release());
    }
    return multi;
  }

  std::unique_ptr<OGRGeometry> polygon(const LinePart& ring) const {
    std::vector<double> x, y;
    points(ring, x, y);
    auto r = std::make_unique<OGRLinearRing>();
    r->setPoints(int(ring.size()), x.data(), y.data());
    r->closeRings();
    auto poly = std::make_unique<OGRPolygon>();
    poly->addRingDirectly(r.release());
    return poly;
  }

 private:
  OGRCoordinateTransformation* ct_;
  std::string crs_;
};

std::vector<Layer> build_layers(const DetectResult& result, const Geometry& g, const OverlayOptions& options,
                                const Projector& proj, std::vector<std::string>& warnings) {
  const Value run = options.run.empty() ? Value{} : Value{options.run};
  const Value stack{result.stack_file};
  std::vector<Layer> layers;
  for (const auto& name : options.layers) {
    Layer layer;
    layer.name = name;
    if (name == "seams") {
      layer.type = wkbMultiLineString;
      layer.fields = {{"stack", "stack", OFTString},
                      {"run", "run", OFTString},
                      {"seam_index", "seam_index", OFTInteger},
                      {"row", "row", OFTInteger},
                      {"votes", "votes", OFTInteger},
                      {"median_jump_mm", "med_jmp_mm", OFTReal},
                      {"n_pairs_above_thr", "n_above", OFTInteger},
                      {"method", "method", OFTString},
                      {"subswath", "subswath", OFTString}};
      const long long above = static_cast<long long>(pairs_above_threshold(result));
      if (result.seams.empty()) warnings.push_back("no seams in the result: the seams layer is empty");
      for (std::size_t i = 0; i < result.seams.size(); ++i) {
        const SeamRow& s = result.seams[i];
        const auto [c0, c1] = seam_columns(result, s);
        const auto parts = seam_line_parts(g, s.row, c0, c1, options.tolerance_m);
        if (parts.empty()) {
          warnings.push_back("seam " + std::to_string(i + 1) + " (row " + std::to_string(s.row) +
                             ") has no valid latitude/longitude in the analysed columns: left out");
          continue;
        }
        Feature f;
        f.geometry = proj.lines(parts);
        f.values = {stack,
                    run,
                    Value{static_cast<long long>(i + 1)},
                    Value{static_cast<long long>(s.row)},
                    Value{static_cast<long long>(s.votes)},
                    std::isfinite(s.median_grad_mm) ? Value{s.median_grad_mm} : Value{},
                    Value{above},
                    Value{result.params.method},
                    s.subswath < result.subswaths.size() ? Value{result.subswaths[s.subswath].name} : Value{}};
        layer.features.push_back(std::move(f));
      }
    } else if (name == "bursts") {
      layer.type = wkbPolygon;
      layer.fields = {{"stack", "stack", OFTString},     {"run", "run", OFTString},
                      {"burst_index", "burst_idx", OFTInteger}, {"row_first", "row_first", OFTInteger},
                      {"row_last", "row_last", OFTInteger},     {"n_rows", "n_rows", OFTInteger},
                      {"subswath", "subswath", OFTString}};
      // Merged sub-swaths (robust): each has its own bursts, over its own columns.
      struct Part {
        std::size_t x0, x1;
        std::vector<SeamRow> seams;
        Value name;
      };
      std::vector<Part> sw_parts;
      if (result.subswaths.size() > 1) {
        for (std::size_t k = 0; k < result.subswaths.size(); ++k) {
          Part part{result.subswaths[k].x0, result.subswaths[k].x1, {}, Value{result.subswaths[k].name}};
          for (const auto& s : result.seams)
            if (s.subswath == k) part.seams.push_back(s);
          sw_parts.push_back(std::move(part));
        }
      } else {
        sw_parts.push_back({result.x0, result.x1, result.seams,
                            result.subswaths.empty() ? Value{} : Value{result.subswaths[0].name}});
      }
      for (const auto& part : sw_parts) {
        for (const auto& b : burst_extents(result.length, part.seams)) {
          const LinePart ring = outline_ring(g, b.row_first, b.row_last + 1, part.x0, part.x1, options.tolerance_m);
          if (ring.empty()) {
            warnings.push_back("burst " + std::to_string(b.index) + " (rows " + std::to_string(b.row_first) + "-" +
                               std::to_string(b.row_last) + ") has no outline (too small or no valid cells): left out");
            continue;
          }
          Feature f;
          f.geometry = proj.polygon(ring);
          f.values = {stack,
                      run,
                      Value{static_cast<long long>(b.index)},
                      Value{static_cast<long long>(b.row_first)},
                      Value{static_cast<long long>(b.row_last)},
                      Value{static_cast<long long>(b.row_last - b.row_first + 1)},
                      part.name};
          layer.features.push_back(std::move(f));
        }
      }
    } else {  // footprint
      layer.type = wkbPolygon;
      layer.fields = {{"stack", "stack", OFTString},
                      {"run", "run", OFTString},
                      {"length", "length", OFTInteger},
                      {"width", "width", OFTInteger},
                      {"x0", "x0", OFTInteger},
                      {"x1", "x1", OFTInteger},
                      {"orbit_direction", "orbit", OFTString}};
      const LinePart ring = outline_ring(g, 0, result.length, result.x0, result.x1, options.tolerance_m);
      if (ring.empty()) {
        warnings.push_back("the analysed area has no outline (too small or no valid cells): footprint left out");
      } else {
        Feature f;
        f.geometry = proj.polygon(ring);
        f.values = {stack,
                    run,
                    Value{static_cast<long long>(result.length)},
                    Value{static_cast<long long>(result.width)},
                    Value{static_cast<long long>(result.x0)},
                    Value{static_cast<long long>(result.x1)},
                    Value{result.orbit_direction}};
        layer.features.push_back(std::move(f));
      }
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

/// Sets a feature's attributes and geometry: value i into field index[i] (default: field i).
void fill_feature(OGRFeature& f, const Feature& feat, const std::vector<int>* index = nullptr) {
  for (std::size_t i = 0; i < feat.values.size(); ++i) {
    const int idx = index ? (*index)[i] : int(i);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>)
            f.SetFieldNull(idx);
          else if constexpr (std::is_same_v<T, long long>)
            f.SetField(idx, static_cast<GIntBig>(v));
          else if constexpr (std::is_same_v<T, double>)
            f.SetField(idx, v);
          else
            f.SetField(idx, v.c_str());
        },
        feat.values[i]);
  }
  f.SetGeometry(feat.geometry.get());
}

/// Writes `layers` into one new dataset at `path`.
void write_dataset(const FormatInfo& fmt, const fs::path& path, const std::vector<const Layer*>& layers,
                   const OGRSpatialReference& srs, const fs::path& out_for_messages) {
  const std::string where = out_for_messages.string();
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(fmt.driver);
  if (!driver) throw_io(where, std::string("GDAL has no ") + fmt.driver + " driver");
  CPLErrorReset();
  GDALDataset* ds = driver->Create(path.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (!ds) throw_io(where, "cannot create " + std::string(name_of(fmt.format)) + " output: " + gdal_message());
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> guard(ds, [](GDALDataset* d) { GDALClose(d); });
  const bool shp = fmt.format == OverlayFormat::Shp;
  for (const Layer* layer : layers) {
    OGRLayer* l = ds->CreateLayer(layer->name.c_str(), const_cast<OGRSpatialReference*>(&srs), layer->type, nullptr);
    if (!l) throw_io(where, "cannot create layer '" + layer->name + "': " + gdal_message());
    for (const auto& field : layer->fields) {
      OGRFieldDefn def(shp ? field.shp_name.c_str() : field.name.c_str(), field.type);
      if (shp && field.type == OFTString) def.SetWidth(254);
      if (l->CreateField(&def) != OGRERR_NONE)
        throw_io(where, "cannot create field '" + field.name + "': " + gdal_message());
    }
    for (const auto& feat : layer->features) {
      OGRFeature f(l->GetLayerDefn());
      fill_feature(f, feat);
      if (l->CreateFeature(&f) != OGRERR_NONE)
        throw_io(where, "cannot write a feature of layer '" + layer->name + "': " + gdal_message());
    }
  }
  CPLErrorReset();
  ds->FlushCache();
  if (CPLGetLastErrorType() >= CE_Failure) throw_io(where, "cannot write: " + gdal_message());
  guard.reset();  // GDALClose: writes the rest (shapefile headers, spatial indexes)
  if (CPLGetLastErrorType() >= CE_Failure) throw_io(where, "cannot finish writing: " + gdal_message());
}

/// A hidden directory next to the output; removed (with anything in it) when it dies.
class Staging {
 public:
  explicit Staging(const fs::path& out) {
    static std::atomic<unsigned> counter{0};
    const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    dir_ = parent / (".pjd-overlay-" + out.filename().string() + "-" + std::to_string(::getpid()) + "-" +
                     std::to_string(counter++));
    std::error_code ec;
    if (!fs::create_directory(dir_, ec) || ec)
      throw_io(out.string(), "cannot create a temporary directory next to the output: " + ec.message());
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

}  // namespace

OverlayReport write_overlay(const DetectResult& result, const Geometry& g, const OverlayOptions& options,
                            const fs::path& out) {
  gdal::init();
  // Options.
  if (!std::isfinite(options.tolerance_m) || options.tolerance_m < 0)
    throw_usage("--tolerance-m must be a number >= 0");
  if (options.layers.empty()) throw_usage("--layers: name at least one of seams, bursts, footprint");
  std::set<std::string> seen;
  for (const auto& l : options.layers) {
    if (std::find(kOverlayLayers.begin(), kOverlayLayers.end(), l) == kOverlayLayers.end())
      throw_usage("--layers: unknown layer '" + l + "' (choose from seams, bursts, footprint)");
    if (!seen.insert(l).second) throw_usage("--layers: layer '" + l + "' named twice");
  }
  if (out.empty()) throw_usage("--out: no output path");
  const FormatInfo& fmt = info(options.format);

  // The geometry against the result.
  if (g.length != result.length || g.width != result.width)
    throw_data(g.file.string(), "geometry is " + std::to_string(g.length) + " x " + std::to_string(g.width) +
                                    " but the stack is " + std::to_string(result.length) + " x " +
                                    std::to_string(result.width));
  if (g.latitude_deg.size() != g.length * g.width || g.longitude_deg.size() != g.length * g.width)
    throw_data(g.file.string(), "latitude/longitude do not hold length x width values");
  if (result.x0 >= result.x1 || result.x1 > result.width)
    throw_data(result.stack_file, "analysed columns [" + std::to_string(result.x0) + ", " +
                                      std::to_string(result.x1) + ") do not fit the width " +
                                      std::to_string(result.width));
  for (const auto& s : result.seams)
    if (s.row >= result.length)
      throw_data(result.stack_file, "seam row " + std::to_string(s.row) + " is outside the " +
                                        std::to_string(result.length) + " rows");

  // The CRS.
  QuietGdal quiet;
  OverlayReport report;
  report.crs = resolve_crs(options.crs, g, result.x0, result.x1);
  OGRSpatialReference target;
  if (report.crs.empty() || target.SetFromUserInput(report.crs.c_str()) != OGRERR_NONE)
    throw_usage("--crs: unknown CRS '" + options.crs + "'");
  target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const OGRSpatialReference geographic = wgs84();
  const bool identity = target.IsSame(&geographic);
  if (options.format == OverlayFormat::Kml && !identity)
    throw_usage("KML holds WGS84 longitude/latitude only: use --crs EPSG:4326 (the default) with --format kml");
  CtPtr ct;
  if (!identity) {
    ct.reset(OGRCreateCoordinateTransformation(&geographic, &target));
    if (!ct) throw_usage("--crs: cannot transform WGS84 to '" + options.crs + "': " + gdal_message());
  }
  const Projector proj(ct.get(), report.crs);

  // Every feature is built before anything is written.
  const std::vector<Layer> layers = build_layers(result, g, options, proj, report.warnings);

  // Output layout.
  const bool single_file =
      fmt.multi_layer || (layers.size() == 1 && format_from_extension(out) == options.format);
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) throw_io(out.string(), "the directory " + parent.string() + " does not exist");
  if (single_file && fs::is_directory(out, ec)) throw_io(out.string(), "is a directory; expected a file name");
  if (!single_file && fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw_io(out.string(), std::string("exists and is not a directory (") + std::string(name_of(fmt.format)) +
                               " writes one file per layer into a directory unless one layer is asked for and "
                               "--out ends in " + fmt.ext + ")");

  Staging staging(out);
  if (single_file) {
    std::vector<const Layer*> all;
    for (const auto& l : layers) all.push_back(&l);
    write_dataset(fmt, staging.dir() / out.filename(), all, target, out);
  } else {
    for (const auto& l : layers) write_dataset(fmt, staging.dir() / (l.name + fmt.ext), {&l}, target, out);
  }

  // Rename into place: each file (shapefile sidecars included).
  const fs::path dest = single_file ? parent : out;
  if (!single_file) {
    fs::create_directories(dest, ec);
    if (ec) throw_io(out.string(), "cannot create the output directory: " + ec.message());
  }
  std::vector<fs::path> staged;
  for (const auto& e : fs::directory_iterator(staging.dir())) staged.push_back(e.path());
  std::sort(staged.begin(), staged.end());
  for (const auto& src : staged) {
    const fs::path target_path = dest / src.filename();
    fs::rename(src, target_path, ec);
    if (ec) throw_io(target_path.string(), "cannot move the finished file into place: " + ec.message());
    report.files.push_back(target_path);
  }
  for (const auto& l : layers) report.features[l.name] = l.features.size();
  return report;
}

std::size_t add_overlay_to_catalog(const DetectResult& result, const Geometry& g, const OverlayOptions& options,
                                   const fs::path& catalog) {
  gdal::init();
  if (g.length != result.length || g.width != result.width)
    throw_data(g.file.string(), "geometry is " + std::to_string(g.length) + " x " + std::to_string(g.width) +
                                    " but the stack is " + std::to_string(result.length) + " x " +
                                    std::to_string(result.width));
  if (options.run.empty()) throw_usage("a catalogue layer needs the run id");
  QuietGdal quiet;
  const Projector proj(nullptr, "EPSG:4326");
  std::vector<std::string> warnings;
  const std::vector<Layer> layers = build_layers(result, g, options, proj, warnings);

  const std::string where = catalog.string();
  CPLErrorReset();
  GDALDataset* ds = static_cast<GDALDataset*>(
      GDALOpenEx(where.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr));
  if (!ds) throw_io(where, "cannot open the catalogue for its map layers: " + gdal_message());
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> guard(ds, [](GDALDataset* d) { GDALClose(d); });
  // One transaction: the run's features in every layer, replacing any it had before.
  if (ds->StartTransaction() != OGRERR_NONE) throw_io(where, "cannot start a transaction: " + gdal_message());
  std::size_t written = 0;
  try {
    for (const auto& layer : layers) {
      // The layers and their fields are part of the catalogue's layout (db/layout_0005.sql):
      // written into, never created here.
      const std::string name = "pjd_" + layer.name;
      OGRLayer* l = ds->GetLayerByName(name.c_str());
      if (!l)
        throw_data(where, "the catalogue has no map layer '" + name +
                              "' (it comes with catalogue layout 5: open the catalogue with this pjd once to "
                              "upgrade it)");
      std::vector<int> index;
      std::string missing;
      for (const auto& field : layer.fields) {
        index.push_back(l->GetLayerDefn()->GetFieldIndex(field.name.c_str()));
        if (index.back() < 0) missing += (missing.empty() ? "'" : ", '") + field.name + "'";
      }
      if (!missing.empty())
        throw_data(where, "the catalogue's map layer '" + name + "' has no field " + missing +
                              " (a damaged or foreign catalogue layout)");
      l->SetAttributeFilter(("run = '" + options.run + "'").c_str());
      std::vector<GIntBig> old;
      l->ResetReading();
      for (auto& f : *l) old.push_back(f->GetFID());
      l->SetAttributeFilter(nullptr);
      for (GIntBig fid : old)
        if (l->DeleteFeature(fid) != OGRERR_NONE)
          throw_io(where, "cannot replace the run's earlier features in '" + name + "': " + gdal_message());
      for (const auto& feat : layer.features) {
        OGRFeature f(l->GetLayerDefn());
        fill_feature(f, feat, &index);
        if (l->CreateFeature(&f) != OGRERR_NONE)
          throw_io(where, "cannot write a feature of layer '" + name + "': " + gdal_message());
        ++written;
      }
    }
    if (ds->CommitTransaction() != OGRERR_NONE) throw_io(where, "cannot commit the map layers: " + gdal_message());
  } catch (...) {
    ds->RollbackTransaction();
    throw;
  }
  return written;
}

namespace {

/// A GeoPackage geometry blob: the "GP" header (version 0, little-endian, the envelope
/// [minx, maxx, miny, maxy] unless empty), the SRS id, then the geometry as ISO WKB.
std::vector<unsigned char> gpkg_geometry_blob(const OGRGeometry& geom, std::int32_t srs_id) {
  const bool empty = geom.IsEmpty();
  const std::size_t header = 8 + (empty ? 0 : 32);
  std::vector<unsigned char> b(header + static_cast<std::size_t>(geom.WkbSize()));
  b[0] = 'G';
  b[1] = 'P';
  b[2] = 0;
  b[3] = static_cast<unsigned char>(0x01 | (empty ? 0x10 : 0x02));  // little-endian; empty, or envelope type 1
  std::memcpy(b.data() + 4, &srs_id, 4);
  if (!empty) {
    OGREnvelope env;
    geom.getEnvelope(&env);
    const double e[4] = {env.MinX, env.MaxX, env.MinY, env.MaxY};
    std::memcpy(b.data() + 8, e, 32);
  }
  if (geom.exportToWkb(wkbNDR, b.data() + header, wkbVariantIso) != OGRERR_NONE)
    throw_io("", "cannot encode a map feature's geometry");
  return b;
}

}  // namespace

std::vector<MapLayerRows> catalog_map_layers(const DetectResult& result, const Geometry& g,
                                             const std::vector<std::string>& layer_names, double tolerance_m) {
  gdal::init();
  if (g.length != result.length || g.width != result.width)
    throw_data(g.file.string(), "geometry is " + std::to_string(g.length) + " x " + std::to_string(g.width) +
                                    " but the stack is " + std::to_string(result.length) + " x " +
                                    std::to_string(result.width));
  QuietGdal quiet;
  OverlayOptions options;
  options.layers = layer_names;
  options.tolerance_m = tolerance_m;
  options.run = "0";  // Catalog::record_run sets the run's id
  const Projector proj(nullptr, "EPSG:4326");
  std::vector<std::string> warnings;
  std::vector<MapLayerRows> out;
  for (auto& layer : build_layers(result, g, options, proj, warnings)) {
    MapLayerRows m;
    m.table = "pjd_" + layer.name;
    for (const auto& f : layer.fields) m.fields.push_back(f.name);
    for (const auto& feat : layer.features) {
      MapLayerRows::Row row;
      for (const auto& v : feat.values)
        row.values.push_back(std::visit(
            [](const auto& x) -> nlohmann::json {
              using T = std::decay_t<decltype(x)>;
              if constexpr (std::is_same_v<T, std::monostate>)
                return nullptr;
              else
                return x;
            },
            v));
      if (feat.geometry) row.geometry = gpkg_geometry_blob(*feat.geometry, 4326);
      m.rows.push_back(std::move(row));
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace pjd
