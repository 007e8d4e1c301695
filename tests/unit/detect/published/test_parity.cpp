// Parity of detect() with the reference implementation's outputs in shared/parity.
#include <hdf5.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/numeric.hpp"
#include "pjd/detect.hpp"
#include "pjd/error.hpp"
#include "pjd/stack.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE(in.good());
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

/// The line after the one that starts with `header` (empty list when blank).
std::vector<std::string> list_after(const std::vector<std::string>& lines, const std::string& header) {
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (lines[i].rfind(header, 0) == 0) return split(lines[i + 1], ',');
  FAIL("header not found: " << header);
  return {};
}

template <typename T>
std::vector<T> read_nc(const fs::path& file, const std::string& var, hid_t memtype, std::size_t& n0, std::size_t& n1) {
  hid_t f = H5Fopen(file.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  hid_t d = H5Dopen2(f, var.c_str(), H5P_DEFAULT);
  REQUIRE(d >= 0);
  hid_t sp = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  REQUIRE(H5Sget_simple_extent_ndims(sp) == 2);
  H5Sget_simple_extent_dims(sp, dims, nullptr);
  n0 = dims[0];
  n1 = dims[1];
  std::vector<T> out(n0 * n1);
  REQUIRE(H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  return out;
}

pjd::DetectParams params_for(const nlohmann::json& c) {
  pjd::DetectParams p;
  p.method = "published";
  p.n_burst = c.at("n_burst").get<int>();
  std::vector<std::string> args = c.at("reference_args").get<std::vector<std::string>>();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--sub-x") {
      p.sub_x = std::make_pair<std::size_t, std::size_t>(std::stoul(args[i + 1]), std::stoul(args[i + 2]));
      i += 2;
    } else if (a == "--pj-thr") {
      p.pj_thr_mm = std::stod(args[++i]);
    } else if (a == "--cmin") {
      p.cmin = std::stod(args[++i]);
    } else if (a == "--pct") {
      p.pct = std::stod(args[++i]);
    } else if (a == "--msk-avgCoh") {
      p.mask_avg_coh = true;
    } else {
      FAIL("unknown reference argument " << a);
    }
  }
  return p;
}

double r2(double v) { return pjd::num::round_dec(v, 2); }

