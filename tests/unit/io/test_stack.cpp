// The MintPy stack reader on the parity stacks and on malformed files.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "io/h5util.hpp"
#include "helpers.hpp"
#include "pjd/error.hpp"
#include "pjd/info.hpp"
#include "pjd/stack.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::Stack;

static fs::path parity(const std::string& name) { return fs::path(pjd::test::kParityDir) / name; }

TEST_CASE("reads the three parity stacks", "[stack]") {
  struct Case {
    const char* name;
    std::size_t pairs, length, width;
    const char* orbit;
    const char* compression;
  };
  for (const Case& c : {Case{"nominal", 42, 540, 140, "ASCENDING", "none"},
                        Case{"lowcoh_lzf", 36, 720, 120, "ASCENDING", "lzf"},
                        Case{"descending_subx", 30, 400, 200, "DESCENDING", "none"}}) {
    INFO(c.name);
    const Stack s = Stack::open(parity(c.name));  // directory form
    CHECK(s.n_pairs() == c.pairs);
    CHECK(s.length() == c.length);
    CHECK(s.width() == c.width);
    CHECK(s.orbit_direction() == c.orbit);
    CHECK_FALSE(s.geocoded());
    CHECK(s.wavelength_m() == Approx(0.05546576));
    CHECK(s.alooks() == 3);
    CHECK(s.rlooks() == 9);
    CHECK(s.platform() == "Sen");
    CHECK(s.pairs().front().name().size() == 17);
    CHECK(s.keep().size() == c.pairs);
    CHECK(s.datasets().at("unwrapPhase").compression() == c.compression);
    CHECK(s.datasets().at("connectComponent").compression() == "lzf");
    CHECK(s.attributes().number("LENGTH").value() == double(c.length));
    CHECK_FALSE(s.attributes().number("ORBIT_DIRECTION").has_value());
    // The file form opens the same stack.
    const Stack f = Stack::open(parity(c.name) / "inputs" / "ifgramStack.h5");
    CHECK(f.n_pairs() == c.pairs);
    CHECK(fs::equivalent(f.mintpy_dir(), parity(c.name)));
  }
}

TEST_CASE("pairs, dates and temporal baselines", "[stack]") {
  const Stack s = Stack::open(parity("nominal"));
  CHECK(s.pairs()[0].name() == "20210103_20210115");
  CHECK(s.pairs()[0].btemp_days() == 12);
  CHECK(s.pairs()[41].name() == "20210620_20210702");
  const auto dates = s.dates();
  CHECK(dates.size() == 16);
  CHECK(dates.front() == "20210103");
  CHECK(dates.back() == "20210702");
  CHECK(s.pair_index("20210115_20210127") == std::optional<std::size_t>(3));
  CHECK_FALSE(s.pair_index("20990101_20990113").has_value());
  const auto j = pjd::describe(s);
  CHECK(j["n_pairs"] == 42);
  CHECK(j["pairs"][0] == "20210103_20210115");
  CHECK(j["datasets"]["coherence"]["chunk"][0] == 6);
  CHECK(j["geocoded"] == false);
}

TEST_CASE("block reads equal single-pair reads, with and without a column subset", "[stack]") {
  for (const char* name : {"nominal", "lowcoh_lzf"}) {
    INFO(name);
    const Stack s = Stack::open(parity(name));
    const std::size_t L = s.length(), W = s.width();
    const std::size_t depth = s.chunk_depth("unwrapPhase");
    CHECK(depth > 1);
    const std::size_t p0 = depth, p1 = std::min(s.n_pairs(), 3 * depth);
    std::vector<float> block((p1 - p0) * L * W);
    s.read("unwrapPhase", p0, p1, 0, W, block.data());
    const std::size_t x0 = 17, x1 = W - 9;
    std::vector<float> sub((p1 - p0) * L * (x1 - x0));
    s.read("unwrapPhase", p0, p1, x0, x1, sub.data());
    std::size_t mismatches = 0, nonzero = 0;
    for (std::size_t p = p0; p < p1; ++p) {
      const auto one = s.read_pair("unwrapPhase", p);
      for (std::size_t i = 0; i < L * W; ++i) {
        mismatches += one[i] != block[(p - p0) * L * W + i];
        nonzero += one[i] != 0.0f;
      }
      for (std::size_t y = 0; y < L; ++y)
        for (std::size_t x = x0; x < x1; ++x)
          mismatches += one[y * W + x] != sub[((p - p0) * L + y) * (x1 - x0) + (x - x0)];
    }
    CHECK(mismatches == 0);
    CHECK(nonzero > (p1 - p0) * L * W / 2);
  }
}

