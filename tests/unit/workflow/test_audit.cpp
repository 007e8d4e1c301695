// pjd audit: finding stacks, detecting new or changed ones, skipping unchanged ones.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "io/h5util.hpp"
#include "helpers.hpp"
#include "pjd/audit.hpp"
#include "pjd/error.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;

namespace {

void simulate(const fs::path& out, int seed, const std::string& extra = "") {
  const auto r = pjd::test::run_pjd("simulate " + out.string() + " --size tiny --n-burst 4 --seed " +
                                    std::to_string(seed) + " --progress none " + extra);
  REQUIRE(r.exit_code == 0);
}

std::map<std::string, std::string> status_by_name(const std::vector<pjd::AuditEntry>& entries) {
  std::map<std::string, std::string> m;
  for (const auto& e : entries) m[e.stack.filename().string()] = e.status;
  return m;
}

}  // namespace

TEST_CASE("audit finds stacks, detects new ones, skips unchanged ones and carries on past failures", "[audit]") {
  pjd::test::TempDir dir("audit");
  const fs::path arch = dir.path() / "archive";
  simulate(arch / "track10" / "a", 1);
  simulate(arch / "track10" / "b", 2, "--orbit desc");
  simulate(arch / "track83" / "c", 3);
  fs::create_directories(arch / "broken" / "inputs");
  std::ofstream(arch / "broken" / "inputs" / "ifgramStack.h5") << "not hdf5";

  const auto stacks = pjd::find_stacks({arch});
  REQUIRE(stacks.size() == 4);
  CHECK(pjd::find_stacks({arch / "track10" / "a" / "inputs" / "ifgramStack.h5"}).size() == 1);
  CHECK_THROWS_AS(pjd::find_stacks({arch / "nope"}), pjd::Error);

  pjd::AuditOptions o;
  o.catalog = dir.path() / "c.gpkg";
  o.jobs = 2;
  o.params.method = "published";  // the burst count then comes from number_of_bursts
  // A first, partial audit (as if interrupted after track10) ...
  auto first = status_by_name(pjd::audit(pjd::find_stacks({arch / "track10"}), o));
  CHECK(first["a"] == "detected");  // burst count from the stack's number_of_bursts attribute
  CHECK(first["b"] == "detected");
  // ... then the whole archive: only what is new is detected, the failure is reported.
  std::size_t callbacks = 0;
  const auto entries = pjd::audit(stacks, o, [&](std::size_t, std::size_t total, const pjd::AuditEntry&) {
    ++callbacks;
    CHECK(total == 4);
  });
  CHECK(callbacks == 4);
  auto s = status_by_name(entries);
  CHECK(s["a"] == "unchanged");
  CHECK(s["b"] == "unchanged");
  CHECK(s["c"] == "detected");
  CHECK(s["broken"] == "failed");
  for (const auto& e : entries)
    if (e.status == "failed") CHECK(e.message.find("not an HDF5 file") != std::string::npos);
  const auto table = pjd::audit_table(entries);
  CHECK(table.rows.size() == 4);
  CHECK(table.notes.front().find("1 detected, 2 unchanged, 0 need --n-burst, 1 failed") != std::string::npos);
  CHECK(pjd::Catalog::open(o.catalog, pjd::Catalog::Mode::ReadOnly).runs().rows.size() == 3);
}

TEST_CASE("pjd audit: exit 3 when a stack failed, needs-n-burst listed, outputs under --out-root", "[audit][cli]") {
  pjd::test::TempDir dir("audit_cli");
  const fs::path arch = dir.path() / "archive";
  simulate(arch / "x", 5);
  const auto cat = (dir.path() / "c.gpkg").string();
  auto r = pjd::test::run_pjd("audit " + arch.string() + " --catalog " + cat + " --out-root " +
                              (dir.path() / "runs").string() + " --progress none --format json");
  CHECK(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["rows"].size() == 1);
  CHECK(j["rows"][0]["status"] == "detected");
  CHECK(fs::exists(dir.path() / "runs"));
  std::size_t summaries = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "runs")) summaries += e.path().filename() == "summary.json";
  CHECK(summaries == 1);

  fs::create_directories(arch / "bad" / "inputs");
  std::ofstream(arch / "bad" / "inputs" / "ifgramStack.h5") << "x";
  r = pjd::test::run_pjd("audit " + arch.string() + " --catalog " + cat + " --progress none");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("failed: ") != std::string::npos);
  CHECK(r.out.find("unchanged") != std::string::npos);
  // A stack without number_of_bursts and without a previous run needs a burst count.
  simulate(arch / "y", 6);
  {
    pjd::h5::init_library();
    pjd::h5::Handle f(H5Fopen((arch / "y" / "inputs" / "ifgramStack.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    REQUIRE(H5Adelete(f, "number_of_bursts") >= 0);
  }
  r = pjd::test::run_pjd("audit " + (arch / "y").string() + " --method published --catalog " + cat + " --progress none");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("needs-n-burst") != std::string::npos);
  // The robust method (the default) estimates the burst count itself.
  r = pjd::test::run_pjd("audit " + (arch / "y").string() + " --catalog " + cat + " --progress none --format json");
  REQUIRE(r.exit_code == 0);
  const auto jr = nlohmann::json::parse(r.out);
  CHECK(jr["rows"][0]["status"] == "detected");
  CHECK(jr["rows"][0]["n_burst"] == 4);
  r = pjd::test::run_pjd("audit " + (dir.path() / "nowhere").string() + " --catalog " + cat);
  CHECK(r.exit_code == 2);
}

TEST_CASE("pjd audit records runs as pjd detect does: seam lines on the map, every detect parameter",
          "[audit][cli][workflow]") {
  // Regression: audit had its own copy of detect-and-record; its runs never reached the
  // pjd_seams layer, and it refused --date-thr-px and --sub-x.
  pjd::test::TempDir dir("audit_workflow");
  const fs::path arch = dir.path() / "archive";
  simulate(arch / "s", 7);
  REQUIRE(fs::exists(arch / "s" / "inputs" / "geometryRadar.h5"));
  const auto cat = dir.path() / "c.gpkg";
  const auto r = pjd::test::run_pjd("audit " + arch.string() + " --catalog " + cat.string() + " --out-root " +
                                    (dir.path() / "runs").string() +
                                    " --date-thr-px 0.008 --sub-x 0 50 --progress none --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["rows"].size() == 1);
  REQUIRE(j["rows"][0]["status"] == "detected");
  const std::string run = std::to_string(j["rows"][0]["run"].get<long long>());
  const auto seams = pjd::test::sql_scalar(cat, "SELECT count(*) FROM pjd_run_seams WHERE run_id = " + run);
  CHECK(seams != "0");
  CHECK(pjd::test::sql_scalar(cat, "SELECT count(*) FROM pjd_seams WHERE run = '" + run + "'") == seams);
  CHECK(pjd::test::sql_scalar(cat, "SELECT x0 || '-' || x1 FROM pjd_runs WHERE id = " + run) == "0-50");
  // The parameters reached the run (its summary.json under --out-root).
  fs::path summary;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "runs"))
    if (e.path().filename() == "summary.json") summary = e.path();
  REQUIRE(!summary.empty());
  const auto s = nlohmann::json::parse(pjd::test::slurp(summary));
  CHECK(s["params"]["date_thr_px"] == 0.008);
  CHECK(s["params"]["sub_x"] == nlohmann::json::array({0, 50}));
}
