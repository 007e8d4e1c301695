// Geocoded overlays: seam-line construction, thinning, CRS, formats, failures.
// External checks use the GDAL/PROJ command-line tools (ogrinfo, ogr2ogr, cs2cs,
// gdaltransform), run through the shell.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "pjd/error.hpp"
#include "pjd/catalog.hpp"
#include "pjd/internal/catalog_handle.hpp"
#include "pjd/detect.hpp"
#include "pjd/outputs.hpp"
#include "pjd/overlay.hpp"
#include "pjd/simulate.hpp"
#include "pjd/stack.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::DetectResult;
using pjd::Geometry;
using pjd::LinePart;
using pjd::OverlayFormat;
using pjd::OverlayOptions;

namespace {

fs::path parity_geometry(const std::string& name) {
  return fs::path(pjd::test::kParityDir) / name / "inputs" / "geometryRadar.h5";
}

/// Runs a shell command; returns its stdout (stderr discarded), and the exit status.
std::string shell(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

/// A synthetic geometry near (-24.2, -66.3) (UTM 19S): rows go north-east, columns go
/// west with a gentle wiggle in latitude (amplitude ~3 m) so thinning has work to do.
Geometry synthetic(std::size_t length, std::size_t width) {
  Geometry g;
  g.file = "synthetic.h5";
  g.length = length;
  g.width = width;
  g.latitude_deg.resize(length * width);
  g.longitude_deg.resize(length * width);
  for (std::size_t r = 0; r < length; ++r)
    for (std::size_t c = 0; c < width; ++c) {
      g.latitude_deg[r * width + c] = float(-24.2 + 0.0009 * double(r) - 0.0001 * double(c) +
                                            3e-5 * std::sin(double(c) / 4.0));
      g.longitude_deg[r * width + c] = float(-66.3 + 0.0002 * double(r) - 0.0006 * double(c));
    }
  return g;
}

DetectResult result_for(const Geometry& g, std::vector<std::size_t> seam_rows, std::size_t x0 = 0,
                        std::size_t x1 = 0) {
  DetectResult r;
  r.stack_file = "/data/stack/inputs/ifgramStack.h5";
  r.length = g.length;
  r.width = g.width;
  r.x0 = x0;
  r.x1 = x1 ? x1 : g.width;
  r.orbit_direction = "DESCENDING";
  r.params.n_burst = int(seam_rows.size()) + 1;
  r.params.pj_thr_mm = 5.0;
  for (std::size_t i = 0; i < seam_rows.size(); ++i)
    r.seams.push_back({seam_rows[i], 10 + i, 2.5 + double(i)});
  for (double ramp : {1.0, 5.0, 7.5, 2.0}) {
    pjd::PairResult p;
    p.pair = "p" + std::to_string(r.pairs.size());
    p.ramp_mm = ramp;
    p.excluded = ramp >= 5.0;
    r.pairs.push_back(p);
  }
  r.pairs.push_back(pjd::PairResult{});  // not assessed: no ramp
  return r;
}

/// Every coordinate of layer `layer` in `file`, per feature, as read back by ogr2ogr
/// (GeoJSON, 17 significant figures, no reprojection).
nlohmann::json features_of(const fs::path& file, const std::string& layer) {
  const std::string out = shell("ogr2ogr -f GeoJSON -lco SIGNIFICANT_FIGURES=17 /vsistdout/ '" + file.string() +
                                "' " + layer);
  REQUIRE_FALSE(out.empty());
  return nlohmann::json::parse(out)["features"];
}

struct LayerInfo {
  long count = -1;
  std::set<std::string> fields;
};

/// ogrinfo -so -al: feature count and attribute names per layer.
std::map<std::string, LayerInfo> ogrinfo(const fs::path& file) {
  int status = -1;
  const std::string out = shell("ogrinfo -ro -so -al '" + file.string() + "'", &status);
  REQUIRE(status == 0);
  std::map<std::string, LayerInfo> layers;
  std::string current;
  std::istringstream in(out);
  std::string line;
  const std::regex field(R"(^(\w+): (String|Integer|Integer64|Real|Date|DateTime) \()");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("Layer name: ", 0) == 0) {
      current = line.substr(12);
      layers[current];
    } else if (line.rfind("Feature Count: ", 0) == 0) {
      layers[current].count = std::stol(line.substr(15));
    } else if (std::regex_search(line, m, field)) {
      layers[current].fields.insert(m[1]);
    }
  }
  return layers;
}

/// Points (lon, lat) through PROJ's cs2cs (EPSG:4326 takes latitude first) to `crs`.
std::vector<std::pair<double, double>> cs2cs(const std::vector<std::pair<double, double>>& lonlat,
                                             const std::string& crs, const fs::path& dir) {
  const fs::path in = dir / "cs2cs_in.txt";
  {
    std::ofstream f(in);
    f.precision(17);
    for (const auto& [lon, lat] : lonlat) f << lat << " " << lon << "\n";
  }
  std::istringstream out(shell("cs2cs -f %.6f EPSG:4326 " + crs + " < '" + in.string() + "'"));
  std::vector<std::pair<double, double>> xy;
  double x, y, z;
  while (out >> x >> y >> z) xy.emplace_back(x, y);
  REQUIRE(xy.size() == lonlat.size());
  return xy;
}