TEST_CASE("block size is a multiple of the chunk depth", "[stack]") {
  const Stack s = Stack::open(parity("nominal"));
  const std::size_t depth = s.chunk_depth("coherence");
  const std::size_t b = s.block_pairs({"unwrapPhase", "coherence"}, s.width(), 1u << 20);
  CHECK(b % depth == 0);
  CHECK(b >= depth);
  CHECK(s.block_pairs({"unwrapPhase", "coherence"}, s.width(), std::size_t(1) << 40) == s.n_pairs());
}

TEST_CASE("reads geometryRadar.h5", "[stack]") {
  const Stack s = Stack::open(parity("descending_subx"));
  const auto g = pjd::read_geometry(pjd::geometry_path_for(s));
  CHECK(g.length == s.length());
  CHECK(g.width == s.width());
  REQUIRE(g.latitude_deg.size() == g.length * g.width);
  CHECK(std::isfinite(g.latitude_deg[0]));
  CHECK(std::abs(g.latitude_deg[0]) <= 90.0f);
  CHECK(std::abs(g.longitude_deg[0]) <= 180.0f);
}

// ---------------------------------------------------------------- malformed files

namespace {

using pjd::h5::Handle;

/// Writes a minimal stack with knobs to break it in one way at a time.
struct TinyStack {
  std::size_t pairs = 3, length = 8, width = 5;
  std::size_t unw_rank = 3;
  hid_t unw_type = H5T_NATIVE_FLOAT;
  std::size_t coh_length = 8;
  bool with_unw = true, with_date = true, geocoded = false;

