// write_outputs: a hand-made DetectResult -> files with the reference names and formats.
#include <catch2/catch.hpp>

#include <gdal_priv.h>
#include <sys/wait.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "helpers.hpp"
#include "test_config.hpp"
#include "pjd/internal/atomic_file.hpp"
#include "pjd/error.hpp"
#include "pjd/outputs.hpp"

namespace fs = std::filesystem;
using pjd::test::TempDir;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

pjd::PairResult pair(const std::string& name, int bt, double cm, double cmean, double cs, double gm, double gmean,
                     double gs, bool skipped, std::optional<double> ramp, bool excluded) {
  pjd::PairResult p;
  p.pair = name;
  p.btemp_days = bt;
  p.coh_median = cm;
  p.coh_mean = cmean;
  p.coh_std = cs;
  p.grad_median_mm = gm;
  p.grad_mean_mm = gmean;
  p.grad_std_mm = gs;
  p.skipped = skipped;
  p.ramp_mm = ramp;
  p.excluded = excluded;
  return p;
}

// 4 pairs (stack order not sorted by name), 6 rows.
pjd::DetectResult sample() {
  pjd::DetectResult r;
  r.params.n_burst = 3;
  r.params.pj_thr_mm = 2.0;
  r.stack_file = "/data/mintpy/inputs/ifgramStack.h5";
  r.length = 6;
  r.width = 10;
  r.x1 = 10;
  r.n_pairs_stack = 4;
  r.pairs = {
      pair("20210103_20210115", 12, 0.8, 0.77, 0.16, 0.37, 0.43, 0.32, false, 2.0899999, true),
      pair("20210103_20210127", 24, 0.27, 0.26, 0.06, NAN, NAN, NAN, true, std::nullopt, false),
      pair("20210115_20210127", 12, 0.8, 0.77, 0.125, 0.3, 0.36, 0.26, false, 1.5, false),
      pair("20210103_20210208", 36, 0.75, 0.73, 0.15, 0.33, 0.39, 0.29, false, 13.6549, true),
  };
  r.seams = {{2, 3, 0.5}, {4, 2, 0.4}};
  r.skipped_pairs = {"20210103_20210127"};
  r.excluded_pairs = {"20210103_20210115", "20210103_20210208"};
  r.excluded_dates = {"20210103"};
  auto& pr = r.profiles;
  pr.n_pairs = 4;
  pr.length = 6;
  pr.intensity_pct = {kNaN, kNaN, 12.5f, 13.5f, 0.4f, kNaN,    //
                      0.f,  0.f,  0.f,   0.f,   0.f,  0.f,     //
                      kNaN, 50.f, 49.9f, 2.5f,  100.f, kNaN,   //
                      kNaN, 0.6f, 33.3f, 66.7f, 1.5f, kNaN};
  pr.counts = {0, 0, 8, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 1, 2, 3, 4, 0};
  pr.median_grad_mm = {kNaN, kNaN, 0.25f, 0.5f, 0.f, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN,
                       kNaN, 1.f,  2.f,   3.f,  4.f, kNaN, kNaN, 0.1f, 0.2f, 0.3f, 0.4f, kNaN};
  return r;
}

using pjd::test::slurp;

std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) v.push_back(e.path().string());
  return v;
}

const char* kStats =
    "# No Data Values (Zero Values) were excluded from calculations.\n"
    "# Coherence statistics were derived from all non-NaN pixels.\n"
    "# Pixels with coherence < 0.75 were masked out during the calculation of absolute azimuth gradient and "
    "corresponding intensity.\n"
    "# The number of masked-out pixels varies between pairs.\n"
    "## Column Names/Prefixes:\n"
    "# Btemp: Temporal Baseline\n"
    "# Coh: Coherence\n"
    "# Grad: Absolute gradient along the azimuth direction \n"
    "# Med: Median, Std: Standard deviation\n"
    "\n"
    "DATE12,Btemp[days],Coh_Median,Coh_Mean,Coh_Std,Grad_Median_mm,Grad_Mean_mm,Grad_Std_mm\n"
    "20210103_20210115,12.0,0.8,0.77,0.16,0.37,0.43,0.32\n"
    "20210103_20210127,24.0,0.27,0.26,0.06,nan,nan,nan\n"
    "20210115_20210127,12.0,0.8,0.77,0.12,0.3,0.36,0.26\n"  // 0.125 * 100 = 12.5 -> 12 (half to even)
    "20210103_20210208,36.0,0.75,0.73,0.15,0.33,0.39,0.29\n";

