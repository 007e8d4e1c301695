// validate_params: every refusal, on the parity stacks in place and on tiny stacks
// written here with the HDF5 C API.
#include <catch2/catch.hpp>

#include <map>

#include "io/h5util.hpp"
#include "helpers.hpp"
#include "pjd/detect.hpp"
#include "pjd/error.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::DetectParams;
using pjd::ErrorKind;
using pjd::Stack;

namespace {

fs::path parity(const std::string& name) { return fs::path(pjd::test::kParityDir) / name; }

/// A minimal MintPy stack: `date` (n, 2), unwrapPhase/coherence (n, length, width),
/// string attributes.
fs::path write_stack(const fs::path& dir, std::size_t length, std::size_t width,
                     const std::map<std::string, std::string>& attrs) {
  pjd::h5::init_library();
  fs::create_directories(dir / "inputs");
  const fs::path file = dir / "inputs" / "ifgramStack.h5";
  pjd::h5::Handle f(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  REQUIRE(f.valid());
  for (const auto& [k, v] : attrs) pjd::h5::write_string_attribute(f, k, v);
  pjd::h5::write_string_attribute(f, "LENGTH", std::to_string(length));
  pjd::h5::write_string_attribute(f, "WIDTH", std::to_string(width));
  pjd::h5::write_string_attribute(f, "FILE_TYPE", "ifgramStack");
  {
    const std::string joined = "20210103202101152021011520210127";  // (2, 2) x 8 characters
    hsize_t dims[2] = {2, 2};
    pjd::h5::Handle space(H5Screate_simple(2, dims, nullptr));
    pjd::h5::Handle type(H5Tcopy(H5T_C_S1));
    H5Tset_size(type, 8);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    pjd::h5::Handle d(H5Dcreate2(f, "date", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    REQUIRE(d.valid());
    REQUIRE(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, joined.data()) >= 0);
  }
  for (const char* name : {"unwrapPhase", "coherence"}) {
    hsize_t dims[3] = {2, length, width};
    pjd::h5::Handle space(H5Screate_simple(3, dims, nullptr));
    pjd::h5::Handle d(H5Dcreate2(f, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    REQUIRE(d.valid());
    std::vector<float> zeros(2 * length * width, 0.5f);
    REQUIRE(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data()) >= 0);
  }
  return file;
}

const std::map<std::string, std::string> kRadar = {
    {"WAVELENGTH", "0.05546576"}, {"ORBIT_DIRECTION", "ASCENDING"}, {"PLATFORM", "Sen"}, {"ALOOKS", "3"}};

DetectParams params(int b) {
  DetectParams p;
  p.method = "published";
  p.n_burst = b;
  return p;
}

/// Runs validate_params and returns the error it throws.
pjd::Error refusal(const Stack& s, const DetectParams& p) {
  try {
    pjd::validate_params(s, p);
  } catch (const pjd::Error& e) {
    return e;
  }
  FAIL("validate_params accepted the parameters");
  throw std::logic_error("unreachable");
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("validate_params accepts the parity cases and sorts --sub-x", "[validate]") {
  const auto nominal = Stack::open(parity("nominal"));
  CHECK_NOTHROW(pjd::validate_params(nominal, params(6)));
  CHECK_NOTHROW(pjd::validate_params(Stack::open(parity("lowcoh_lzf")), params(9)));

  auto p = params(4);
  p.sub_x = std::make_pair(std::size_t{180}, std::size_t{20});
  p.cmin = 0.7;
  p.pct = 0.1;
  p.pj_thr_mm = 3;
  const auto v = pjd::validate_params(Stack::open(parity("descending_subx")), p);
  REQUIRE(v.sub_x);
  CHECK(v.sub_x->first == 20);
  CHECK(v.sub_x->second == 180);
  CHECK(v.cmin == 0.7);

  auto one = params(6);
  one.pair = "20210103_20210115";
  CHECK(pjd::validate_params(nominal, one).pair == one.pair);
}

TEST_CASE("validate_params refuses bad options with Usage", "[validate]") {
  const auto s = Stack::open(parity("nominal"));  // 540 x 140, number_of_bursts 6

  SECTION("--n-burst missing or < 2") {
    for (int b : {0, 1, -3}) {
      const auto e = refusal(s, params(b));
      CHECK(e.kind() == ErrorKind::Usage);
      CHECK(e.exit_code() == 2);
      CHECK(has(e.what(), "--n-burst must be >= 2"));
    }
  }
  SECTION("--sub-x beyond WIDTH-1 names the width") {
    auto p = params(6);
    p.sub_x = std::make_pair(std::size_t{10}, std::size_t{140});
    const auto e = refusal(s, p);
    CHECK(e.kind() == ErrorKind::Usage);
    CHECK(has(e.what(), "WIDTH 140"));
    CHECK(has(e.what(), "--sub-x 10 140"));
    p.sub_x = std::make_pair(std::size_t{139}, std::size_t{0});  // x1 = WIDTH-1 is allowed (reference rule)
    CHECK(pjd::validate_params(s, p).sub_x == std::make_pair(std::size_t{0}, std::size_t{139}));
    p.sub_x = std::make_pair(std::size_t{50}, std::size_t{50});
    CHECK(refusal(s, p).kind() == ErrorKind::Usage);
  }
  SECTION("unknown --pair names the pair and the file") {
    auto p = params(6);
    p.pair = "20200101_20200113";
    const auto e = refusal(s, p);
    CHECK(e.kind() == ErrorKind::Usage);
    CHECK(has(e.what(), "20200101_20200113"));
    CHECK(has(e.what(), "ifgramStack.h5"));
  }
  SECTION("cmin outside (0, 1]") {
    for (double c : {0.0, -0.5, 1.01, std::nan("")}) {
      auto p = params(6);
      p.cmin = c;
      const auto e = refusal(s, p);
      CHECK(e.kind() == ErrorKind::Usage);
      CHECK(has(e.what(), "--cmin"));
    }
    auto p = params(6);
    p.cmin = 1.0;
    CHECK_NOTHROW(pjd::validate_params(s, p));
  }
  SECTION("pct outside (0, 1)") {
    for (double k : {0.0, 1.0, 25.0, -0.1}) {
      auto p = params(6);
      p.pct = k;
      const auto e = refusal(s, p);
      CHECK(e.kind() == ErrorKind::Usage);
      CHECK(has(e.what(), "--pct"));
    }
  }
  SECTION("pj-thr <= 0") {
    for (double t : {0.0, -5.0}) {
      auto p = params(6);
      p.pj_thr_mm = t;
      const auto e = refusal(s, p);
      CHECK(e.kind() == ErrorKind::Usage);
      CHECK(has(e.what(), "--pj-thr"));
    }
  }
  SECTION("unknown method") {
    auto p = params(6);
    p.method = "fancy";
    const auto e = refusal(s, p);
    CHECK(e.kind() == ErrorKind::Usage);
    CHECK(has(e.what(), "fancy"));
  }
}

TEST_CASE("validate_params refuses unsuitable stacks with Data", "[validate]") {
  pjd::test::TempDir tmp("validate_stacks");

  SECTION("geocoded stack (Y_FIRST)") {
    auto attrs = kRadar;
    attrs["Y_FIRST"] = "-0.3";
    attrs["number_of_bursts"] = "3";
    const auto file = write_stack(tmp.path() / "geo", 60, 8, attrs);
    const auto e = refusal(Stack::open(file), params(3));
    CHECK(e.kind() == ErrorKind::Data);
    CHECK(e.exit_code() == 3);
    CHECK(e.file() == file.string());
    CHECK(has(e.what(), "geocoded"));
  }
  SECTION("too few rows per burst") {
    auto attrs = kRadar;
    attrs["number_of_bursts"] = "9";
    const auto file = write_stack(tmp.path() / "short", 30, 8, attrs);  // 30 // 9 = 3 rows per burst
    const auto e = refusal(Stack::open(file), params(9));
    CHECK(e.kind() == ErrorKind::Data);
    CHECK(has(e.what(), "30 rows cannot hold 9 bursts"));
    auto ok = attrs;
    ok["number_of_bursts"] = "7";
    CHECK_NOTHROW(pjd::validate_params(Stack::open(write_stack(tmp.path() / "short7", 30, 8, ok)), params(7)));
  }
  SECTION("--n-burst differs from the stack's number_of_bursts") {
    const auto e = refusal(Stack::open(parity("nominal")), params(9));
    CHECK(e.kind() == ErrorKind::Data);
    CHECK(has(e.what(), "number_of_bursts 6"));
    CHECK(has(e.what(), "full azimuth extent"));
  }
  SECTION("Sentinel-1 stack cut along azimuth (no number_of_bursts)") {
    // 9 bursts at 3 looks need ~9 * 447 rows; 900 rows hold ~2 burst cycles.
    const auto file = write_stack(tmp.path() / "cut", 900, 8, kRadar);
    const auto e = refusal(Stack::open(file), params(9));
    CHECK(e.kind() == ErrorKind::Data);
    CHECK(has(e.what(), "cut along azimuth"));
    CHECK(has(e.what(), "full azimuth extent"));
    // The same rows are enough for 2 bursts.
    CHECK_NOTHROW(pjd::validate_params(Stack::open(file), params(2)));
    // A full-extent stack: 9 bursts at 3 looks, ~4030 rows.
    const auto full = write_stack(tmp.path() / "full", 4030, 4, kRadar);
    CHECK_NOTHROW(pjd::validate_params(Stack::open(full), params(9)));
  }
  SECTION("other platforms are not checked against Sentinel-1 timing") {
    auto attrs = kRadar;
    attrs["PLATFORM"] = "ALOS2";
    const auto file = write_stack(tmp.path() / "alos", 900, 8, attrs);
    CHECK_NOTHROW(pjd::validate_params(Stack::open(file), params(9)));
  }
}
