// A stack wider than 32767 columns (issue 14 item 8): per-row counts of valid cells exceed
// int16. The wide stack is a narrow simulated one tiled K times in range, so every row holds
// K copies of the narrow row: the published method must give the narrow stack's detection
// (seams, ramps, exclusions), with counts about K times the narrow ones (the 99th-percentile
// outlier cut of K copies can fall one value of the row either side), the same in
// summary.json, coherence_cts.nc and the catalogue, and an incremental run (profiles from
// the catalogue) must equal the fresh one.
#include <catch2/catch.hpp>

#include <gdal_priv.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "io/h5util.hpp"
#include "pjd/catalog.hpp"
#include "pjd/simulate.hpp"
#include "pjd/stack.hpp"

namespace fs = std::filesystem;
using pjd::h5::Handle;
using pjd::test::run_pjd;
using pjd::test::slurp;

namespace {

constexpr std::size_t kNarrow = 1000, kTiles = 40, kWide = kNarrow * kTiles;  // 40000 columns
constexpr std::size_t kRows = 48;

/// 3 pairs x 48 rows (2 bursts, a seam found at the true row 24), high coherence, LZF.
pjd::SimParams params(std::size_t width) {
  pjd::SimParams sp;
  sp.n_dates = 4;
  sp.connections = 1;
  sp.length = kRows;
  sp.width = width;
  sp.n_burst = 2;
  sp.coherence_mean = 0.95;
  sp.water = false;
  sp.n_lowcoh_pairs = 0;
  sp.compression = pjd::SimCompression::Lzf;
  sp.seed = 5;
  sp.threads = 2;
  return sp;
}

/// Reads dataset `name` (pairs x rows x cols float32) of a stack file.
std::vector<float> read_all(const fs::path& file, const char* name, hsize_t dims[3]) {
  Handle f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  REQUIRE(f.valid());
  Handle d(H5Dopen2(f, name, H5P_DEFAULT));
  REQUIRE(d.valid());
  Handle sp(H5Dget_space(d));
  REQUIRE(H5Sget_simple_extent_dims(sp, dims, nullptr) == 3);
  std::vector<float> v(dims[0] * dims[1] * dims[2]);
  REQUIRE(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
  return v;
}

/// Overwrites `name` of the wide stack with the narrow stack's, tiled kTiles times in range.
void tile_into(const fs::path& narrow, const fs::path& wide, const char* name) {
  hsize_t nd[3];
  const auto src = read_all(narrow, name, nd);
  REQUIRE(nd[2] == kNarrow);
  std::vector<float> out(nd[0] * nd[1] * kWide);
  for (hsize_t p = 0; p < nd[0]; ++p)
    for (hsize_t r = 0; r < nd[1]; ++r)
      for (std::size_t t = 0; t < kTiles; ++t)
        std::copy_n(src.data() + (p * nd[1] + r) * kNarrow, kNarrow, out.data() + (p * nd[1] + r) * kWide + t * kNarrow);
  Handle f(H5Fopen(wide.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  REQUIRE(f.valid());
  Handle d(H5Dopen2(f, name, H5P_DEFAULT));
  REQUIRE(d.valid());
  Handle sp(H5Dget_space(d));
  hsize_t wd[3];
  REQUIRE(H5Sget_simple_extent_dims(sp, wd, nullptr) == 3);
  REQUIRE((wd[0] == nd[0] && wd[1] == nd[1] && wd[2] == kWide));
  REQUIRE(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
}

nlohmann::json summary(const fs::path& out) {
  auto j = nlohmann::json::parse(slurp(out / "summary.json"));
  j.erase("timings_s");
  j.erase("n_pairs_reused");
  return j;
}

/// NoNanCounts of a coherence_cts.nc, with its netCDF type and comment.
struct NcCounts {
  GDALDataType type = GDT_Unknown;
  std::string comment;
  std::vector<std::int32_t> v;
};
NcCounts nc_counts(const fs::path& file, std::size_t n0, std::size_t n1) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_MULTIDIM_RASTER | GDAL_OF_READONLY));
  REQUIRE(ds);
  auto a = ds->GetRootGroup()->OpenMDArray("NoNanCounts");
  REQUIRE(a);
  NcCounts out;
  out.type = a->GetDataType().GetNumericDataType();
  if (auto c = a->GetAttribute("comment"); c && c->ReadAsString()) out.comment = c->ReadAsString();
  out.v.resize(n0 * n1);
  const GUInt64 start[2] = {0, 0};
  const size_t count[2] = {n0, n1};
  REQUIRE(a->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Int32), out.v.data()));
  return out;
}

}  // namespace