const char* kCoords = "#Coordinates of Phase Jump\n#Y (row index)\n2\n4\n";

const char* kMagnitude =
    "# Pairs found with systematic phase jumps \n"
    "# Magnitude_PJ_mm: Magnitude of the phase jump in mm, calculated with: \n"
    "# mean(phase jump of overlapping areas) * number of overlapping areas \n"
    "# DATE12 \t\tMagnitude_PJ_mm\n"
    "20210103_20210115\t2.09\n"
    "20210103_20210208\t13.65\n"
    "20210115_20210127\t1.5\n";

const char* kExcludePairs =
    "**********\n"
    "\n"
    "List of pairs skipped from assessment (mean coherence < 0.4): \n"
    "20210103_20210127\n"
    "\n"
    "Indexes pairs skipped:\n"
    "1\n"
    "\n"
    "Total pairs skipped: 1 \n"
    "\n"
    "**********\n"
    "\n"
    "\n"
    "List of pairs with phase jumps larger than threshold: \n"
    "20210103_20210115,20210103_20210208\n"
    "\n"
    "Indices of pairs with phase jump larger than threshold:\n"
    "0,3\n"
    "\n"
    "Total pairs with phase jump larger than threshold: 2 \n"
    "\n";

const char* kExcludeDates = "Dates with more than 50% of the pairs with significant phase jump \n20210103";

struct MdFile {
  GDALDatasetUniquePtr ds;
  std::shared_ptr<GDALGroup> root;
  explicit MdFile(const fs::path& p) {
    GDALAllRegister();
    ds.reset(GDALDataset::Open(p.c_str(), GDAL_OF_MULTIDIM_RASTER | GDAL_OF_READONLY));
    REQUIRE(ds);
    root = ds->GetRootGroup();
    REQUIRE(root);
  }
};

std::string string_attr(const std::shared_ptr<GDALMDArray>& a, const std::string& name) {
  auto at = a->GetAttribute(name);
  if (!at) return "<missing>";
  const char* s = at->ReadAsString();
  return s ? s : "<null>";
}