/// The same through gdaltransform (longitude first).
std::vector<std::pair<double, double>> gdaltransform(const std::vector<std::pair<double, double>>& lonlat,
                                                     const std::string& crs, const fs::path& dir) {
  const fs::path in = dir / "gdaltransform_in.txt";
  {
    std::ofstream f(in);
    f.precision(17);
    for (const auto& [lon, lat] : lonlat) f << lon << " " << lat << "\n";
  }
  std::istringstream out(
      shell("gdaltransform -s_srs EPSG:4326 -t_srs " + crs + " -output_xy < '" + in.string() + "'"));
  std::vector<std::pair<double, double>> xy;
  double x, y;
  while (out >> x >> y) xy.emplace_back(x, y);
  REQUIRE(xy.size() == lonlat.size());
  return xy;
}

double seg_distance(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax, dy = by - ay;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(px - (ax + t * dx), py - (ay + t * dy));
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// summary.json input

/// summary.json text for a hand-made result (the document pjd detect writes).
std::string summary_text(const std::string& stack_file, std::size_t length, std::size_t width, std::size_t x0,
                         std::size_t x1, std::vector<pjd::SeamRow> seams, std::vector<pjd::PairResult> pairs = {}) {
  DetectResult r;
  r.stack_file = stack_file;
  r.length = length;
  r.width = width;
  r.x0 = x0;
  r.x1 = x1;
  r.params.method = "published";
  r.params.n_burst = int(seams.size()) + 1;
  r.seams = std::move(seams);
  r.pairs = std::move(pairs);
  return pjd::to_json(r).dump();
}

pjd::PairResult pair_with(const std::string& name, std::optional<double> ramp, bool excluded, bool skipped) {
  pjd::PairResult p;
  p.pair = name;
  p.ramp_mm = ramp;
  p.excluded = excluded;
  p.skipped = skipped;
  return p;
}

TEST_CASE("summary.json of a result reads back with what the overlay needs", "[overlay]") {
  const auto text = summary_text("/m/inputs/ifgramStack.h5", 400, 200, 20, 150, {{106, 12, 3.25}, {210, 9, NAN}},
                                 {pair_with("20210103_20210115", 1.5, false, false),
                                  pair_with("20210103_20210127", std::nullopt, false, true),
                                  pair_with("20210103_20210208", 6.0, true, false)});
  auto j = nlohmann::json::parse(text);
  j["params"]["pj_thr_mm"] = 4.5;
  const DetectResult r = pjd::result_from_json(j);
  CHECK(r.stack_file == "/m/inputs/ifgramStack.h5");
  CHECK(r.x0 == 20);
  CHECK(r.x1 == 150);
  CHECK(r.params.pj_thr_mm == 4.5);
  REQUIRE(r.seams.size() == 2);
  CHECK(r.seams[0].median_grad_mm == 3.25);
  CHECK(std::isnan(r.seams[1].median_grad_mm));
  REQUIRE(r.pairs.size() == 3);
  CHECK_FALSE(r.pairs[1].ramp_mm.has_value());
  CHECK(pjd::pairs_above_threshold(r) == 1);  // 6.0 >= 4.5; 1.5 below; null not assessed

  auto broken = j;
  broken.erase("seams");
  CHECK_THROWS_AS(pjd::result_from_json(broken), pjd::Error);
  broken = j;
  broken["seams"][0]["row"] = 400;  // outside 400 rows
  CHECK_THROWS_AS(pjd::result_from_json(broken), pjd::Error);
  broken = j;
  broken["stack"]["x1"] = 201;  // beyond the width
  CHECK_THROWS_AS(pjd::result_from_json(broken), pjd::Error);
  broken = j;
  broken["stack"]["length"] = "ten";
  CHECK_THROWS_AS(pjd::result_from_json(broken), pjd::Error);
}

TEST_CASE("read_result_summary: missing or malformed summary is a data error naming the file", "[overlay]") {
  pjd::test::TempDir tmp("overlay_summary");
  try {
    pjd::read_result_summary(tmp.path());
    FAIL("no error");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(e.file() == (tmp.path() / "summary.json").string());
  }
  write_text(tmp.path() / "summary.json", "{\"stack_file\": \"x\", \"length\": 3");
  CHECK_THROWS_AS(pjd::read_result_summary(tmp.path()), pjd::Error);
  auto doc = nlohmann::json::parse(summary_text("m/inputs/ifgramStack.h5", 3, 2, 0, 2, {}));
  doc["run_id"] = "r1";
  write_text(tmp.path() / "summary.json", doc.dump());
  const auto loaded = pjd::read_result_summary(tmp.path());
  CHECK(loaded.run_id == "r1");
  CHECK(loaded.stack_file == tmp.path() / "m/inputs/ifgramStack.h5");  // relative to the result directory
  CHECK(pjd::geometry_path_for_stack_file(loaded.stack_file) == tmp.path() / "m/inputs/geometryRadar.h5");
}

// ---------------------------------------------------------------------------------------
// Seam lines, rings, bursts (pure functions)

TEST_CASE("seam line vertices are the geometry's cells of that row, analysed columns only", "[overlay]") {
  const Geometry g = synthetic(30, 40);
  const auto parts = pjd::seam_line_parts(g, 12, 5, 33, 0.0);
  REQUIRE(parts.size() == 1);
  REQUIRE(parts[0].size() == 28);
  for (std::size_t i = 0; i < parts[0].size(); ++i) {
    const auto& v = parts[0][i];
    CHECK(v.row == 12);
    CHECK(v.col == 5 + i);
    CHECK(v.lat == double(g.latitude_deg[12 * 40 + 5 + i]));
    CHECK(v.lon == double(g.longitude_deg[12 * 40 + 5 + i]));
  }
  CHECK_THROWS_AS(pjd::seam_line_parts(g, 30, 0, 40, 0.0), pjd::Error);  // row outside
  CHECK_THROWS_AS(pjd::seam_line_parts(g, 3, 0, 41, 0.0), pjd::Error);   // columns outside
}

TEST_CASE("NaN holes split seam lines, isolated cells are dropped", "[overlay]") {
  Geometry g = synthetic(10, 20);
  const std::size_t row = 4;
  g.latitude_deg[row * 20 + 6] = NAN;   // gap at column 6
  g.longitude_deg[row * 20 + 10] = NAN;  // gap at 10 ...
  g.latitude_deg[row * 20 + 12] = NAN;   // ... and 12: column 11 alone
  g.latitude_deg[row * 20 + 15] = 0.0f;  // (0, 0) counts as no data
  g.longitude_deg[row * 20 + 15] = 0.0f;
  const auto parts = pjd::seam_line_parts(g, row, 2, 18, 0.0);
  REQUIRE(parts.size() == 4);
  CHECK(parts[0].front().col == 2);
  CHECK(parts[0].back().col == 5);
  CHECK(parts[1].front().col == 7);
  CHECK(parts[1].back().col == 9);
  CHECK(parts[2].front().col == 13);
  CHECK(parts[2].back().col == 14);
  CHECK(parts[3].front().col == 16);
  CHECK(parts[3].back().col == 17);
  for (const auto& p : parts)
    for (const auto& v : p) {
      CHECK(std::isfinite(v.lat));
      CHECK(std::isfinite(v.lon));
    }
  // A whole row of NaN gives no line.
  for (std::size_t c = 0; c < 20; ++c) g.latitude_deg[7 * 20 + c] = NAN;
  CHECK(pjd::seam_line_parts(g, 7, 0, 20, 1.0).empty());
}

TEST_CASE("thinning keeps every original vertex within the tolerance (checked in UTM via cs2cs)", "[overlay]") {
  pjd::test::TempDir tmp("overlay_thin");
  const Geometry g = synthetic(5, 300);
  const auto full = pjd::seam_line_parts(g, 2, 0, 300, 0.0);
  REQUIRE(full.size() == 1);
  for (double tol : {0.5, 1.0, 5.0}) {
    INFO("tolerance " << tol);
    const auto thin = pjd::seam_line_parts(g, 2, 0, 300, tol);
    REQUIRE(thin.size() == 1);
    const LinePart& t = thin[0];
    CHECK(t.size() < full[0].size());
    CHECK(t.size() > 2);  // the ~3 m wiggle must survive a tolerance below it
    CHECK(t.front().col == 0);
    CHECK(t.back().col == 299);
    // Kept vertices are original cells, in order.
    for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i].col > t[i - 1].col);
    std::vector<std::pair<double, double>> all, kept;
    for (const auto& v : full[0]) all.emplace_back(v.lon, v.lat);
    for (const auto& v : t) kept.emplace_back(v.lon, v.lat);
    const auto pa = cs2cs(all, "EPSG:32719", tmp.path());
    const auto pk = cs2cs(kept, "EPSG:32719", tmp.path());
    double worst = 0;
    for (const auto& [x, y] : pa) {
      double d = INFINITY;
      for (std::size_t i = 0; i + 1 < pk.size(); ++i)
        d = std::min(d, seg_distance(x, y, pk[i].first, pk[i].second, pk[i + 1].first, pk[i + 1].second));
      worst = std::max(worst, d);
    }
    // UTM scale (~0.9996 here) and cs2cs's 1 µm rounding are the only slack.
    CHECK(worst <= tol * 1.001 + 1e-5);
    CHECK(worst > tol * 0.3);  // and thinning actually used the room it has
  }
}

