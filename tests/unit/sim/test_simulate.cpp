// The stack simulator: MintPy layout, determinism, compression, and truth.json against the data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/h5util.hpp"
#include "helpers.hpp"
#include "pjd/error.hpp"
#include "pjd/simulate.hpp"
#include "pjd/stack.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::SimParams;
using pjd::Stack;
using nlohmann::json;

namespace {

SimParams tiny(std::uint64_t seed = 7) {
  SimParams p = pjd::sim_preset("tiny");
  p.seed = seed;
  return p;
}

/// Only the seam sawtooth: no noise, troposphere, deformation, water or smear.
SimParams clean(std::uint64_t seed = 7) {
  SimParams p = tiny(seed);
  p.phase_noise = p.coherence_noise = false;
  p.tropo_mm = 0;
  p.deformation_mm_yr = 0;
  p.water = false;
  p.smear_rows = 0;
  return p;
}

json read_truth(const fs::path& dir) {
  std::ifstream in(dir / "truth.json");
  REQUIRE(in);
  return json::parse(in);
}

std::vector<float> read_all(const Stack& s, const std::string& ds) {
  std::vector<float> v(s.n_pairs() * s.length() * s.width());
  s.read(ds, 0, s.n_pairs(), 0, s.width(), v.data());
  return v;
}

/// Step across the seam before row b in a piecewise-linear profile, with the ramp on each
/// side removed: (phi[b] - phi[b-1]) - (slope before + slope after) / 2.
double corrected_step(const float* col, std::size_t W, std::size_t b) {
  auto at = [&](std::size_t r) { return static_cast<double>(col[r * W]); };
  const double d0 = at(b) - at(b - 1), before = at(b - 1) - at(b - 2), after = at(b + 1) - at(b);
  return d0 - 0.5 * (before + after);
}

}  // namespace

TEST_CASE("simulate writes the three files and nothing temporary", "[simulate]") {
  pjd::test::TempDir dir("sim_files");
  const auto truth = pjd::simulate(dir.path(), tiny());
  CHECK(fs::exists(dir.path() / "inputs" / "ifgramStack.h5"));
  CHECK(fs::exists(dir.path() / "inputs" / "geometryRadar.h5"));
  CHECK(fs::exists(dir.path() / "truth.json"));
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  CHECK(truth.pairs.size() == 3 * 12 - 6);
  CHECK(truth.length == 200);
  CHECK(truth.width == 60);
}

TEST_CASE("bad parameters are usage errors and write nothing", "[simulate][errors]") {
  pjd::test::TempDir dir("sim_bad");
  auto expect_usage = [&](SimParams p) {
    try {
      pjd::simulate(dir.path() / "out", p);
      FAIL("no error");
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == pjd::ErrorKind::Usage);
    }
    CHECK_FALSE(fs::exists(dir.path() / "out"));
  };
  SimParams p = tiny();
  p.n_burst = 1;
  expect_usage(p);
  p = tiny();
  p.n_burst = 40;  // 5 rows per burst
  expect_usage(p);
  p = tiny();
  p.n_lowcoh_pairs = 1000;
  expect_usage(p);
  p = tiny();
  p.n_subswaths = 4;
  expect_usage(p);
  p = tiny();
  p.start_date = "20211345";
  expect_usage(p);
  CHECK_THROWS_AS(pjd::sim_preset("huge"), pjd::Error);
  CHECK_THROWS_AS(pjd::parse_enum<pjd::SimCompression>("zstd"), pjd::Error);
}