int run(const std::string& cmd) {
  const int st = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

TEST_CASE("text reports match the reference formats byte for byte", "[outputs]") {
  auto r = sample();
  // Coh_Std 0.125 prints 0.12: numpy rounds half to even.
  CHECK(pjd::format_stats_txt(r) == kStats);
  CHECK(pjd::format_coordinates_txt(r) == kCoords);
  CHECK(pjd::format_magnitude_txt(r) == kMagnitude);
  CHECK(pjd::format_exclude_pairs_txt(r) == kExcludePairs);
  CHECK(pjd::format_exclude_dates_txt(r) == kExcludeDates);

  SECTION("no assessed pair: no magnitude report (as the reference)") {
    for (auto& p : r.pairs) p.ramp_mm.reset();
    r.excluded_pairs.clear();
    CHECK(pjd::format_magnitude_txt(r).empty());
    const auto ex = pjd::format_exclude_pairs_txt(r);
    CHECK(ex.find("20210103_20210115,20210103_20210127,20210103_20210208,20210115_20210127\n\nIndexes pairs skipped:\n0,1,3,2\n") !=
          std::string::npos);
    CHECK(ex.find("Total pairs skipped: 4 \n") != std::string::npos);
  }
}

TEST_CASE("text reports equal the parity reference files when fed their values", "[outputs]") {
  // nominal/reference/pj_coordinates.txt and exclude_dates_by_phase_jumps.txt.
  pjd::DetectResult r;
  r.seams = {{176, 0, NAN}, {266, 0, NAN}, {353, 0, NAN}, {442, 0, NAN}};
  const fs::path ref = fs::path(pjd::test::kSharedDir) / "parity/nominal/reference";
  CHECK(pjd::format_coordinates_txt(r) == slurp(ref / "pj_coordinates.txt"));
  CHECK(pjd::format_exclude_dates_txt(r) == slurp(ref / "exclude_dates_by_phase_jumps.txt"));
}

TEST_CASE("write_outputs writes every file atomically with reference names", "[outputs]") {
  TempDir tmp("outputs_write");
  const auto out = tmp.path() / "pj_evaluation";  // created by write_outputs
  auto r = sample();
  r.avg_coh_mask_used = true;
  r.avg_coh_mask_counts = {0, 1, 2, 3, 4, 5};
  const auto written = pjd::write_outputs(r, out, /*with_summary=*/false);

  std::vector<std::string> names;
  for (const auto& p : written) names.push_back(p.filename().string());
  CHECK(names == std::vector<std::string>{"intensity_pct.nc", "coherence_cts.nc", "median_az_grad_mm.nc",
                                          "maskCoh_cts.nc", "stats_absolute_gradient.txt", "pj_coordinates.txt",
                                          "magnitude_phase_jumps.txt",
                                          "exclude_listdate12_interferograms_by_phase_jump.txt",
                                          "exclude_dates_by_phase_jumps.txt"});
  for (const auto& p : written) CHECK(fs::is_regular_file(p));
  CHECK(leftovers(out).empty());
  CHECK(slurp(out / "stats_absolute_gradient.txt") == kStats);
  CHECK(slurp(out / "magnitude_phase_jumps.txt") == kMagnitude);
  CHECK(slurp(out / "exclude_listdate12_interferograms_by_phase_jump.txt") == kExcludePairs);
  CHECK(slurp(out / "exclude_dates_by_phase_jumps.txt") == kExcludeDates);

  SECTION("intensity_pct.nc: int16, _FillValue -999, half-to-even rounding, 0 and NaN as fill") {
    MdFile f(out / "intensity_pct.nc");
    auto a = f.root->OpenMDArray("int_pct");
    REQUIRE(a);
    CHECK(a->GetDataType().GetNumericDataType() == GDT_Int16);
    const auto& dims = a->GetDimensions();
    REQUIRE(dims.size() == 2);
    CHECK(dims[0]->GetName() == "pair");
    CHECK(dims[0]->GetSize() == 4);
    CHECK(dims[1]->GetName() == "Y");
    CHECK(dims[1]->GetSize() == 6);
    bool has_nodata = false;
    CHECK(a->GetNoDataValueAsDouble(&has_nodata) == -999.0);
    CHECK(has_nodata);
    CHECK(string_attr(a, "units") == "percent");
    std::vector<std::int16_t> v(24);
    const GUInt64 start[2] = {0, 0};
    const size_t count[2] = {4, 6};
    REQUIRE(a->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Int16), v.data()));
    CHECK(v == std::vector<std::int16_t>{-999, -999, 12,   14,   0,   -999, -999, -999, -999, -999, -999, -999,
                                         -999, 50,   50,   2,    100, -999, -999, 1,    33,   67,   2,    -999});
    // Coordinates: string pair and int64 Y.
    auto pv = f.root->OpenMDArray("pair");
    REQUIRE(pv);
    CHECK(pv->GetDataType().GetClass() == GEDTC_STRING);
    std::vector<char*> names(4, nullptr);
    const GUInt64 s1[1] = {0};
    const size_t c1[1] = {4};
    REQUIRE(pv->Read(s1, c1, nullptr, nullptr, GDALExtendedDataType::CreateString(), names.data()));
    CHECK(std::string(names[0]) == "20210103_20210115");
    CHECK(std::string(names[3]) == "20210103_20210208");
    for (char* s : names) CPLFree(s);
    auto yv = f.root->OpenMDArray("Y");
    REQUIRE(yv);
    CHECK(yv->GetDataType().GetNumericDataType() == GDT_Int64);
    std::vector<std::int64_t> ys(6);
    const size_t c6[1] = {6};
    REQUIRE(yv->Read(s1, c6, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Int64), ys.data()));
    CHECK(ys == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
    auto conv = f.root->GetAttribute("Conventions");
    REQUIRE(conv);
    CHECK(std::string(conv->ReadAsString()) == "CF-1.8");
    auto src = f.root->GetAttribute("source");
    REQUIRE(src);
    CHECK(std::string(src->ReadAsString()).rfind("pjd ", 0) == 0);
  }

  SECTION("coherence_cts.nc: int16 counts, no fill value") {
    MdFile f(out / "coherence_cts.nc");
    auto a = f.root->OpenMDArray("NoNanCounts");
    REQUIRE(a);
    CHECK(a->GetDataType().GetNumericDataType() == GDT_Int16);
    bool has_nodata = true;
    a->GetNoDataValueAsDouble(&has_nodata);
    CHECK_FALSE(has_nodata);
    CHECK_FALSE(a->GetAttribute("comment"));  // int16 as the reference: nothing to explain
    std::vector<std::int32_t> v(24);
    const GUInt64 start[2] = {0, 0};
    const size_t count[2] = {4, 6};
    REQUIRE(a->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Int32), v.data()));
    CHECK(v == sample().profiles.counts);
  }

  SECTION("median_az_grad_mm.nc: float32 mm, _FillValue NaN, 0 written as NaN") {
    MdFile f(out / "median_az_grad_mm.nc");
    auto a = f.root->OpenMDArray("abs_grad_az_mm");
    REQUIRE(a);
    CHECK(a->GetDataType().GetNumericDataType() == GDT_Float32);
    bool has_nodata = false;
    CHECK(std::isnan(a->GetNoDataValueAsDouble(&has_nodata)));
    CHECK(has_nodata);
    CHECK(string_attr(a, "units") == "mm");
    std::vector<float> v(24);
    const GUInt64 start[2] = {0, 0};
    const size_t count[2] = {4, 6};
    REQUIRE(a->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Float32), v.data()));
    CHECK(v[2] == 0.25f);
    CHECK(std::isnan(v[4]));  // was 0
    CHECK(v[13] == 1.0f);
    CHECK(std::isnan(v[0]));
  }

  SECTION("maskCoh_cts.nc: per-row counts along Y") {
    MdFile f(out / "maskCoh_cts.nc");
    auto a = f.root->OpenMDArray("maskCoh_cts");
    REQUIRE(a);
    REQUIRE(a->GetDimensions().size() == 1);
    CHECK(a->GetDimensions()[0]->GetName() == "Y");
    std::vector<std::int32_t> v(6);
    const GUInt64 start[1] = {0};
    const size_t count[1] = {6};
    REQUIRE(a->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Int32), v.data()));
    CHECK(v == std::vector<std::int32_t>{0, 1, 2, 3, 4, 5});
  }

  SECTION("a later run without mask and without assessed pairs removes those stale files") {
    auto r2 = sample();
    for (auto& p : r2.pairs) p.ramp_mm.reset();
    r2.excluded_pairs.clear();
    const auto again = pjd::write_outputs(r2, out, false);
    CHECK(again.size() == 7);
    CHECK_FALSE(fs::exists(out / "maskCoh_cts.nc"));
    CHECK_FALSE(fs::exists(out / "magnitude_phase_jumps.txt"));
    CHECK(fs::exists(out / "intensity_pct.nc"));
  }

  SECTION("ncdump, gdalinfo and gdalmdiminfo read the files") {
    const auto hdr = tmp.path() / "ncdump.txt";
    REQUIRE(std::system(("ncdump -hs '" + (out / "intensity_pct.nc").string() + "' >'" + hdr.string() + "'").c_str()) == 0);
    const auto h = slurp(hdr);
    CHECK(h.find("string pair(pair) ;") != std::string::npos);
    CHECK(h.find("int64 Y(Y) ;") != std::string::npos);
    CHECK(h.find("short int_pct(pair, Y) ;") != std::string::npos);
    CHECK(h.find("int_pct:_FillValue = -999s ;") != std::string::npos);
    CHECK(h.find("int_pct:units = \"percent\" ;") != std::string::npos);
    CHECK(h.find(":Conventions = \"CF-1.8\" ;") != std::string::npos);
    CHECK(h.find("int_pct:_Storage = \"contiguous\" ;") != std::string::npos);  // uncompressed: written fast
    CHECK(h.find(":_Format = \"netCDF-4\" ;") != std::string::npos);
    REQUIRE(std::system(("ncdump -h '" + (out / "median_az_grad_mm.nc").string() + "' >'" + hdr.string() + "'").c_str()) == 0);
    CHECK(slurp(hdr).find("abs_grad_az_mm:_FillValue = NaNf ;") != std::string::npos);
    for (const char* nc : {"intensity_pct.nc", "coherence_cts.nc", "median_az_grad_mm.nc", "maskCoh_cts.nc"}) {
      CHECK(run("gdalmdiminfo '" + (out / nc).string() + "'") == 0);
      CHECK(run("ncdump -h '" + (out / nc).string() + "'") == 0);
    }
    CHECK(run("gdalinfo 'NETCDF:\"" + (out / "intensity_pct.nc").string() + "\":int_pct'") == 0);
  }
}