TEST_CASE("burst extents and outline rings", "[overlay]") {
  const auto b = pjd::burst_extents(20, {{5, 1, 1.0}, {12, 1, 1.0}});
  REQUIRE(b.size() == 3);
  CHECK((b[0].index == 1 && b[0].row_first == 0 && b[0].row_last == 4));
  CHECK((b[1].index == 2 && b[1].row_first == 5 && b[1].row_last == 11));
  CHECK((b[2].index == 3 && b[2].row_first == 12 && b[2].row_last == 19));
  CHECK(pjd::burst_extents(20, {}).size() == 1);

  const Geometry g = synthetic(20, 10);
  const LinePart ring = pjd::outline_ring(g, 5, 12, 2, 8, 0.0);
  // 6 top + 6 right + 6 bottom + 6 left cells, corners shared, closed: 2*6 + 2*7 - 4 + 1.
  REQUIRE(ring.size() == 23);
  CHECK((ring.front().row == 5 && ring.front().col == 2));
  CHECK((ring.back().row == 5 && ring.back().col == 2));
  std::set<std::pair<std::size_t, std::size_t>> cells;
  for (const auto& v : ring) {
    CHECK((v.row == 5 || v.row == 11 || v.col == 2 || v.col == 7));  // boundary cells only
    CHECK(v.lat == double(g.latitude_deg[v.row * 10 + v.col]));
    cells.emplace(v.row, v.col);
  }
  CHECK(cells.count({11, 7}) == 1);  // far corner
  CHECK(cells.size() == 22);
  CHECK(pjd::outline_ring(g, 5, 6, 2, 8, 0.0).empty());  // one row: no polygon
}

TEST_CASE("auto-utm picks the zone of the analysed area", "[overlay]") {
  const Geometry g = synthetic(10, 10);
  CHECK(pjd::resolve_crs("auto-utm", g, 0, 10) == "EPSG:32719");
  CHECK(pjd::resolve_crs("EPSG:3857", g, 0, 10) == "EPSG:3857");
  Geometry north = g;
  for (auto& lat : north.latitude_deg) lat = -lat;
  for (auto& lon : north.longitude_deg) lon += 180.0f;  // ~113.7 E: zone 49
  CHECK(pjd::resolve_crs("auto-utm", north, 0, 10) == "EPSG:32649");
}