TEST_CASE("the same seed gives the same stack, whatever the thread count", "[simulate]") {
  pjd::test::TempDir a("sim_det_a"), b("sim_det_b"), c("sim_det_c");
  SimParams p = tiny(11);
  p.threads = 1;
  pjd::simulate(a.path(), p);
  p.threads = 3;
  p.block_bytes = 1;  // one chunk depth per block: many blocks
  pjd::simulate(b.path(), p);
  p.seed = 12;
  pjd::simulate(c.path(), p);
  const Stack sa = Stack::open(a.path()), sb = Stack::open(b.path()), sc = Stack::open(c.path());
  for (const char* ds : {"unwrapPhase", "coherence", "connectComponent"}) {
    INFO(ds);
    CHECK(read_all(sa, ds) == read_all(sb, ds));
  }
  CHECK(read_all(sa, "unwrapPhase") != read_all(sc, "unwrapPhase"));
  CHECK(read_truth(a.path()) == read_truth(b.path()));
  CHECK(read_truth(a.path())["misreg_px_per_date"] != read_truth(c.path())["misreg_px_per_date"]);
  const auto ga = pjd::read_geometry(a.path() / "inputs" / "geometryRadar.h5");
  const auto gb = pjd::read_geometry(b.path() / "inputs" / "geometryRadar.h5");
  CHECK(ga.latitude_deg == gb.latitude_deg);
}

TEST_CASE("every compression reads back through pjd::Stack with the same values", "[simulate]") {
  std::vector<std::vector<float>> unw, coh;
  for (const char* name : {"none", "gzip", "lzf"}) {
    INFO(name);
    pjd::test::TempDir dir(std::string("sim_comp_") + name);
    SimParams p = tiny(5);
    p.compression = pjd::parse_enum<pjd::SimCompression>(name);
    pjd::simulate(dir.path(), p);
    const Stack s = Stack::open(dir.path());
    CHECK(s.datasets().at("unwrapPhase").compression() == name);
    CHECK(s.datasets().at("coherence").compression() == name);
    CHECK(s.datasets().at("connectComponent").compression() == "lzf");
    if (std::string(name) == "gzip") {
      CHECK(s.datasets().at("unwrapPhase").filters == std::vector<std::string>{"shuffle", "gzip"});
    }
    unw.push_back(read_all(s, "unwrapPhase"));
    coh.push_back(read_all(s, "coherence"));
    const auto cc = read_all(s, "connectComponent");
    // connectComponent: 1 on land, 0 on water, exactly where coherence is non-zero.
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < cc.size(); ++i) mismatches += (cc[i] == 1.0f) != (coh.back()[i] != 0.0f);
    CHECK(mismatches == 0);
  }
  CHECK(unw[0] == unw[1]);
  CHECK(unw[0] == unw[2]);
  CHECK(coh[0] == coh[2]);
  REQUIRE_FALSE(unw[0].empty());
}

TEST_CASE("chunks are h5py's guess, equal to the parity stack's for the same shape", "[simulate]") {
  pjd::test::TempDir dir("sim_chunks");
  SimParams p = tiny();
  p.n_dates = 16;  // 42 pairs x 540 x 140, like the nominal parity stack
  p.length = 540;
  p.width = 140;
  p.n_burst = 6;
  pjd::simulate(dir.path(), p);
  const Stack s = Stack::open(dir.path());
  const Stack parity = Stack::open(fs::path(pjd::test::kParityDir) / "nominal");
  REQUIRE(s.n_pairs() == parity.n_pairs());
  for (const char* ds : {"unwrapPhase", "coherence", "connectComponent"}) {
    INFO(ds);
    CHECK(s.datasets().at(ds).chunk == parity.datasets().at(ds).chunk);
    const std::size_t size = std::string(ds) == "connectComponent" ? 2 : 4;
    const auto guess = pjd::h5::guess_chunk({42, 540, 140}, size);
    CHECK(s.datasets().at(ds).chunk == std::vector<std::size_t>(guess.begin(), guess.end()));
  }
  CHECK(s.datasets().at("unwrapPhase").chunk == std::vector<std::size_t>{6, 68, 18});
  CHECK(s.datasets().at("connectComponent").chunk == std::vector<std::size_t>{6, 68, 35});
}