TEST_CASE("coherence_cts.nc: int32 with a comment when a row count does not fit int16", "[outputs][wide]") {
  // A full-resolution stack: rows of more than 32767 valid cells (issue 14 item 8).
  TempDir tmp("outputs_wide_counts");
  auto r = sample();
  r.profiles.counts[3] = 32767;   // still fits
  r.profiles.counts[8] = 32768;   // does not
  r.profiles.counts[20] = 40000;
  pjd::write_outputs(r, tmp.path(), /*with_summary=*/false);
  MdFile f(tmp.path() / "coherence_cts.nc");
  auto a = f.root->OpenMDArray("NoNanCounts");
  REQUIRE(a);
  CHECK(a->GetDataType().GetNumericDataType() == GDT_Int32);
  CHECK(string_attr(a, "comment").find("more than 32767 valid cells") != std::string::npos);
  CHECK(string_attr(a, "units") == "1");
  std::vector<std::int32_t> v(24);
  const GUInt64 start[2] = {0, 0};
  const size_t count[2] = {4, 6};
  REQUIRE(a->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Int32), v.data()));
  CHECK(v == r.profiles.counts);
  CHECK(v[8] == 32768);
  CHECK(v[20] == 40000);

  SECTION("32767 at most: int16, as the reference writes it") {
    auto n = sample();
    n.profiles.counts[3] = 32767;
    TempDir t2("outputs_wide_counts_edge");
    pjd::write_outputs(n, t2.path(), false);
    MdFile g(t2.path() / "coherence_cts.nc");
    auto b = g.root->OpenMDArray("NoNanCounts");
    REQUIRE(b);
    CHECK(b->GetDataType().GetNumericDataType() == GDT_Int16);
    CHECK_FALSE(b->GetAttribute("comment"));
  }
}