  void write(const fs::path& file) const {
    pjd::h5::init_library();
    Handle fid(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    pjd::h5::write_string_attribute(fid, "FILE_TYPE", "ifgramStack");
    pjd::h5::write_string_attribute(fid, "LENGTH", std::to_string(length));
    pjd::h5::write_string_attribute(fid, "WIDTH", std::to_string(width));
    pjd::h5::write_string_attribute(fid, "WAVELENGTH", "0.05546576");
    if (geocoded) pjd::h5::write_string_attribute(fid, "Y_FIRST", "35.0");
    if (with_date) {
      Handle type(H5Tcopy(H5T_C_S1));
      H5Tset_size(type, 8);
      H5Tset_strpad(type, H5T_STR_NULLPAD);
      const hsize_t dims[2] = {pairs, 2};
      Handle space(H5Screate_simple(2, dims, nullptr));
      Handle d(H5Dcreate2(fid, "date", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      std::string buf;
      for (std::size_t i = 0; i < pairs; ++i) buf += "202101" + std::to_string(10 + i) + "202102" + std::to_string(10 + i);
      if (pairs > 0) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    }
    auto cube = [&](const char* name, hid_t type, std::size_t rank, std::size_t len) {
      std::vector<hsize_t> dims{pairs, len, width};
      dims.resize(rank);
      Handle space(H5Screate_simple(int(rank), dims.data(), nullptr));
      Handle d(H5Dcreate2(fid, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      std::size_t n = 1;
      for (auto v : dims) n *= v;
      std::vector<double> values(n, 1.0);
      H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    };
    if (with_unw) cube("unwrapPhase", unw_type, unw_rank, length);
    cube("coherence", H5T_NATIVE_FLOAT, 3, coh_length);
  }
};

std::string open_error(const fs::path& p) {
  try {
    Stack::open(p);
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(e.exit_code() == 3);
    CHECK(std::string(e.what()).find(p.filename().string()) != std::string::npos);
    return e.problem();
  }
  FAIL("no pjd::Error for " << p);
  return {};
}

}  // namespace

TEST_CASE("a geometry off the globe or a FIFO and a TRACK out of range are refused naming the file", "[stack][errors]") {
  pjd::test::TempDir dir("geometry_bad");
  const Stack s = Stack::open(parity("descending_subx"));
  const fs::path src = pjd::geometry_path_for(s);
  const auto refused = [](const fs::path& file, const std::string& problem) {
    try {
      (void)pjd::read_geometry(file);
      FAIL("no error for " << file);
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == pjd::ErrorKind::Data);
      CHECK(e.file() == file.string());
      CHECK_THAT(e.problem(), Catch::Contains(problem));
    }
  };
  const auto set_cell = [](const fs::path& file, const char* name, std::size_t k, float value) {
    pjd::h5::Handle f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    pjd::h5::Handle d(H5Dopen2(f, name, H5P_DEFAULT));
    pjd::h5::Handle space(H5Dget_space(d));
    hsize_t dims[2];
    H5Sget_simple_extent_dims(space, dims, nullptr);
    std::vector<float> v(dims[0] * dims[1]);
    REQUIRE(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
    v[k] = value;
    REQUIRE(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
  };
  const std::size_t k = 3 * s.width() + 7;  // row 3, column 7
  struct Case {
    const char* name;
    float value;
    const char* problem;
  };
  for (const Case& c : {Case{"latitude", 1000.0f, "dataset 'latitude' holds 1000 at row 3, column 7"},
                        Case{"latitude", -90.5f, "holds -90.5 at row 3, column 7: not a latitude"},
                        Case{"longitude", 400.0f, "dataset 'longitude' holds 400 at row 3, column 7"},
                        Case{"longitude", -INFINITY, "holds -inf at row 3, column 7"}}) {
    INFO(c.name << " = " << c.value);
    const fs::path g = dir.path() / "geometryRadar.h5";
    fs::copy_file(src, g, fs::copy_options::overwrite_existing);
    set_cell(g, c.name, k, c.value);
    refused(g, c.problem);
  }
  // NaN is no data, not damage.
  const fs::path nan = dir.path() / "nan.h5";
  fs::copy_file(src, nan);
  set_cell(nan, "latitude", k, NAN);
  CHECK(std::isnan(pjd::read_geometry(nan).latitude_deg[k]));
  // A FIFO is refused without opening it (opening one for reading blocks).
  const fs::path fifo = dir.path() / "fifo.h5";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  refused(fifo, "not a regular file");
  // The other keys a track is read from are checked as trackNumber is.
  for (const char* key : {"TRACK", "relative_orbit", "relativeOrbit"}) {
    INFO(key);
    const fs::path t = dir.path() / (std::string(key) + ".h5");
    TinyStack{}.write(t);
    {
      pjd::h5::Handle f(H5Fopen(t.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
      pjd::h5::write_string_attribute(f, key, "1e300");
    }
    CHECK_THAT(open_error(t), Catch::Contains(std::string("attribute ") + key + " is '1e300'"));
  }
}

TEST_CASE("a well-formed tiny stack opens", "[stack][errors]") {
  pjd::test::TempDir dir("tiny_ok");
  TinyStack{}.write(dir.path() / "ifgramStack.h5");
  const Stack s = Stack::open(dir.path() / "ifgramStack.h5");
  CHECK(s.n_pairs() == 3);
  CHECK(s.read_pair("unwrapPhase", 2)[39] == 1.0f);
}

TEST_CASE("every malformed file gets one clear pjd::Error", "[stack][errors]") {
  pjd::test::TempDir dir("malformed");
  const fs::path d = dir.path();

  SECTION("missing path") { CHECK(open_error(d / "nope.h5").find("no such") != std::string::npos); }
  SECTION("directory without inputs/ifgramStack.h5") {
    fs::create_directories(d / "empty_mintpy");
    CHECK(open_error(d / "empty_mintpy").find("inputs/ifgramStack.h5") != std::string::npos);
  }
  SECTION("not HDF5") {
    std::ofstream(d / "text.h5") << "this is not an HDF5 file\n";
    CHECK(open_error(d / "text.h5") == "not an HDF5 file");
  }
  SECTION("missing dataset") {
    TinyStack t;
    t.with_unw = false;
    t.write(d / "nounw.h5");
    CHECK(open_error(d / "nounw.h5") == "missing dataset 'unwrapPhase'");
  }
  SECTION("missing date") {
    TinyStack t;
    t.with_date = false;
    t.write(d / "nodate.h5");
    CHECK(open_error(d / "nodate.h5") == "missing dataset 'date'");
  }
  SECTION("wrong rank") {
    TinyStack t;
    t.unw_rank = 2;
    t.write(d / "rank.h5");
    CHECK(open_error(d / "rank.h5").find("rank 2") != std::string::npos);
  }
  SECTION("wrong dtype") {
    TinyStack t;
    t.unw_type = H5T_C_S1;
    pjd::h5::Handle strtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(strtype, 4);
    t.unw_type = strtype;
    t.write(d / "dtype.h5");
    CHECK(open_error(d / "dtype.h5").find("dtype") != std::string::npos);
  }
  SECTION("dimension mismatch") {
    TinyStack t;
    t.coh_length = 7;
    t.write(d / "dims.h5");
    CHECK(open_error(d / "dims.h5").find("dimension mismatch: dataset 'coherence'") != std::string::npos);
  }
  SECTION("empty stack") {
    TinyStack t;
    t.pairs = 0;
    t.write(d / "empty.h5");
    CHECK(open_error(d / "empty.h5").find("empty stack") != std::string::npos);
  }
  SECTION("truncated file") {
    const fs::path src = parity("nominal") / "inputs" / "ifgramStack.h5";
    const fs::path dst = d / "truncated.h5";
    fs::copy_file(src, dst);
    fs::resize_file(dst, fs::file_size(src) / 2);
    // Opening may fail, or succeed and then fail on reading the missing chunks.
    bool raised = false;
    try {
      const Stack s = Stack::open(dst);
      std::vector<float> all(s.n_pairs() * s.length() * s.width());
      s.read("unwrapPhase", 0, s.n_pairs(), 0, s.width(), all.data());
    } catch (const pjd::Error& e) {
      raised = true;
      CHECK(std::string(e.what()).find("truncated.h5") != std::string::npos);
    }
    CHECK(raised);
  }
}

TEST_CASE("out-of-range reads are usage errors", "[stack][errors]") {
  const Stack s = Stack::open(parity("nominal"));
  std::vector<float> buf(s.length() * s.width());
  CHECK_THROWS_AS(s.read("unwrapPhase", 0, 1, 0, s.width() + 1, buf.data()), pjd::Error);
  CHECK_THROWS_AS(s.read("unwrapPhase", 5, 5, 0, s.width(), buf.data()), pjd::Error);
  CHECK_THROWS_AS(s.read("nosuch", 0, 1, 0, s.width(), buf.data()), pjd::Error);
}

TEST_CASE("geocoded stacks are recognised", "[stack]") {
  pjd::test::TempDir dir("geo");
  TinyStack t;
  t.geocoded = true;
  t.write(dir.path() / "geo.h5");
  CHECK(Stack::open(dir.path() / "geo.h5").geocoded());
}

TEST_CASE("pjd info on every parity stack, text and json", "[cli]") {
  for (const char* name : {"nominal", "lowcoh_lzf", "descending_subx"}) {
    INFO(name);
    auto r = pjd::test::run_pjd("info " + parity(name).string());
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("radar") != std::string::npos);
    r = pjd::test::run_pjd("info " + parity(name).string() + " --format json");
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    for (const char* key : {"n_pairs", "length", "width", "dates", "pairs", "geocoded", "datasets"})
      CHECK(j.contains(key));
  }
  auto r = pjd::test::run_pjd("info /etc/hostname");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("/etc/hostname: not an HDF5 file") != std::string::npos);
  r = pjd::test::run_pjd("info");
  CHECK(r.exit_code == 2);
  r = pjd::test::run_pjd("--version");
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("pjd ", 0) == 0);
  r = pjd::test::run_pjd("help");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("info") != std::string::npos);
}

TEST_CASE("the LZF filter is available", "[stack]") { CHECK(pjd::h5::lzf_available()); }