TEST_CASE("the HDF5 layout is MintPy's", "[simulate]") {
  using pjd::h5::Handle;
  pjd::test::TempDir dir("sim_layout");
  pjd::simulate(dir.path(), tiny());
  pjd::h5::init_library();
  const std::string file = (dir.path() / "inputs" / "ifgramStack.h5").string();
  Handle fid(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  REQUIRE(fid.valid());
  // Root attributes: scalar variable-length UTF-8 strings.
  const auto names = pjd::h5::attribute_names(fid);
  for (const char* key : {"ALOOKS", "RLOOKS", "AZIMUTH_PIXEL_SIZE", "RANGE_PIXEL_SIZE", "CENTER_LINE_UTC", "DATA_TYPE",
                          "FILE_TYPE", "HEADING", "LENGTH", "WIDTH", "ORBIT_DIRECTION", "PLATFORM", "PROCESSOR",
                          "PROJECT_NAME", "STARTING_RANGE", "UNIT", "WAVELENGTH", "beam_swath", "startUTC",
                          "stopUTC", "REF_Y", "REF_X", "number_of_bursts"}) {
    INFO(key);
    REQUIRE(std::find(names.begin(), names.end(), key) != names.end());
    Handle attr(H5Aopen(fid, key, H5P_DEFAULT));
    Handle type(H5Aget_type(attr));
    Handle space(H5Aget_space(attr));
    CHECK(H5Tis_variable_str(type) > 0);
    CHECK(H5Tget_cset(type) == H5T_CSET_UTF8);
    CHECK(H5Sget_simple_extent_type(space) == H5S_SCALAR);
  }
  CHECK(pjd::h5::read_string_attribute(fid, "FILE_TYPE") == "ifgramStack");
  CHECK(pjd::h5::read_string_attribute(fid, "WAVELENGTH") == "0.05546576");
  CHECK(pjd::h5::read_string_attribute(fid, "STARTING_RANGE") == "800000.0");
  CHECK(pjd::h5::read_string_attribute(fid, "HEADING") == "-12.0");
  CHECK(pjd::h5::read_string_attribute(fid, "number_of_bursts") == "4");
  {
    Handle d(H5Dopen2(fid, "date", H5P_DEFAULT));
    Handle t(H5Dget_type(d));
    CHECK(H5Tget_class(t) == H5T_STRING);
    CHECK(H5Tis_variable_str(t) == 0);
    CHECK(H5Tget_size(t) == 8);
    CHECK(H5Tget_strpad(t) == H5T_STR_NULLPAD);
    CHECK(H5Tget_cset(t) == H5T_CSET_ASCII);
  }
  {
    Handle d(H5Dopen2(fid, "dropIfgram", H5P_DEFAULT));
    Handle t(H5Dget_type(d));
    REQUIRE(H5Tget_class(t) == H5T_ENUM);
    CHECK(H5Tget_size(t) == 1);
    char name[16] = {};
    signed char v = 1;
    CHECK(H5Tenum_nameof(t, &v, name, sizeof name) >= 0);
    CHECK(std::string(name) == "TRUE");
  }
  {
    Handle d(H5Dopen2(fid, "bperp", H5P_DEFAULT));
    Handle t(H5Dget_type(d));
    CHECK(H5Tequal(t, H5T_IEEE_F32LE) > 0);
  }
  for (const char* ds : {"unwrapPhase", "coherence", "connectComponent"}) {
    INFO(ds);
    Handle d(H5Dopen2(fid, ds, H5P_DEFAULT));
    Handle space(H5Dget_space(d));
    hsize_t dims[3], maxdims[3];
    REQUIRE(H5Sget_simple_extent_dims(space, dims, maxdims) == 3);
    CHECK(maxdims[0] == H5S_UNLIMITED);
    CHECK(maxdims[1] == dims[1]);
    CHECK(maxdims[2] == dims[2]);
    Handle dcpl(H5Dget_create_plist(d));
    H5D_fill_time_t ft;
    H5Pget_fill_time(dcpl, &ft);
    CHECK(ft == H5D_FILL_TIME_ALLOC);
    Handle t(H5Dget_type(d));
    CHECK(H5Tequal(t, std::string(ds) == "connectComponent" ? H5T_STD_I16LE : H5T_IEEE_F32LE) > 0);
  }
}

TEST_CASE("pairs, dates and attributes as requested", "[simulate]") {
  pjd::test::TempDir dir("sim_network");
  SimParams p = tiny();
  p.n_dates = 7;
  p.connections = 2;
  const auto truth = pjd::simulate(dir.path(), p);
  const Stack s = Stack::open(dir.path());
  REQUIRE(s.n_pairs() == 2 * 7 - 3);
  CHECK(s.pairs()[0].name() == "20210103_20210115");
  CHECK(s.pairs()[1].name() == "20210103_20210127");
  CHECK(s.pairs().back().name() == "20210304_20210316");
  CHECK(s.dates().size() == 7);
  for (std::size_t i = 0; i < s.n_pairs(); ++i) CHECK(s.pairs()[i].name() == truth.pairs[i].pair);
  CHECK(std::all_of(s.keep().begin(), s.keep().end(), [](bool k) { return k; }));
  CHECK(s.orbit_direction() == "ASCENDING");
  CHECK(s.wavelength_m() == Approx(0.05546576));
  CHECK(s.alooks() == 3);
  CHECK(s.rlooks() == 9);
  const json t = read_truth(dir.path());
  CHECK(t["pairs"].size() == s.n_pairs());
  CHECK(t["seed"] == 7);
  CHECK(t["params"]["connections"] == 2);
}

TEST_CASE("seams: the measured step equals the truth, on the recorded rows", "[simulate]") {
  pjd::test::TempDir dir("sim_truth");
  const SimParams p = clean(3);
  pjd::simulate(dir.path(), p);
  const json t = read_truth(dir.path());
  const Stack s = Stack::open(dir.path());
  const std::size_t L = s.length(), W = s.width();
  const std::size_t B = t["n_burst"], w = L / B;
  const auto rows = t["boundary_rows"].get<std::vector<std::size_t>>();
  REQUIRE(rows.size() == B - 1);
  const double mm_per_rad = 0.05546576 / (4 * std::numbers::pi) * 1000;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < s.n_pairs(); ++i) {
    const auto& pt = t["pairs"][i];
    REQUIRE(pt["pair"] == s.pairs()[i].name());
    const auto phi = s.read_pair("unwrapPhase", i);
    const auto jr = pt["jump_rad_per_boundary"].get<std::vector<double>>();
    const auto jm = pt["jump_mm_per_boundary"].get<std::vector<double>>();
    double ramp = 0;
    for (std::size_t n = 0; n < rows.size(); ++n) {
      INFO("pair " << pt["pair"] << " seam " << n);
      const std::size_t b = rows[n];
      CHECK(b >= (n + 1) * w - w / 2);
      CHECK(b < (n + 1) * w + w / 2);
      for (std::size_t c : {std::size_t{0}, W / 2, W - 1}) {
        CHECK(corrected_step(phi.data() + c, W, b) == Approx(jr[n]).margin(2e-5));
        ++checked;
      }
      // The largest row-to-row change inside the window sits on the recorded row.
      std::size_t arg = 0;
      double best = -1;
      for (std::size_t r = std::max<std::size_t>(1, (n + 1) * w - w / 2); r < (n + 1) * w + w / 2; ++r) {
        const double d = std::abs(double(phi[r * W]) - double(phi[(r - 1) * W]));
        if (d > best) {
          best = d;
          arg = r;
        }
      }
      if (std::abs(jr[n]) > 0.01) CHECK(arg == b);
      // The physics: step = -2 pi df_ovl dt s, dt = 2.055556 ms, df_ovl within 3 % of IW1's 4.9 kHz.
      const double df = t["subswaths"][0]["df_ovl_per_seam_hz"][n];
      CHECK(df == Approx(4900.0).epsilon(0.0301));
      CHECK(jr[n] == Approx(-2 * std::numbers::pi * df * 2.055556e-3 * pt["misreg_px"].get<double>()).epsilon(1e-12));
      CHECK(jm[n] == Approx(std::abs(jr[n]) * mm_per_rad).epsilon(1e-12));
      ramp += jm[n];
    }
    CHECK(pt["ramp_mm"].get<double>() == Approx(ramp).epsilon(1e-12));
    // misreg_px is the difference of the two dates' misregistrations.
    const auto& per_date = t["misreg_px_per_date"];
    CHECK(pt["misreg_px"].get<double>() ==
          Approx(per_date[s.pairs()[i].sec].get<double>() - per_date[s.pairs()[i].ref].get<double>()).margin(1e-15));
  }
  CHECK(checked == s.n_pairs() * rows.size() * 3);
}