// ---------------------------------------------------------------------------------------
// Writing

TEST_CASE("gpkg in EPSG:4326: vertices equal the descending geometry at the seam rows, sub-x columns only",
          "[overlay]") {
  pjd::test::TempDir tmp("overlay_gpkg");
  const Geometry g = pjd::read_geometry(parity_geometry("descending_subx"));
  REQUIRE(g.length == 400);
  REQUIRE(g.width == 200);
  const DetectResult r = result_for(g, {106, 210, 311}, 30, 170);
  OverlayOptions o;
  o.tolerance_m = 0;
  o.layers = {"seams", "bursts", "footprint"};
  const auto out = tmp.path() / "seams.gpkg";
  const auto report = pjd::write_overlay(r, g, o, out);
  CHECK(report.crs == "EPSG:4326");
  CHECK(report.features.at("seams") == 3);
  CHECK(report.features.at("bursts") == 4);
  CHECK(report.features.at("footprint") == 1);
  CHECK(report.warnings.empty());
  CHECK(listing(tmp.path()) == std::vector<std::string>{"seams.gpkg"});

  const auto feats = features_of(out, "seams");
  REQUIRE(feats.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& f = feats[i];
    const std::size_t row = f["properties"]["row"].get<std::size_t>();
    CHECK(row == r.seams[i].row);
    CHECK(f["properties"]["seam_index"] == i + 1);
    CHECK(f["properties"]["votes"] == r.seams[i].votes);
    CHECK(f["properties"]["median_jump_mm"].get<double>() == r.seams[i].median_grad_mm);
    CHECK(f["properties"]["n_pairs_above_thr"] == 2);  // ramps 5.0 and 7.5 >= 5.0
    CHECK(f["properties"]["method"] == r.params.method);  // "robust", the default
    CHECK(f["properties"]["run"].is_null());
    CHECK(f["geometry"]["type"] == "MultiLineString");
    const auto& line = f["geometry"]["coordinates"][0];
    REQUIRE(line.size() == 140);  // columns [30, 170)
    for (std::size_t k = 0; k < line.size(); ++k) {
      const std::size_t idx = row * 200 + 30 + k;
      CHECK(line[k][0].get<double>() == double(g.longitude_deg[idx]));
      CHECK(line[k][1].get<double>() == double(g.latitude_deg[idx]));
    }
  }
  // Descending: the footprint corner at (0, x0) and bursts cover rows 0-105, 106-209, ...
  const auto bursts = features_of(out, "bursts");
  REQUIRE(bursts.size() == 4);
  CHECK(bursts[1]["properties"]["row_first"] == 106);
  CHECK(bursts[1]["properties"]["row_last"] == 209);
  CHECK(bursts[3]["properties"]["row_last"] == 399);
  const auto fp = features_of(out, "footprint");
  REQUIRE(fp.size() == 1);
  const auto& first = fp[0]["geometry"]["coordinates"][0][0];
  CHECK(first[0].get<double>() == double(g.longitude_deg[30]));
  CHECK(first[1].get<double>() == double(g.latitude_deg[30]));
  CHECK(fp[0]["properties"]["orbit_direction"] == "DESCENDING");
  CHECK(fp[0]["properties"]["x1"] == 170);
}

TEST_CASE("EPSG:32719 and auto-utm vertices agree with cs2cs and gdaltransform within 1 cm", "[overlay]") {
  pjd::test::TempDir tmp("overlay_utm");
  const Geometry g = pjd::read_geometry(parity_geometry("nominal"));
  const DetectResult r = result_for(g, {89, 177, 267, 354, 443});
  for (const std::string crs : {"EPSG:32719", "auto-utm"}) {
    INFO(crs);
    OverlayOptions o;
    o.tolerance_m = 0;
    o.crs = crs;
    const auto out = tmp.path() / (crs == "auto-utm" ? "auto.gpkg" : "utm.gpkg");
    const auto report = pjd::write_overlay(r, g, o, out);
    CHECK(report.crs == "EPSG:32719");
    CHECK(shell("ogrinfo -ro -so " + out.string() + " seams").find("UTM zone 19S") != std::string::npos);
    const auto feats = features_of(out, "seams");
    REQUIRE(feats.size() == 5);
    std::vector<std::pair<double, double>> lonlat, ours;
    for (const auto& f : feats) {
      const std::size_t row = f["properties"]["row"].get<std::size_t>();
      const auto& line = f["geometry"]["coordinates"][0];
      REQUIRE(line.size() == 140);
      for (std::size_t c : {std::size_t(0), std::size_t(57), std::size_t(139)}) {
        lonlat.emplace_back(g.longitude_deg[row * 140 + c], g.latitude_deg[row * 140 + c]);
        ours.emplace_back(line[c][0].get<double>(), line[c][1].get<double>());
      }
    }
    const auto ref = crs == "auto-utm" ? gdaltransform(lonlat, "EPSG:32719", tmp.path())
                                       : cs2cs(lonlat, "EPSG:32719", tmp.path());
    for (std::size_t i = 0; i < ref.size(); ++i) {
      CHECK(std::abs(ours[i].first - ref[i].first) < 0.01);
      CHECK(std::abs(ours[i].second - ref[i].second) < 0.01);
      CHECK(ours[i].first > 100000);  // really projected (easting, metres)
    }
  }
}