TEST_CASE("output names: with --pair every name is prefixed with the pair", "[outputs]") {
  auto r = sample();
  r.params.pair = "20210103_20210115";
  const auto n = pjd::output_names(r);
  CHECK(n.intensity_nc == "20210103_20210115_intensity_pct.nc");
  CHECK(n.counts_nc == "20210103_20210115_coherence_cts.nc");
  CHECK(n.median_nc == "20210103_20210115_median_az_grad_mm.nc");
  CHECK(n.stats_txt == "20210103_20210115_stats_absolute_gradient.txt");
  CHECK(n.exclude_dates_txt == "20210103_20210115_exclude_dates_by_phase_jumps.txt");
  CHECK(n.summary_json == "20210103_20210115_summary.json");
  CHECK(pjd::output_names(sample()).intensity_nc == "intensity_pct.nc");
}

TEST_CASE("a failing write throws pjd::Error and leaves no temporary file", "[outputs]") {
  TempDir tmp("outputs_fail");
  const auto r = sample();

  SECTION("output directory is a regular file") {
    const auto file = tmp.path() / "not_a_dir";
    std::ofstream(file) << "x";
    try {
      pjd::write_outputs(r, file, false);
      FAIL("expected pjd::Error");
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == pjd::ErrorKind::Io);
      CHECK(e.file() == file.string());
    }
    CHECK(slurp(file) == "x");
    CHECK(leftovers(tmp.path()).empty());
  }
  SECTION("output directory below a regular file cannot be created") {
    const auto file = tmp.path() / "plain";
    std::ofstream(file) << "x";
    CHECK_THROWS_AS(pjd::write_outputs(r, file / "sub", false), pjd::Error);
  }
  SECTION("a netCDF target is occupied by a directory: rename fails") {
    fs::create_directories(tmp.path() / "intensity_pct.nc" / "keep");
    try {
      pjd::write_outputs(r, tmp.path(), false);
      FAIL("expected pjd::Error");
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == pjd::ErrorKind::Io);
      CHECK(e.file() == (tmp.path() / "intensity_pct.nc").string());
    }
    CHECK(leftovers(tmp.path()).empty());
    CHECK(fs::is_directory(tmp.path() / "intensity_pct.nc" / "keep"));
  }
  SECTION("a text target is occupied by a directory: earlier files stay, no temporaries") {
    fs::create_directories(tmp.path() / "pj_coordinates.txt" / "keep");
    CHECK_THROWS_AS(pjd::write_outputs(r, tmp.path(), false), pjd::Error);
    CHECK(leftovers(tmp.path()).empty());
    CHECK(fs::is_regular_file(tmp.path() / "stats_absolute_gradient.txt"));
  }
  SECTION("profiles inconsistent with pairs are a programming error, caught before writing") {
    auto bad = sample();
    bad.profiles.counts.pop_back();
    CHECK_THROWS_AS(pjd::write_outputs(bad, tmp.path() / "x", false), std::logic_error);
    CHECK_FALSE(fs::exists(tmp.path() / "x"));
  }
}