TEST_CASE("bad dates carry 0.010-0.012 px and big jumps", "[simulate]") {
  pjd::test::TempDir dir("sim_bad_dates");
  pjd::simulate(dir.path(), tiny(21));
  const json t = read_truth(dir.path());
  const auto bad = t["bad_dates"].get<std::vector<std::string>>();
  REQUIRE(bad.size() == 2);
  for (const auto& [date, s] : t["misreg_px_per_date"].items()) {
    const bool is_bad = std::find(bad.begin(), bad.end(), date) != bad.end();
    INFO(date);
    if (is_bad) {
      CHECK(std::abs(s.get<double>()) >= 0.010);
      CHECK(std::abs(s.get<double>()) <= 0.012);
    } else {
      CHECK(std::abs(s.get<double>()) < 0.0075);  // 5 sigma of 0.0015 px
    }
  }
  // A pair holding a bad date: |s| >= ~0.0025 px -> jump per seam >= ~0.7 mm at 4.9 kHz.
  for (const auto& pt : t["pairs"]) {
    const std::string name = pt["pair"];
    const bool has_bad = std::any_of(bad.begin(), bad.end(), [&](const std::string& d) { return name.find(d) != std::string::npos; });
    const bool both_bad = std::all_of(bad.begin(), bad.end(), [&](const std::string& d) { return name.find(d) != std::string::npos; });
    if (has_bad && !both_bad) CHECK(std::abs(pt["misreg_px"].get<double>()) > 0.0025);
  }
}