TEST_CASE("every format opens in ogrinfo with the right feature counts and attributes", "[overlay]") {
  pjd::test::TempDir tmp("overlay_formats");
  const Geometry g = pjd::read_geometry(parity_geometry("descending_subx"));
  const DetectResult r = result_for(g, {106, 210, 311}, 20, 150);
  const std::set<std::string> seam_fields = {"stack", "run", "seam_index", "row", "votes",
                                             "median_jump_mm", "n_pairs_above_thr", "method"};
  const std::set<std::string> shp_seam_fields = {"stack", "run",   "seam_index", "row",
                                                 "votes", "med_jmp_mm", "n_above", "method"};
  const std::set<std::string> burst_fields = {"stack", "run", "burst_index", "row_first", "row_last", "n_rows"};
  const std::set<std::string> fp_fields = {"stack", "run", "length", "width", "x0", "x1", "orbit_direction"};
  const std::map<std::string, long> counts = {{"seams", 3}, {"bursts", 4}, {"footprint", 1}};
  auto fields_ok = [](const std::set<std::string>& got, const std::set<std::string>& want) {
    for (const auto& w : want)
      if (!got.count(w)) return false;
    return true;
  };
  OverlayOptions o;
  o.layers = {"seams", "bursts", "footprint"};
  for (OverlayFormat f : {OverlayFormat::Gpkg, OverlayFormat::Kml, OverlayFormat::GeoJson, OverlayFormat::Fgb,
                          OverlayFormat::Shp}) {
    const std::string name = std::string(pjd::name_of(f));
    INFO(name);
    o.format = f;
    const bool one_file = f == OverlayFormat::Gpkg || f == OverlayFormat::Kml;
    const auto out = tmp.path() / (one_file ? "all." + name : "dir_" + name);
    const auto report = pjd::write_overlay(r, g, o, out);
    std::map<std::string, LayerInfo> layers;
    if (one_file) {
      REQUIRE(fs::is_regular_file(out));
      layers = ogrinfo(out);
    } else {
      REQUIRE(fs::is_directory(out));
      for (const auto& l : o.layers) {
        const auto file = out / (l + "." + name);
        REQUIRE(fs::is_regular_file(file));
        layers[l] = ogrinfo(file).begin()->second;
      }
      if (f == OverlayFormat::Shp)
        for (const auto& l : o.layers)
          for (const char* ext : {".shp", ".shx", ".dbf", ".prj"}) CHECK(fs::exists(out / (l + ext)));
    }
    for (const auto& [layer, n] : counts) {
      INFO(layer);
      REQUIRE(layers.count(layer) == 1);
      CHECK(layers[layer].count == n);
      CHECK(report.features.at(layer) == std::size_t(n));
    }
    CHECK(fields_ok(layers["seams"].fields, f == OverlayFormat::Shp ? shp_seam_fields : seam_fields));
    CHECK(fields_ok(layers["bursts"].fields,
                    f == OverlayFormat::Shp ? std::set<std::string>{"burst_idx", "row_first", "row_last", "n_rows"}
                                            : burst_fields));
    CHECK(fields_ok(layers["footprint"].fields,
                    f == OverlayFormat::Shp ? std::set<std::string>{"length", "width", "x0", "x1", "orbit"}
                                            : fp_fields));
    // No staging directory is left behind.
    for (const auto& n : listing(tmp.path())) CHECK(n.rfind(".pjd-overlay", 0) != 0);
  }
  // One layer with the format's extension: a single file (a shapefile set for shp).
  for (OverlayFormat f : {OverlayFormat::GeoJson, OverlayFormat::Fgb, OverlayFormat::Shp}) {
    const std::string name = std::string(pjd::name_of(f));
    INFO(name);
    OverlayOptions one;
    one.format = f;
    const auto out = tmp.path() / ("only_seams." + name);
    pjd::write_overlay(r, g, one, out);
    REQUIRE(fs::is_regular_file(out));
    const auto layers = ogrinfo(out);
    REQUIRE(layers.size() == 1);
    CHECK(layers.begin()->second.count == 3);
  }
  CHECK(fs::exists(tmp.path() / "only_seams.dbf"));
}

TEST_CASE("no seams: a valid, empty seams layer and a warning", "[overlay]") {
  pjd::test::TempDir tmp("overlay_empty");
  const Geometry g = synthetic(40, 30);
  const DetectResult r = result_for(g, {});
  OverlayOptions o;
  o.layers = {"seams", "bursts"};
  for (OverlayFormat f : {OverlayFormat::Gpkg, OverlayFormat::GeoJson, OverlayFormat::Fgb, OverlayFormat::Shp}) {
    INFO(std::string(pjd::name_of(f)));
    o.format = f;
    const auto out = tmp.path() / ("empty_" + std::string(pjd::name_of(f)));
    const auto report = pjd::write_overlay(r, g, o, out);
    REQUIRE(report.warnings.size() == 1);
    CHECK(report.warnings[0].find("no seams") != std::string::npos);
    const auto seams = f == OverlayFormat::Gpkg ? ogrinfo(out)["seams"]
                                                : ogrinfo(out / ("seams." + std::string(pjd::name_of(f)))).begin()->second;
    CHECK(seams.count == 0);
    // GeoJSON cannot describe the attributes of an empty FeatureCollection.
    if (f != OverlayFormat::GeoJson) CHECK(seams.fields.count("seam_index") == 1);
    const auto bursts = f == OverlayFormat::Gpkg ? ogrinfo(out)["bursts"]
                                                 : ogrinfo(out / ("bursts." + std::string(pjd::name_of(f)))).begin()->second;
    CHECK(bursts.count == 1);  // the whole stack is one burst
  }
}