TEST_CASE("a stack wider than 32767 columns: true row counts, the narrow stack's detection", "[detect][wide][cli]") {
  pjd::test::TempDir tmp("wide_counts");
  pjd::h5::init_library();
  const auto narrow = pjd::simulate(tmp.path() / "narrow", params(kNarrow));
  const auto wide = pjd::simulate(tmp.path() / "wide", params(kWide));
  tile_into(narrow.stack_file, wide.stack_file, "unwrapPhase");
  tile_into(narrow.stack_file, wide.stack_file, "coherence");
  // The geometry is not needed by detect (28 MB for the wide one).
  fs::remove(tmp.path() / "narrow" / "inputs" / "geometryRadar.h5");
  fs::remove(tmp.path() / "wide" / "inputs" / "geometryRadar.h5");

  const std::string args = " --method published --n-burst 2 --no-figures --progress none --format json";
  const fs::path cat = tmp.path() / "c.gpkg";
  auto r = run_pjd("detect " + narrow.stack_file.string() + " --out " + (tmp.path() / "o_narrow").string() +
                   " --no-catalog" + args);
  REQUIRE(r.exit_code == 0);
  r = run_pjd("detect " + wide.stack_file.string() + " --out " + (tmp.path() / "o_wide").string() + " --catalog " +
              cat.string() + args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto inc = run_pjd("detect " + wide.stack_file.string() + " --out " + (tmp.path() / "o_inc").string() +
                           " --catalog " + cat.string() + args);
  REQUIRE(inc.exit_code == 0);
  CHECK(nlohmann::json::parse(inc.out)["n_pairs_reused"] == 3);

  const auto n = summary(tmp.path() / "o_narrow"), w = summary(tmp.path() / "o_wide");
  const auto nc = n["profiles"]["counts"].get<std::vector<std::int32_t>>();
  const auto wc = w["profiles"]["counts"].get<std::vector<std::int32_t>>();
  REQUIRE(nc.size() == 3 * kRows);
  REQUIRE(wc.size() == nc.size());
  // Every row about K times the narrow row's count (K copies of the row; the outlier cut may
  // keep or drop the K copies of one value): the true, positive values, above int16.
  const auto k = static_cast<std::int32_t>(kTiles);
  std::int32_t most = 0;
  std::size_t exact = 0;
  for (std::size_t i = 0; i < nc.size(); ++i) {
    INFO("profile cell " << i << ": " << wc[i] << " vs " << k << " x " << nc[i]);
    CHECK(std::abs(wc[i] - k * nc[i]) <= k);
    CHECK(wc[i] >= 0);
    exact += wc[i] == k * nc[i];
    most = std::max(most, wc[i]);
  }
  CHECK(exact >= nc.size() * 9 / 10);
  CHECK(most > 32767);
  // The row-reliability threshold scales with the counts (it was negative through int16 counts).
  CHECK(w["thresholds"]["row_count_percentile"].get<double>() ==
        Approx(kTiles * n["thresholds"]["row_count_percentile"].get<double>()).epsilon(0.002));
  CHECK(w["thresholds"]["row_count"].get<double>() ==
        Approx(kTiles * n["thresholds"]["row_count"].get<double>()).epsilon(0.002));
  CHECK(w["thresholds"]["row_count"].get<double>() > 20000);
  CHECK(w["avg_coh_mask"]["used"] == n["avg_coh_mask"]["used"]);
  // The same detection as the narrow stack.
  REQUIRE(w["seams"].size() == 1);
  CHECK(w["seams"][0]["row"] == n["seams"][0]["row"]);
  CHECK(w["seams"][0]["votes"] == n["seams"][0]["votes"]);
  CHECK(w["seams"][0]["row"] == 24);  // the simulated seam
  CHECK(w["excluded_pairs"] == n["excluded_pairs"]);
  CHECK(w["excluded_dates"] == n["excluded_dates"]);
  REQUIRE(w["pairs"].size() == 3);
  for (std::size_t q = 0; q < 3; ++q) {
    INFO("pair " << q);
    const auto &a = w["pairs"][q], &b = n["pairs"][q];
    CHECK(a["pair"] == b["pair"]);
    CHECK(a["excluded"] == b["excluded"]);
    CHECK(a["coh_mean"] == b["coh_mean"]);
    REQUIRE(a["ramp_mm"].is_number());
    CHECK(a["ramp_mm"].get<double>() == Approx(b["ramp_mm"].get<double>()).epsilon(0.01));
  }
  // The incremental run (counts from the catalogue) equals the fresh one.
  CHECK(summary(tmp.path() / "o_inc") == w);

  // coherence_cts.nc: int32 with a comment for the wide stack, int16 for the narrow one.
  const auto wn = nc_counts(tmp.path() / "o_wide" / "coherence_cts.nc", 3, kRows);
  CHECK(wn.type == GDT_Int32);
  CHECK(wn.comment.find("more than 32767") != std::string::npos);
  CHECK(wn.v == wc);
  const auto nn = nc_counts(tmp.path() / "o_narrow" / "coherence_cts.nc", 3, kRows);
  CHECK(nn.type == GDT_Int16);
  CHECK(nn.comment.empty());
  CHECK(nn.v == nc);

  // The catalogue's stored profiles.
  pjd::Catalog c = pjd::Catalog::open(cat);
  const auto stack = pjd::Stack::open(wide.stack_file);
  const auto prof = c.load_profiles(c.resolve_stack("1"), 0, kWide, 0.75);
  REQUIRE(prof.size() == 3);
  for (std::size_t q = 0; q < 3; ++q) {
    const auto& p = prof.at(stack.pairs()[q].name());
    CHECK(p.counts == std::vector<std::int32_t>(wc.begin() + q * kRows, wc.begin() + (q + 1) * kRows));
  }
}