TEST_CASE("a smeared seam keeps its total step but spreads it over rows", "[simulate]") {
  pjd::test::TempDir dir("sim_smear");
  SimParams p = clean(4);
  p.smear_rows = 3;
  pjd::simulate(dir.path(), p);
  const json t = read_truth(dir.path());
  const Stack s = Stack::open(dir.path());
  const std::size_t W = s.width();
  const auto rows = t["boundary_rows"].get<std::vector<std::size_t>>();
  for (std::size_t i = 0; i < s.n_pairs(); ++i) {
    const auto phi = s.read_pair("unwrapPhase", i);
    const auto jr = t["pairs"][i]["jump_rad_per_boundary"].get<std::vector<double>>();
    for (std::size_t n = 0; n < rows.size(); ++n) {
      const std::size_t b = rows[n];
      auto at = [&](std::size_t r) { return double(phi[r * W + 3]); };
      // Over rows b-8 .. b+7 the step is complete; remove the ramp measured outside.
      const double slope = 0.5 * ((at(b - 8) - at(b - 9)) + (at(b + 8) - at(b + 7)));
      const double total = at(b + 7) - at(b - 8) - 15 * slope;
      CHECK(total == Approx(jr[n]).margin(0.01 * std::abs(jr[n]) + 1e-5));
      // The single-row change at the seam is only part of the step (~35 % for 3 rows).
      const double single = at(b) - at(b - 1);
      if (std::abs(jr[n]) > 0.05) {
        CHECK(std::abs(single) < 0.6 * std::abs(jr[n]));
        CHECK(std::abs(single) > 0.2 * std::abs(jr[n]));
      }
    }
  }
}