TEST_CASE("failures leave nothing half-written and keep an existing output", "[overlay]") {
  pjd::test::TempDir tmp("overlay_fail");
  const Geometry g = synthetic(40, 30);
  const DetectResult r = result_for(g, {10, 20});
  const auto out = tmp.path() / "out.gpkg";
  write_text(out, "previous contents");
  auto expect = [&](OverlayOptions o, pjd::ErrorKind kind, const Geometry& geom = Geometry{}) {
    const Geometry& use = geom.length ? geom : g;
    try {
      pjd::write_overlay(r, use, o, o.format == OverlayFormat::Gpkg ? out : tmp.path() / "dir");
      FAIL("no error");
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == kind);
    }
    CHECK(listing(tmp.path()) == std::vector<std::string>{"out.gpkg"});
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "previous contents");
  };
  OverlayOptions o;
  o.crs = "EPSG:99999";
  expect(o, pjd::ErrorKind::Usage);
  o.crs = "not a crs at all";
  o.format = OverlayFormat::Shp;
  expect(o, pjd::ErrorKind::Usage);
  o = OverlayOptions{};
  o.format = OverlayFormat::Kml;
  o.crs = "EPSG:32719";  // KML is WGS84 only
  expect(o, pjd::ErrorKind::Usage);
  o = OverlayOptions{};
  o.layers = {"seams", "roads"};
  expect(o, pjd::ErrorKind::Usage);
  o = OverlayOptions{};
  o.tolerance_m = -1;
  expect(o, pjd::ErrorKind::Usage);
  // A geometry of another size.
  Geometry other = synthetic(41, 30);
  other.file = "other_geometry.h5";
  try {
    pjd::write_overlay(r, other, OverlayOptions{}, out);
    FAIL("no error");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(e.file() == "other_geometry.h5");
    CHECK(std::string(e.what()).find("41 x 30") != std::string::npos);
  }
  CHECK(listing(tmp.path()) == std::vector<std::string>{"out.gpkg"});
  // Writing into a directory that does not exist.
  CHECK_THROWS_AS(pjd::write_overlay(r, g, OverlayOptions{}, tmp.path() / "nope" / "x.gpkg"), pjd::Error);
  CHECK(listing(tmp.path()) == std::vector<std::string>{"out.gpkg"});
  // A successful write replaces the file in one rename.
  pjd::write_overlay(r, g, OverlayOptions{}, out);
  CHECK(ogrinfo(out)["seams"].count == 2);
  CHECK(listing(tmp.path()) == std::vector<std::string>{"out.gpkg"});
}

// ---------------------------------------------------------------------------------------
// The command

TEST_CASE("pjd overlay: end to end, usage errors exit 2, data errors exit 3", "[overlay][cli]") {
  pjd::test::TempDir tmp("overlay_cli");
  const fs::path res = tmp.path() / "res";
  fs::create_directories(res);
  const std::string stack = (fs::path(pjd::test::kParityDir) / "descending_subx/inputs/ifgramStack.h5").string();
  write_text(res / "summary.json", summary_text(stack, 400, 200, 20, 150, {{106, 12, 3.2}, {210, 9, 0.4}},
                                                {pair_with("20210103_20210115", 6.0, true, false)}));
  const fs::path out = tmp.path() / "o.gpkg";
  auto run = pjd::test::run_pjd("overlay " + res.string() + " --out " + out.string() +
                                " --layers seams,bursts,footprint --crs auto-utm");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("EPSG:32719") != std::string::npos);
  auto layers = ogrinfo(out);
  CHECK(layers["seams"].count == 2);
  CHECK(layers["bursts"].count == 3);
  CHECK(layers["footprint"].count == 1);

  // Format from the extension.
  run = pjd::test::run_pjd("overlay " + res.string() + " --out " + (tmp.path() / "s.geojson").string());
  CHECK(run.exit_code == 0);
  CHECK(ogrinfo(tmp.path() / "s.geojson").begin()->second.count == 2);

  // No seams: exit 0, a warning on stderr.
  fs::create_directories(tmp.path() / "none");
  write_text(tmp.path() / "none/summary.json", summary_text(stack, 400, 200, 0, 200, {}));
  run = pjd::test::run_pjd("overlay " + (tmp.path() / "none").string() + " --out " +
                           (tmp.path() / "none.gpkg").string());
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("warning: no seams") != std::string::npos);
  CHECK(ogrinfo(tmp.path() / "none.gpkg")["seams"].count == 0);

  const auto before = listing(tmp.path());
  // Missing geometry: exit 3, one line naming the file, nothing written.
  run = pjd::test::run_pjd("overlay " + res.string() + " --out " + (tmp.path() / "x.gpkg").string() +
                           " --geometry " + (tmp.path() / "missing.h5").string());
  CHECK(run.exit_code == 3);
  CHECK(run.err.find((tmp.path() / "missing.h5").string()) != std::string::npos);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  // Geometry of another stack: exit 3 naming that file.
  const std::string nominal = parity_geometry("nominal").string();
  run = pjd::test::run_pjd("overlay " + res.string() + " --out " + (tmp.path() / "x.gpkg").string() +
                           " --geometry " + nominal);
  CHECK(run.exit_code == 3);
  CHECK(run.err.find(nominal) != std::string::npos);
  CHECK(run.err.find("540 x 140") != std::string::npos);
  // Usage errors: exit 2.
  for (const std::string bad : {"--format png", "--crs EPSG:0", "--layers seams,rivers", "--tolerance-m -2"}) {
    INFO(bad);
    run = pjd::test::run_pjd("overlay " + res.string() + " --out " + (tmp.path() / "x.gpkg").string() + " " + bad);
    CHECK(run.exit_code == 2);
  }
  run = pjd::test::run_pjd("overlay " + (tmp.path() / "no_result").string() + " --out " +
                           (tmp.path() / "x.gpkg").string());
  CHECK(run.exit_code == 3);
  CHECK(listing(tmp.path()) == before);
}

