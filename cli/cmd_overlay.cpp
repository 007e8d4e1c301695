// pjd overlay RESULT --out FILE [--output-format F] [--crs CRS] [--layers L,...] [--geometry FILE] [--tolerance-m M]
#include <iostream>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "options.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "pjd/outputs.hpp"
#include "pjd/overlay.hpp"

namespace pjd::cli {
namespace {

struct OverlayArgs {
  std::string result;
  std::string out;
  std::string format;  // empty: from --out's extension, else gpkg
  std::string crs = "EPSG:4326";
  std::string layers = "seams";
  std::string geometry;
  double tolerance_m = 1.0;
  std::string catalog;
  std::int64_t run = -1;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

int run(const OverlayArgs& a) {
  OverlayOptions options;
  if (!a.format.empty())
    options.format = parse_enum<OverlayFormat>(a.format);
  else
    options.format = format_from_extension(a.out).value_or(OverlayFormat::Gpkg);
  options.crs = a.crs;
  options.layers = split_commas(a.layers);
  options.tolerance_m = a.tolerance_m;

  // The result: a pjd detect directory, or a catalogue run (whose layers then also go
  // into the catalogue).
  if (a.result.empty() == (a.run < 0))
    throw_usage("give either RESULT (a pjd detect directory) or --run R (with --catalog F or the default catalogue)");
  LoadedResult loaded;
  std::optional<std::filesystem::path> catalog_file;
  if (a.run >= 0) {
    catalog_file = catalog_path_or_default(a.catalog);
    loaded.result = Catalog::open(*catalog_file, Catalog::Mode::ReadOnly).load_result(a.run);
    loaded.run_id = std::to_string(a.run);
    loaded.stack_file = loaded.result.stack_file;
  } else {
    loaded = read_result_summary(a.result);
  }
  options.run = loaded.run_id;
  const auto geometry_file = a.geometry.empty() ? geometry_path_for_stack_file(loaded.stack_file)
                                                : std::filesystem::path(a.geometry);
  std::error_code ec;
  if (!std::filesystem::exists(geometry_file, ec))
    throw_data(geometry_file.string(), "no geometry file (latitude/longitude in radar coordinates); name one with --geometry");
  const Geometry geometry = read_geometry(geometry_file);
  const OverlayReport report = write_overlay(loaded.result, geometry, options, a.out);
  if (catalog_file) {
    const std::size_t n = add_overlay_to_catalog(loaded.result, geometry, options, *catalog_file);
    std::cout << "added " << n << " feature(s) of run " << a.run << " to the catalogue's pjd_* layers in "
              << catalog_file->string() << "\n";
  }

  for (const auto& w : report.warnings) std::cerr << "pjd overlay: warning: " << w << "\n";
  std::cout << "wrote " << a.out << " (" << name_of(options.format) << ", " << report.crs << "):";
  bool first = true;
  for (const auto& l : options.layers) {
    std::cout << (first ? " " : ", ") << l << " " << report.features.at(l);
    first = false;
  }
  std::cout << "\n";
  return 0;
}

const Registrar reg{
    {"overlay", "Write seam lines, burst polygons and the footprint as a geocoded vector layer",
     [](CLI::App& sub) {
       auto a = std::make_shared<OverlayArgs>();
       add_result_argument(sub, a->result);
       sub.add_option("--run", a->run, "A catalogue run instead of RESULT");
       add_catalog_option(sub, a->catalog, "Catalogue for --run");
       sub.add_option("--out", a->out, "Output file (or directory for one-file-per-layer formats)")->required();
       sub.add_option("-f,--of,--output-format", a->format,
                      "Vector file format (default: from --out's extension, else gpkg)")
           ->check(CLI::IsMember(enum_names<OverlayFormat>()));
       sub.add_option("--crs", a->crs, "Output CRS: EPSG:xxxx, WKT, PROJJSON or auto-utm")->capture_default_str();
       sub.add_option("--layers", a->layers, "Comma-separated layers: seams, bursts, footprint")
           ->capture_default_str();
       sub.add_option("--geometry", a->geometry, "geometryRadar.h5 (default: next to the stack)");
       sub.add_option("--tolerance-m", a->tolerance_m,
                      "Thinning tolerance in metres: no line moves further than this off the cell centres (0: "
                      "keep every cell)")
           ->check(CLI::NonNegativeNumber)
           ->capture_default_str();
       return [a]() { return run(*a); };
     }}};

}  // namespace
}  // namespace pjd::cli