TEST_CASE("seams stay inside the detector's windows for many seeds and sizes", "[simulate]") {
  pjd::test::TempDir dir("sim_windows");
  std::size_t checked = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    SimParams p = clean(seed);
    p.n_dates = 2;
    p.n_lowcoh_pairs = 0;
    p.n_bad_dates = 0;
    p.n_burst = static_cast<int>(2 + seed % 9);  // 2..10
    p.length = 60 * static_cast<std::size_t>(p.n_burst) + seed;
    p.width = 24;
    p.n_subswaths = 1 + static_cast<int>(seed % 3);
    const auto truth = pjd::simulate(dir.path(), p);
    const std::size_t B = static_cast<std::size_t>(p.n_burst), w = p.length / B;
    for (const auto& sw : truth.subswaths) {
      REQUIRE(sw.boundary_rows.size() == B - 1);
      for (std::size_t n = 0; n < B - 1; ++n) {
        INFO("seed " << seed << " " << sw.name << " seam " << n);
        CHECK(sw.boundary_rows[n] >= (n + 1) * w - w / 2);
        CHECK(sw.boundary_rows[n] < (n + 1) * w + w / 2);
        ++checked;
      }
      // Regular spacing: each seam is +-1 row of jitter (plus rounding) off a regular grid
      // whose spacing is L/B + 0.5-2 %, so consecutive spacings differ by at most 6 rows.
      for (std::size_t n = 2; n < B - 1; ++n) {
        const long d1 = long(sw.boundary_rows[n]) - long(sw.boundary_rows[n - 1]);
        const long d0 = long(sw.boundary_rows[n - 1]) - long(sw.boundary_rows[n - 2]);
        CHECK(std::abs(d1 - d0) <= 6);
      }
      if (B >= 4) {
        const double mean = double(sw.boundary_rows[B - 2] - sw.boundary_rows[0]) / double(B - 2);
        const double nominal = double(p.length) / double(B);
        CHECK(mean > nominal * 0.995 - 1.5);
        CHECK(mean < nominal * 1.02 + 1.5);
      }
    }
  }
  CHECK(checked > 100);
}

TEST_CASE("low-coherence pairs have mean coherence below 0.4, the others above", "[simulate]") {
  pjd::test::TempDir dir("sim_lowcoh");
  SimParams p = tiny(9);
  p.n_lowcoh_pairs = 3;
  pjd::simulate(dir.path(), p);
  const json t = read_truth(dir.path());
  const Stack s = Stack::open(dir.path());
  const auto low = t["low_coherence_pairs"].get<std::vector<std::string>>();
  CHECK(low.size() == 3);
  for (std::size_t i = 0; i < s.n_pairs(); ++i) {
    const auto coh = s.read_pair("coherence", i);
    double sum = 0;
    std::size_t n = 0;
    for (float g : coh)
      if (g != 0) {
        sum += g;
        ++n;
      }
    const double mean = sum / double(n);
    const std::string name = s.pairs()[i].name();
    INFO(name);
    const bool is_low = std::find(low.begin(), low.end(), name) != low.end();
    CHECK((mean < 0.4) == is_low);
    CHECK(t["pairs"][i]["low_coherence"] == is_low);
    CHECK(t["pairs"][i]["mean_coherence"].get<double>() == Approx(mean).epsilon(1e-9));
    if (!is_low) CHECK(mean > 0.5);
  }
}