TEST_CASE("AtomicFile: uncommitted writes vanish, committed ones replace the target", "[outputs][atomic]") {
  TempDir tmp("atomic_file");
  const auto target = tmp.path() / "report.txt";
  pjd::write_file_atomically(target, "old\n");
  {
    pjd::AtomicFile f(target);
    f.stream() << "half-written";
    CHECK(fs::exists(f.temporary()));
    CHECK(f.temporary().parent_path() == tmp.path());
  }  // destroyed without commit
  CHECK(slurp(target) == "old\n");
  CHECK(leftovers(tmp.path()).empty());

  try {
    pjd::AtomicFile f(target);
    f.stream() << "new";
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  CHECK(slurp(target) == "old\n");
  CHECK(leftovers(tmp.path()).empty());

  pjd::write_file_atomically(target, "new\n");
  CHECK(slurp(target) == "new\n");

  // AtomicPath / write_atomically_with: a writer that throws leaves nothing behind.
  CHECK_THROWS(pjd::write_atomically_with(tmp.path() / "x.nc", [](const fs::path& t) {
    std::ofstream(t) << "partial";
    std::ofstream(t.string() + ".aux.xml") << "side";
    throw std::runtime_error("driver failed");
  }));
  CHECK_FALSE(fs::exists(tmp.path() / "x.nc"));
  CHECK(leftovers(tmp.path()).empty());
  // A writer that produces nothing is an Io error.
  CHECK_THROWS_AS(pjd::write_atomically_with(tmp.path() / "y.nc", [](const fs::path&) {}), pjd::Error);
  // Missing directory: Io error naming the target.
  CHECK_THROWS_AS(pjd::AtomicFile(tmp.path() / "missing" / "z.txt"), pjd::Error);
}

TEST_CASE("text reports reproduce the parity reference files from their own values", "[outputs][parity]") {
  // Rebuild a DetectResult from each reference case's reports, format it again and
  // compare byte for byte (numbers, ordering, skipped-pair indices, headers).
  for (const char* name : {"nominal", "lowcoh_lzf", "descending_subx"}) {
    INFO(name);
    const fs::path ref = fs::path(pjd::test::kParityDir) / name / "reference";
    pjd::DetectResult r;
    std::istringstream stats(slurp(ref / "stats_absolute_gradient.txt"));
    std::string line;
    while (std::getline(stats, line)) {
      if (line.empty() || line[0] == '#' || line.rfind("DATE12", 0) == 0) continue;
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string cell; std::getline(ls, cell, ',');) f.push_back(cell);
      REQUIRE(f.size() == 8);
      pjd::PairResult p;
      p.pair = f[0];
      p.btemp_days = std::stoi(f[1]);
      double* dst[] = {&p.coh_median, &p.coh_mean, &p.coh_std, &p.grad_median_mm, &p.grad_mean_mm, &p.grad_std_mm};
      for (int i = 0; i < 6; ++i) *dst[i] = f[2 + i] == "nan" ? NAN : std::stod(f[2 + i]);
      r.pairs.push_back(p);
    }
    std::istringstream mag(slurp(ref / "magnitude_phase_jumps.txt"));
    while (std::getline(mag, line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto tab = line.find('\t');
      for (auto& p : r.pairs)
        if (p.pair == line.substr(0, tab)) p.ramp_mm = std::stod(line.substr(tab + 1));
    }
    std::istringstream coords(slurp(ref / "pj_coordinates.txt"));
    while (std::getline(coords, line))
      if (!line.empty() && line[0] != '#') r.seams.push_back({std::stoul(line), 0, NAN});

    CHECK(pjd::format_stats_txt(r) == slurp(ref / "stats_absolute_gradient.txt"));
    CHECK(pjd::format_magnitude_txt(r) == slurp(ref / "magnitude_phase_jumps.txt"));
    CHECK(pjd::format_exclude_pairs_txt(r) == slurp(ref / "exclude_listdate12_interferograms_by_phase_jump.txt"));
    CHECK(pjd::format_coordinates_txt(r) == slurp(ref / "pj_coordinates.txt"));
    CHECK(pjd::format_exclude_dates_txt(r) == slurp(ref / "exclude_dates_by_phase_jumps.txt"));
  }
}