TEST_CASE("QGIS styles are well-formed QML for the layers' attributes", "[overlay]") {
  // kSharedDir is "<source>/../shared": two parent_path() steps give the source tree.
  const fs::path dir = fs::path(pjd::test::kSharedDir).parent_path().parent_path() / "share" / "styles";
  for (const char* name : {"seams.qml", "bursts.qml", "footprint.qml"}) {
    INFO(name);
    const fs::path qml = dir / name;
    REQUIRE(fs::exists(qml));
    int status = -1;
    const std::string root = shell(
        "/usr/bin/python3 -c \"import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
        "print(r.tag, r.find('renderer-v2').get('type'), r.find('renderer-v2').get('attr'))\" '" +
            qml.string() + "'",
        &status);
    CHECK(status == 0);
    CHECK(root.rfind("qgis ", 0) == 0);
    if (std::string(name) == "seams.qml") CHECK(root == "qgis graduatedSymbol median_jump_mm\n");
  }
}

TEST_CASE("merged sub-swaths (robust): each seam and burst is drawn over its own sub-swath's columns, "
          "also from the catalogue", "[overlay][robust]") {
  pjd::test::TempDir tmp("overlay_merged");
  const auto stack = pjd::test::simulate_merged(tmp.path() / "s", 3, 2, 200);
  pjd::DetectParams p;
  p.method = "robust";
  p.threads = 2;
  const auto r = pjd::detect(stack, p);
  REQUIRE(r.subswaths.size() == 2);
  auto cat = pjd::Catalog::open(tmp.path() / "c.gpkg");
  const auto run = cat.record_run(stack, r);
  const auto back = cat.load_result(run);  // what `pjd overlay --catalog F --run R` draws
  REQUIRE(back.subswaths.size() == 2);
  CHECK(back.subswaths[1].x0 == r.subswaths[1].x0);
  REQUIRE(back.seams.size() == r.seams.size());
  for (std::size_t i = 0; i < r.seams.size(); ++i) CHECK(back.seams[i].subswath == r.seams[i].subswath);

  const Geometry g = pjd::read_geometry(tmp.path() / "s" / "inputs" / "geometryRadar.h5");
  OverlayOptions o;
  o.tolerance_m = 0;
  o.layers = {"seams", "bursts"};
  const auto out = tmp.path() / "seams.gpkg";
  pjd::write_overlay(back, g, o, out);
  const auto feats = features_of(out, "seams");
  REQUIRE(feats.size() == r.seams.size());
  std::set<std::string> names;
  for (std::size_t i = 0; i < feats.size(); ++i) {
    const auto& sw = r.subswaths[r.seams[i].subswath];
    CHECK(feats[i]["properties"]["subswath"] == sw.name);
    names.insert(feats[i]["properties"]["subswath"].get<std::string>());
    CHECK(feats[i]["geometry"]["coordinates"][0].size() == sw.x1 - sw.x0);  // one vertex per column
    const auto& v0 = feats[i]["geometry"]["coordinates"][0][0];
    CHECK(v0[0].get<double>() == double(g.longitude_deg[r.seams[i].row * g.width + sw.x0]));
  }
  CHECK(names.size() == 2);
  // Bursts: per sub-swath (its seams + 1 each).
  const auto bursts = features_of(out, "bursts");
  CHECK(bursts.size() == static_cast<std::size_t>(r.subswaths[0].n_burst + r.subswaths[1].n_burst));
}

// ---------------------------------------------------------------------------------------
// catalogue map layers