TEST_CASE("water is no-data: coherence 0, phase 0, waterMask false", "[simulate]") {
  pjd::test::TempDir dir("sim_water");
  const auto truth = pjd::simulate(dir.path(), tiny(13));
  const Stack s = Stack::open(dir.path());
  CHECK(truth.water_fraction > 0.01);
  CHECK(truth.water_fraction < 0.15);
  const auto unw = s.read_pair("unwrapPhase", 0), coh = s.read_pair("coherence", 0);
  std::size_t water = 0, bad = 0;
  for (std::size_t i = 0; i < unw.size(); ++i) {
    if (coh[i] == 0) {
      ++water;
      bad += unw[i] != 0;
    } else {
      bad += unw[i] == 0;
    }
  }
  CHECK(bad == 0);
  CHECK(double(water) / double(unw.size()) == Approx(truth.water_fraction));
  // The reference point is on land.
  CHECK(coh[truth.ref_y * s.width() + truth.ref_x] > 0);
  CHECK(s.attributes().get("REF_Y") == std::to_string(truth.ref_y));
}

TEST_CASE("ascending and descending geometry", "[simulate]") {
  for (bool desc : {false, true}) {
    INFO((desc ? "descending" : "ascending"));
    pjd::test::TempDir dir(desc ? "sim_desc" : "sim_asc");
    SimParams p = tiny();
    p.descending = desc;
    pjd::simulate(dir.path(), p);
    const Stack s = Stack::open(dir.path());
    CHECK(s.orbit_direction() == (desc ? "DESCENDING" : "ASCENDING"));
    CHECK(s.attributes().get("HEADING") == (desc ? "-168.0" : "-12.0"));
    const auto g = pjd::read_geometry(dir.path() / "inputs" / "geometryRadar.h5");
    REQUIRE(g.length == s.length());
    const std::size_t W = g.width;
    std::size_t wrong_rows = 0, wrong_cols = 0;
    for (std::size_t r = 1; r < g.length; ++r)
      for (std::size_t c = 0; c < W; ++c) {
        const float d = g.latitude_deg[r * W + c] - g.latitude_deg[(r - 1) * W + c];
        wrong_rows += desc ? d >= 0 : d <= 0;
      }
    for (std::size_t r = 0; r < g.length; ++r)
      for (std::size_t c = 1; c < W; ++c) {
        const float d = g.longitude_deg[r * W + c] - g.longitude_deg[r * W + c - 1];
        wrong_cols += desc ? d >= 0 : d <= 0;  // range eastward (asc) / westward (desc)
      }
    CHECK(wrong_rows == 0);
    CHECK(wrong_cols == 0);
    // Realistic spacing: 200 rows x 42 m ~ 8.4 km along track ~ 0.074 deg of latitude.
    const double dlat = std::abs(g.latitude_deg[(g.length - 1) * W] - g.latitude_deg[0]);
    CHECK(dlat == Approx(199 * 42.0 * std::cos(12 * std::numbers::pi / 180) / 111320.0).epsilon(0.02));
    CHECK(g.attributes.get("FILE_TYPE") == "geometry");
  }
}

TEST_CASE("sub-swaths have their own, distinct seam rows and columns", "[simulate]") {
  pjd::test::TempDir dir("sim_subswaths");
  SimParams p = clean(6);
  p.n_subswaths = 3;
  p.width = 90;
  pjd::simulate(dir.path(), p);
  const json t = read_truth(dir.path());
  REQUIRE(t["subswaths"].size() == 3);
  REQUIRE(t["boundary_rows"].size() == 3);  // one list per sub-swath
  std::size_t x = 0;
  std::vector<std::vector<std::size_t>> rows;
  for (const auto& sw : t["subswaths"]) {
    CHECK(sw["x0"] == x);
    x = sw["x1"];
    rows.push_back(sw["boundary_rows"].get<std::vector<std::size_t>>());
  }
  CHECK(x == 90);
  CHECK(t["subswaths"][0]["name"] == "IW1");
  CHECK(t["subswaths"][2]["name"] == "IW3");
  for (std::size_t n = 0; n < rows[0].size(); ++n) {
    std::set<std::size_t> distinct{rows[0][n], rows[1][n], rows[2][n]};
    CHECK(distinct.size() == 3);
  }
  CHECK(rows[0] == t["boundary_rows"][0].get<std::vector<std::size_t>>());
  // In the data: each sub-swath steps on its own rows and not on the others'.
  const Stack s = Stack::open(dir.path());
  const std::size_t W = s.width();
  CHECK(s.attributes().get("beam_swath") == "123");
  for (std::size_t i = 0; i < s.n_pairs(); ++i) {
    const auto phi = s.read_pair("unwrapPhase", i);
    const auto& pt = t["pairs"][i];
    REQUIRE(pt["ramp_mm"].size() == 3);
    for (std::size_t k = 0; k < 3; ++k) {
      const std::size_t col = t["subswaths"][k]["x0"].get<std::size_t>() + 5;
      const auto jr = pt["jump_rad_per_boundary"][k].get<std::vector<double>>();
      for (std::size_t n = 0; n < rows[k].size(); ++n) {
        CHECK(corrected_step(phi.data() + col, W, rows[k][n]) == Approx(jr[n]).margin(2e-5));
        const std::size_t other = rows[(k + 1) % 3][n];
        CHECK(std::abs(corrected_step(phi.data() + col, W, other)) < 1e-4);
      }
    }
  }
}