void check_case(const std::string& name, const nlohmann::json& c) {
  INFO("case " << name);
  const fs::path dir = fs::path(pjd::test::kParityDir) / name;
  const fs::path ref = dir / "reference";
  const auto stack = pjd::Stack::open(dir);
  auto params = params_for(c);
  params.threads = 1;
  const auto res = pjd::detect(stack, params);

  // Seams.
  std::vector<std::size_t> ref_rows;
  for (const auto& l : read_lines(ref / "pj_coordinates.txt"))
    if (!l.empty() && l[0] != '#') ref_rows.push_back(std::stoul(l));
  std::vector<std::size_t> rows;
  for (const auto& s : res.seams) rows.push_back(s.row);
  CHECK(rows == ref_rows);

  // Skipped and excluded pairs, excluded dates.
  const auto exc = read_lines(ref / "exclude_listdate12_interferograms_by_phase_jump.txt");
  CHECK(res.unassessed_pairs == list_after(exc, "List of pairs skipped from assessment"));
  CHECK(res.excluded_pairs == list_after(exc, "List of pairs with phase jumps larger than threshold"));
  const auto dates = read_lines(ref / "exclude_dates_by_phase_jumps.txt");
  CHECK(res.excluded_dates == (dates.size() > 1 ? split(dates[1], ',') : std::vector<std::string>{}));

  // Ramps.
  std::map<std::string, double> ref_ramp;
  for (const auto& l : read_lines(ref / "magnitude_phase_jumps.txt")) {
    if (l.empty() || l[0] == '#') continue;
    const auto tab = l.find('\t');
    ref_ramp[l.substr(0, tab)] = std::stod(l.substr(tab + 1));
  }
  std::map<std::string, double> ramp;
  for (const auto& p : res.pairs)
    if (p.ramp_mm) ramp[p.pair] = *p.ramp_mm;
  REQUIRE(ramp.size() == ref_ramp.size());
  for (const auto& [pair, v] : ref_ramp) {
    INFO("ramp of " << pair);
    REQUIRE(ramp.count(pair) == 1);
    CHECK(r2(ramp[pair]) == Approx(v).margin(1e-9));
  }

  // Statistics, every pair in stack order.
  std::vector<std::vector<std::string>> stat_rows;
  for (const auto& l : read_lines(ref / "stats_absolute_gradient.txt"))
    if (!l.empty() && l[0] != '#' && l.rfind("DATE12", 0) != 0) stat_rows.push_back(split(l, ','));
  REQUIRE(stat_rows.size() == res.pairs.size());
  for (std::size_t q = 0; q < res.pairs.size(); ++q) {
    const auto& p = res.pairs[q];
    const auto& s = stat_rows[q];
    INFO("stats of " << p.pair);
    REQUIRE(s.size() == 8);
    CHECK(s[0] == p.pair);
    CHECK(std::stod(s[1]) == p.btemp_days);
    const double mine[6] = {p.coh_median, p.coh_mean, p.coh_std, p.grad_median_mm, p.grad_mean_mm, p.grad_std_mm};
    for (int k = 0; k < 6; ++k) {
      const double theirs = std::stod(s[2 + k]);
      INFO("column " << 2 + k << ": " << mine[k] << " vs " << s[2 + k]);
      if (std::isnan(theirs)) CHECK(std::isnan(mine[k]));
      else CHECK(r2(mine[k]) == Approx(theirs).margin(1e-9));
    }
  }

  // netCDF profiles.
  std::size_t n0 = 0, n1 = 0;
  // int16 in the reference file, widened by HDF5 to pjd's int32 counts.
  const auto cts = read_nc<std::int32_t>(ref / "coherence_cts.nc", "NoNanCounts", H5T_NATIVE_INT32, n0, n1);
  REQUIRE(n0 == res.profiles.n_pairs);
  REQUIRE(n1 == res.profiles.length);
  CHECK(cts == res.profiles.counts);
  const auto ipct = read_nc<std::int16_t>(ref / "intensity_pct.nc", "int_pct", H5T_NATIVE_INT16, n0, n1);
  std::size_t bad_int = 0;
  for (std::size_t i = 0; i < ipct.size(); ++i) {
    const float v = res.profiles.intensity_pct[i];
    const int mine = std::isnan(v) ? -999 : static_cast<int>(std::nearbyint(v));
    if (mine != ipct[i]) ++bad_int;
  }
  CHECK(bad_int == 0);
  const auto mg = read_nc<float>(ref / "median_az_grad_mm.nc", "abs_grad_az_mm", H5T_NATIVE_FLOAT, n0, n1);
  std::size_t bad_mg = 0;
  for (std::size_t i = 0; i < mg.size(); ++i) {
    const float v = res.profiles.median_grad_mm[i];
    if (std::isnan(v) != std::isnan(mg[i]) || (!std::isnan(v) && std::fabs(v - mg[i]) > 1e-4)) ++bad_mg;
  }
  CHECK(bad_mg == 0);

  // Same result with two threads and small blocks (many blocks, double buffering).
  params.threads = 2;
  params.block_bytes = 1;
  const auto res2 = pjd::detect(stack, params);
  auto j1 = pjd::to_json(res), j2 = pjd::to_json(res2);
  j1.erase("timings_s");
  j2.erase("timings_s");
  j1["params"].erase("threads");
  j2["params"].erase("threads");
  j1["params"].erase("block_bytes");
  j2["params"].erase("block_bytes");
  CHECK(j1 == j2);
  CHECK(j1.at("schema_version") == pjd::kDetectSchemaVersion);
}

nlohmann::json cases() {
  std::ifstream in(fs::path(pjd::test::kParityDir) / "cases.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("parity: nominal", "[parity]") { check_case("nominal", cases().at("nominal")); }
TEST_CASE("parity: lowcoh_lzf", "[parity]") { check_case("lowcoh_lzf", cases().at("lowcoh_lzf")); }
TEST_CASE("parity: descending_subx", "[parity]") { check_case("descending_subx", cases().at("descending_subx")); }
TEST_CASE("parity: every case in cases.json is known", "[parity]") {
  const auto all = cases();
  CHECK(all.size() == 3);
  for (const auto& [name, c] : all.items()) {
    INFO(name);
    CHECK((name == "nominal" || name == "lowcoh_lzf" || name == "descending_subx"));
  }
}

TEST_CASE("summary JSON reads back into the same result", "[detect][json]") {
  pjd::DetectParams params;
  params.method = "published";
  params.n_burst = 6;
  const auto stack = pjd::Stack::open(std::filesystem::path(pjd::test::kParityDir) / "nominal");
  const auto r = pjd::detect(stack, params);
  const auto j = pjd::to_json(r);
  const auto back = pjd::result_from_json(nlohmann::json::parse(j.dump()));
  CHECK(pjd::to_json(back) == j);
  auto bad = j;
  bad["schema_version"] = 99;
  CHECK_THROWS_AS(pjd::result_from_json(bad), pjd::Error);
  bad = j;
  bad.erase("stack");
  CHECK_THROWS_AS(pjd::result_from_json(bad), pjd::Error);
}