namespace {

std::string sql_of(const fs::path& db, const std::string& sql) { return pjd::test::sql_scalar(db, sql); }

/// Runs `sql` on the SQLite file `db`, read-write; fails the test on an error.
void sql_exec(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  INFO(sql << ": " << (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

/// Makes the catalogue's layer `name` as OGR made it before layout 5 (CreateLayer and
/// CreateField on the first overlay), with one feature of run "1".
void make_layer_with_ogr(const fs::path& catalog, const std::string& name, OGRwkbGeometryType type,
                         const std::vector<std::pair<std::string, OGRFieldType>>& fields) {
  GDALAllRegister();
  GDALDataset* ds = static_cast<GDALDataset*>(
      GDALOpenEx(catalog.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr));
  REQUIRE(ds != nullptr);
  OGRSpatialReference srs;
  srs.importFromEPSG(4326);
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  char** opts = CSLSetNameValue(nullptr, "DESCRIPTION", ("pjd " + name.substr(4) + " of every run").c_str());
  OGRLayer* l = ds->CreateLayer(name.c_str(), &srs, type, opts);
  CSLDestroy(opts);
  REQUIRE(l != nullptr);
  for (const auto& [field, t] : fields) {
    OGRFieldDefn def(field.c_str(), t);
    REQUIRE(l->CreateField(&def) == OGRERR_NONE);
  }
  OGRFeature f(l->GetLayerDefn());
  f.SetField("run", "1");
  OGRMultiLineString line;
  OGRLineString part;
  part.addPoint(-66.3, -24.2);
  part.addPoint(-66.2, -24.1);
  line.addGeometry(&part);
  f.SetGeometry(&line);
  REQUIRE(l->CreateFeature(&f) == OGRERR_NONE);
  GDALClose(ds);
}

}  // namespace

TEST_CASE("catalogue map layers: features only, into the layers of the layout, and a missing layer or field is "
          "a data error naming the catalogue",
          "[overlay][catalog]") {
  // Regression: add_overlay_to_catalog created the pjd_* layers and their fields itself.
  pjd::test::TempDir tmp("overlay_catalog_layers");
  const Geometry g = synthetic(60, 40);
  const DetectResult r = result_for(g, {20, 40});
  OverlayOptions o;
  o.layers = {"seams", "bursts", "footprint"};
  o.run = "1";

  // Layout 5: the layers are there, empty, and take the features; extents follow them.
  const fs::path cat = tmp.path() / "c.gpkg";
  { pjd::Catalog::open(cat); }
  const char* schema = "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY type, name)";
  const std::string schema_before = sql_of(cat, schema);
  CHECK(pjd::add_overlay_to_catalog(r, g, o, cat) == 2 + 3 + 1);
  CHECK(sql_of(cat, schema) == schema_before);  // nothing created
  CHECK(sql_of(cat, "SELECT count(*) FROM pjd_seams WHERE run = '1'") == "2");
  CHECK(sql_of(cat, "SELECT median_jump_mm FROM pjd_seams WHERE seam_index = 2") == "3.5");
  CHECK(sql_of(cat, "SELECT count(*) FROM rtree_pjd_bursts_geom") == "3");  // the spatial index is kept
  const auto layers = ogrinfo(cat);
  CHECK(layers.at("pjd_seams").count == 2);
  CHECK(layers.at("pjd_bursts").count == 3);
  CHECK(layers.at("pjd_footprint").count == 1);
  CHECK(sql_of(cat, "SELECT min_x < max_x AND min_y < max_y FROM gpkg_contents WHERE table_name = 'pjd_seams'") == "1");
  CHECK(pjd::add_overlay_to_catalog(r, g, o, cat) == 6);  // the run's features replaced
  CHECK(sql_of(cat, "SELECT count(*) FROM pjd_bursts") == "3");

  // A field missing: nothing is written (one transaction), the error names it.
  sql_exec(cat, "ALTER TABLE pjd_bursts DROP COLUMN n_rows");
  o.run = "2";
  try {
    pjd::add_overlay_to_catalog(r, g, o, cat);
    FAIL("wrote into a layer without its field");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(std::string(e.what()).find(cat.string()) != std::string::npos);
    CHECK(e.problem().find("pjd_bursts") != std::string::npos);
    CHECK(e.problem().find("n_rows") != std::string::npos);
  }
  CHECK(sql_of(cat, "SELECT count(*) FROM pjd_seams WHERE run = '2'") == "0");
  CHECK(sql_of(cat, "SELECT count(*) FROM pragma_table_info('pjd_bursts') WHERE name = 'n_rows'") == "0");

  // No layer at all (a layout-4 catalogue never opened by this pjd): not created either.
  const fs::path old = tmp.path() / "v4.gpkg";
  pjd::detail::create_catalog_at_layout(old, 4);
  try {
    pjd::add_overlay_to_catalog(r, g, o, old);
    FAIL("created a map layer");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(std::string(e.what()).find(old.string()) != std::string::npos);
    CHECK(e.problem().find("pjd_seams") != std::string::npos);
  }
  CHECK(sql_of(old, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'pjd_seams%'") == "0");
}

TEST_CASE("a catalogue whose map layers OGR made before layout 5 keeps them and keeps working", "[overlay][catalog]") {
  pjd::test::TempDir tmp("overlay_catalog_old_layers");
  const fs::path cat = tmp.path() / "c.gpkg";
  pjd::detail::create_catalog_at_layout(cat, 4);
  // pjd_seams as the first catalogue layers had it (before the subswath field of layout 4);
  // pjd_bursts and pjd_footprint never made.
  make_layer_with_ogr(cat, "pjd_seams", wkbMultiLineString,
                      {{"stack", OFTString}, {"run", OFTString}, {"seam_index", OFTInteger}, {"row", OFTInteger},
                       {"votes", OFTInteger}, {"median_jump_mm", OFTReal}, {"n_pairs_above_thr", OFTInteger},
                       {"method", OFTString}});
  {
    pjd::Catalog c = pjd::Catalog::open(cat);
    CHECK(c.layout_version() == pjd::catalog_layout_version());
  }
  CHECK(sql_of(cat, "SELECT count(*) FROM pjd_seams WHERE run = '1'") == "1");  // kept
  CHECK(sql_of(cat, "SELECT group_concat(name) FROM pragma_table_info('pjd_seams')") ==
        "fid,geom,stack,run,seam_index,row,votes,median_jump_mm,n_pairs_above_thr,method,subswath");
  CHECK(sql_of(cat, "SELECT count(*) FROM gpkg_contents WHERE table_name = 'pjd_seams'") == "1");
  CHECK(sql_of(cat, "SELECT count(*) FROM gpkg_extensions WHERE table_name = 'pjd_seams'") == "1");

  const Geometry g = synthetic(60, 40);
  DetectResult r = result_for(g, {20, 40});
  r.subswaths.push_back({"IW1", 0, 40, 3, 20.0, 0.1});
  OverlayOptions o;
  o.layers = {"seams", "bursts", "footprint"};
  o.run = "2";
  CHECK(pjd::add_overlay_to_catalog(r, g, o, cat) == 6);
  const auto layers = ogrinfo(cat);
  CHECK(layers.at("pjd_seams").count == 3);
  CHECK(layers.at("pjd_seams").fields.count("subswath") == 1);
  CHECK(layers.at("pjd_bursts").count == 3);
  CHECK(sql_of(cat, "SELECT group_concat(subswath) FROM pjd_seams WHERE run = '2'") == "IW1,IW1");
  CHECK(sql_of(cat, "SELECT count(*) FROM rtree_pjd_seams_geom") == "3");
  const std::string validate =
      "/usr/bin/python3 /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py '" + cat.string() + "'";
  CHECK(std::system(validate.c_str()) == 0);
}