TEST_CASE("pjd simulate: summary, JSON and progress lines", "[simulate][cli]") {
  pjd::test::TempDir dir("sim_cli");
  const std::string out = (dir.path() / "a").string();
  auto r = pjd::test::run_pjd("simulate " + out + " --size tiny --seed 3 --format json --progress json");
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(j["n_burst"] == 4);
  CHECK(j["seed"] == 3);
  CHECK(j["length"] == 200);
  CHECK_FALSE(j.contains("pairs"));
  double last = -1;
  std::size_t lines = 0;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    const json pj = json::parse(line);
    CHECK(pj["progress"].get<double>() >= last);
    last = pj["progress"];
    CHECK(pj.contains("stage"));
    ++lines;
  }
  CHECK(lines >= 3);
  CHECK(last == 1.0);
  // Text summary names the seams and the truth file.
  r = pjd::test::run_pjd("simulate " + (dir.path() / "b").string() + " --size tiny --seed 3 --orbit desc --subswaths 2 --compression lzf --progress none");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("descending") != std::string::npos);
  CHECK(r.out.find("IW2") != std::string::npos);
  CHECK(r.out.find("truth.json") != std::string::npos);
  CHECK(r.err.empty());
  const Stack s = Stack::open(dir.path() / "b");
  CHECK(s.datasets().at("unwrapPhase").compression() == "lzf");
  // Usage errors exit 2.
  r = pjd::test::run_pjd("simulate " + (dir.path() / "c").string() + " --size tiny --n-burst 1");
  CHECK(r.exit_code == 2);
  r = pjd::test::run_pjd("simulate " + (dir.path() / "c").string() + " --compression zstd");
  CHECK(r.exit_code == 2);
  CHECK_FALSE(fs::exists(dir.path() / "c" / "truth.json"));
}

TEST_CASE("an output path that is a file is an I/O error", "[simulate][errors]") {
  pjd::test::TempDir dir("sim_outfile");
  const fs::path file = dir.path() / "not_a_dir";
  std::ofstream(file) << "x";
  try {
    pjd::simulate(file, tiny());
    FAIL("no error");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Io);
    CHECK(e.exit_code() == 3);
  }
  const auto r = pjd::test::run_pjd("simulate " + file.string() + " --size tiny --progress none");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("not_a_dir") != std::string::npos);
}

TEST_CASE("a second run replaces the outputs in place", "[simulate]") {
  pjd::test::TempDir dir("sim_rerun");
  pjd::simulate(dir.path(), tiny(1));
  const auto first = read_truth(dir.path());
  pjd::simulate(dir.path(), tiny(2));
  const auto second = read_truth(dir.path());
  CHECK(first["seed"] == 1);
  CHECK(second["seed"] == 2);
  const Stack s = Stack::open(dir.path());
  CHECK(s.n_pairs() == second["pairs"].size());
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) files += e.is_regular_file();
  CHECK(files == 3);
}
