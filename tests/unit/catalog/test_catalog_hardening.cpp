// The catalogue under hostile but fair use (issue 14): stored results reused after a pair's
// data changed, queries of a catalogue the user may not write, foreign files given as the
// catalogue, FIFOs, concurrent writers, and stack attributes the catalogue cannot store.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "helpers.hpp"
#include "pjd/audit.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "pjd/internal/catalog_handle.hpp"
#include "pjd/simulate.hpp"
#include "pjd/workflow.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::Catalog;

namespace {

/// The tiny preset (30 pairs, 200 x 60, 4 bursts) into `dir`; returns the stack file.
fs::path simulate_tiny(const fs::path& dir, pjd::SimCompression compression, std::uint64_t seed = 11) {
  pjd::SimParams sp = pjd::sim_preset("tiny");
  sp.n_burst = 4;
  sp.seed = seed;
  sp.compression = compression;
  sp.threads = 2;
  return pjd::simulate(dir, sp).stack_file;
}

void python(const std::string& code, const std::vector<std::string>& args) {
  std::string cmd = "/usr/bin/python3 -c '" + code + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// Adds `rad` to unwrapPhase of pairs [p0, p1) from row `row` on (h5py, the file rewritten
/// in place). With keep_mtime, the modification time is set back to what it was.
void add_step(const fs::path& file, int p0, int p1, int row, double rad, bool keep_mtime = false) {
  python(
      "import h5py, os, sys\n"
      "f, p0, p1, row, rad, keep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), "
      "float(sys.argv[5]), sys.argv[6] == \"1\"\n"
      "st = os.stat(f)\n"
      "with h5py.File(f, \"r+\") as h:\n"
      "    d = h[\"unwrapPhase\"]\n"
      "    d[p0:p1, row:, :] = d[p0:p1, row:, :] + rad\n"
      "if keep:\n"
      "    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))\n",
      {file.string(), std::to_string(p0), std::to_string(p1), std::to_string(row), std::to_string(rad),
       keep_mtime ? "1" : "0"});
}

std::string sha256(const fs::path& file) {
  const fs::path at = fs::temp_directory_path() / ("pjd_sha_" + std::to_string(::getpid()) + ".txt");
  REQUIRE(std::system(("sha256sum '" + file.string() + "' > '" + at.string() + "'").c_str()) == 0);
  const std::string s = pjd::test::slurp(at).substr(0, 64);
  fs::remove(at);
  return s;
}

std::int64_t mtime_ns(const fs::path& file) {
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(dir)) s.insert(e.path().filename().string());
  return s;
}

pjd::DetectParams published(unsigned threads = 2) {
  pjd::DetectParams p;
  p.method = "published";
  p.n_burst = 4;
  p.threads = threads;
  return p;
}

std::string ramps(const pjd::DetectResult& r) {
  std::string s;
  for (const auto& p : r.pairs) s += p.pair + "=" + (p.ramp_mm ? std::to_string(*p.ramp_mm) : "none") + " ";
  return s;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

}  // namespace

/// Runs `sql` on the SQLite file `file` (the test fails with SQLite's message otherwise).
void exec_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

TEST_CASE("pairs rewritten after a catalogued run: their stored profiles are not reused, the stack is not unchanged",
          "[catalog][stale]") {
  // Regression (issue 14, item 5): the fingerprint sampled the middle column of the first
  // and last pair only, so after pairs 5-14 got a 1.5 rad step the next run reused all 30
  // stored profiles (wrong exclusions) and audit called the stack unchanged.
  for (const auto compression : {pjd::SimCompression::None, pjd::SimCompression::Lzf}) {
    const std::string name = compression == pjd::SimCompression::None ? "none" : "lzf";
    INFO("compression " << name);
    pjd::test::TempDir dir("cat_stale_" + name);
    const fs::path file = simulate_tiny(dir.path() / "s", compression);
    const fs::path cat = dir.path() / "c.gpkg";
    pjd::RecordOptions ro;
    ro.catalog = cat;

    std::int64_t run1 = 0;
    pjd::StackFingerprint before;
    {
      const auto stack = pjd::Stack::open(file);
      REQUIRE(stack.n_pairs() == 30);
      const auto first = pjd::detect_and_record(stack, published(), ro);
      REQUIRE(first.run_id);
      run1 = *first.run_id;
      CHECK(first.result.n_pairs_reused == 0);
      before = pjd::fingerprint_stack(stack);
      const auto c = Catalog::open(cat, Catalog::Mode::ReadOnly);
      CHECK(c.find_unchanged_run(stack, "published") == run1);
      CHECK(c.find_run(before.fingerprint, "published") == run1);
      // Unchanged: a second run reuses every pair.
      CHECK(pjd::detect_and_record(stack, published(), ro).result.n_pairs_reused == 30);
    }

    add_step(file, 5, 15, 102, 1.5);
    const auto stack = pjd::Stack::open(file);
    const auto after = pjd::fingerprint_stack(stack);
    CHECK(after.identity == before.identity);  // the same stack ...
    CHECK(after.fingerprint != before.fingerprint);  // ... with other data
    REQUIRE(after.pair_digests.size() == 30);
    std::set<std::size_t> changed;
    for (std::size_t i = 0; i < 30; ++i)
      if (after.pair_digests[i] != before.pair_digests[i]) changed.insert(i);
    if (compression == pjd::SimCompression::None) {
      // Uncompressed chunks: each pair's own bytes.
      std::set<std::size_t> expected;
      for (std::size_t i = 5; i < 15; ++i) expected.insert(i);
      CHECK(changed == expected);
    } else {
      // Compressed chunks: every pair of a chunk that changed (at least pairs 5-14).
      for (std::size_t i = 5; i < 15; ++i) CHECK(changed.count(i) == 1);
      CHECK(changed.size() < 30);
    }
    {
      const auto c = Catalog::open(cat, Catalog::Mode::ReadOnly);
      CHECK_FALSE(c.find_unchanged_run(stack, "published").has_value());
      CHECK_FALSE(c.find_run(after.fingerprint, "published").has_value());
    }

    const auto fresh = pjd::detect(stack, published());
    const auto inc = pjd::detect_and_record(stack, published(), ro);
    CHECK(inc.result.n_pairs_reused == 30 - changed.size());
    CHECK(inc.result.excluded_pairs == fresh.excluded_pairs);
    CHECK(inc.result.excluded_dates == fresh.excluded_dates);
    CHECK(ramps(inc.result) == ramps(fresh));
    REQUIRE(inc.result.seams.size() == fresh.seams.size());
    for (std::size_t i = 0; i < fresh.seams.size(); ++i) CHECK(inc.result.seams[i].row == fresh.seams[i].row);
    // And now the catalogue knows the stack as it is.
    const auto c = Catalog::open(cat, Catalog::Mode::ReadOnly);
    CHECK(c.find_unchanged_run(stack, "published") == inc.run_id);
    CHECK(c.find_run(after.fingerprint, "published") == inc.run_id);
  }
}

TEST_CASE("a rewrite that keeps the file's size and modification time still changes the fingerprint",
          "[catalog][stale]") {
  pjd::test::TempDir dir("cat_stale_mtime");
  const fs::path file = simulate_tiny(dir.path() / "s", pjd::SimCompression::None);
  const fs::path cat = dir.path() / "c.gpkg";
  pjd::RecordOptions ro;
  ro.catalog = cat;
  std::string fp0;
  {
    const auto stack = pjd::Stack::open(file);
    REQUIRE(pjd::detect_and_record(stack, published(), ro).run_id);
    fp0 = pjd::fingerprint_stack(stack).fingerprint;
  }
  const auto size0 = fs::file_size(file);
  const auto mtime0 = mtime_ns(file);
  add_step(file, 20, 21, 150, 0.25, /*keep_mtime=*/true);
  REQUIRE(fs::file_size(file) == size0);
  REQUIRE(mtime_ns(file) == mtime0);
  const auto stack = pjd::Stack::open(file);
  CHECK(pjd::fingerprint_stack(stack).fingerprint != fp0);
  CHECK_FALSE(Catalog::open(cat, Catalog::Mode::ReadOnly).find_unchanged_run(stack, "published").has_value());
  CHECK(pjd::detect_and_record(stack, published(), ro).result.n_pairs_reused == 29);
}

TEST_CASE("pjd audit detects a stack again after pairs 5-14 were rewritten", "[catalog][stale][audit]") {
  pjd::test::TempDir dir("cat_stale_audit");
  const fs::path file = simulate_tiny(dir.path() / "arch" / "s", pjd::SimCompression::Lzf);
  pjd::AuditOptions o;
  o.catalog = dir.path() / "c.gpkg";
  o.jobs = 1;
  o.params = published();
  const auto stacks = pjd::find_stacks({dir.path() / "arch"});
  REQUIRE(stacks.size() == 1);
  CHECK(pjd::audit(stacks, o).at(0).status == "detected");
  CHECK(pjd::audit(stacks, o).at(0).status == "unchanged");
  add_step(file, 5, 15, 102, 1.5);
  const auto again = pjd::audit(stacks, o).at(0);
  CHECK(again.status == "detected");
  CHECK(again.n_pairs_reused < 30);
  CHECK(pjd::audit(stacks, o).at(0).status == "unchanged");
}

TEST_CASE("profiles stored before layout 6 are never reused; the upgrade keeps them", "[catalog][stale][upgrade]") {
  pjd::test::TempDir dir("cat_stale_upgrade");
  const fs::path file = simulate_tiny(dir.path() / "s", pjd::SimCompression::None);
  const fs::path now = dir.path() / "now.gpkg", old = dir.path() / "v5.gpkg";
  pjd::RecordOptions ro;
  ro.catalog = now;
  const auto stack = pjd::Stack::open(file);
  REQUIRE(pjd::detect_and_record(stack, published(), ro).run_id);
  // The same rows in a layout-5 catalogue, as a pjd before layout 6 stored them (no digest).
  pjd::detail::create_catalog_at_layout(old, 5);
  {
    const std::string sql =
        "ATTACH '" + now.string() + "' AS n; "
        "INSERT INTO pjd_stacks SELECT * FROM n.pjd_stacks; "
        "INSERT INTO pjd_stack_profiles (id, stack_id, pair, x0, x1, cmin, length, stats_json, intensity_pct, "
        "counts_cts, median_grad_mm) SELECT id, stack_id, pair, x0, x1, cmin, length, stats_json, intensity_pct, "
        "counts_cts, median_grad_mm FROM n.pjd_stack_profiles;";
    exec_sql(old, sql);
  }
  CHECK(pjd::test::sql_scalar(old, "SELECT count(*) FROM pjd_stack_profiles") == "30");
  {
    const auto c = Catalog::open(old);  // upgrades
    CHECK(c.layout_version() == pjd::catalog_layout_version());
  }
  CHECK(pjd::test::sql_scalar(old, "SELECT count(*) FROM pjd_stack_profiles WHERE data_digest IS NULL") == "30");
  ro.catalog = old;
  CHECK(pjd::detect_and_record(stack, published(), ro).result.n_pairs_reused == 0);
  CHECK(pjd::test::sql_scalar(old, "SELECT count(*) FROM pjd_stack_profiles WHERE data_digest IS NULL") == "0");
  CHECK(pjd::detect_and_record(stack, published(), ro).result.n_pairs_reused == 30);
  // Looking at stored profiles (not reusing them) still shows them all.
  const auto c = Catalog::open(old, Catalog::Mode::ReadOnly);
  CHECK(c.load_profiles(1, 0, stack.width(), 0.75).size() == 30);
}

TEST_CASE("the robust method's segment profiles are reused only with their own pair's digest", "[catalog][stale]") {
  // A published run after a rewrite stores new profiles for the pair but no segment
  // profiles: the robust segment profiles of the old data must not come back with them.
  pjd::test::TempDir dir("cat_stale_segments");
  const fs::path file = simulate_tiny(dir.path() / "s", pjd::SimCompression::None);
  pjd::RecordOptions ro;
  ro.catalog = dir.path() / "c.gpkg";
  pjd::DetectParams robust = published();
  robust.method = "robust";
  robust.cmin = 0.75;
  {
    const auto stack = pjd::Stack::open(file);
    REQUIRE(pjd::detect_and_record(stack, robust, ro).run_id);
  }
  add_step(file, 3, 4, 120, 1.0);
  const auto stack = pjd::Stack::open(file);
  CHECK(pjd::detect_and_record(stack, published(), ro).result.n_pairs_reused == 29);
  const auto fp = pjd::fingerprint_stack(stack);
  const auto c = Catalog::open(*ro.catalog, Catalog::Mode::ReadOnly);
  const auto cache = c.load_profiles(1, 0, stack.width(), 0.75, fp);
  REQUIRE(cache.size() == 30);
  CHECK(cache.at(stack.pairs()[3].name()).n_segments == 0);  // stale segments left out
  CHECK(cache.at(stack.pairs()[4].name()).n_segments > 0);
  const auto fresh = pjd::detect(stack, robust);
  const auto inc = pjd::detect_and_record(stack, robust, ro);
  CHECK(inc.result.n_pairs_reused == 29);
  CHECK(ramps(inc.result) == ramps(fresh));
  CHECK(inc.result.excluded_pairs == fresh.excluded_pairs);
}

namespace {

/// A catalogue made by `pjd detect` (so in WAL mode, as every catalogue pjd writes) with one
/// published run of a tiny stack simulated into dir/s.
fs::path recorded_catalogue(const fs::path& dir) {
  simulate_tiny(dir / "s", pjd::SimCompression::None);
  const fs::path cat = dir / "w" / "c.gpkg";
  const auto r = pjd::test::run_pjd("detect " + quoted(dir / "s") + " -n 4 --method published --no-figures --out " +
                                    quoted(dir / "o") + " --catalog " + quoted(cat) + " --progress none");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return cat;
}

/// A layout-5 catalogue holding what `now` (the current layout) holds of its stacks, runs,
/// pairs and profiles, as a pjd before layout 6 would have stored them.
void copy_into_layout5(const fs::path& now, const fs::path& old) {
  pjd::detail::create_catalog_at_layout(old, 5);
  const std::string runs =
      "id, stack_id, fingerprint, method, params_json, n_burst, x0, x1, pj_thr_mm, software_version, started_utc, "
      "finished_utc, duration_s, status, warnings_json, n_pairs, n_pairs_reused, summary_path, n_burst_source, "
      "subswaths_json";
  const std::string profiles =
      "id, stack_id, pair, x0, x1, cmin, length, stats_json, intensity_pct, counts_cts, median_grad_mm";
  const std::string sql = "ATTACH '" + now.string() + "' AS n; INSERT INTO pjd_stacks SELECT * FROM n.pjd_stacks; " +
                          "INSERT INTO pjd_runs (" + runs + ") SELECT " + runs + " FROM n.pjd_runs; " +
                          "INSERT INTO pjd_run_pairs SELECT * FROM n.pjd_run_pairs; " +
                          "INSERT INTO pjd_run_seams SELECT * FROM n.pjd_run_seams; " +
                          "INSERT INTO pjd_stack_profiles (" + profiles + ") SELECT " + profiles +
                          " FROM n.pjd_stack_profiles; DETACH n;";
  exec_sql(old, sql);
}

/// Exit code of a shell command run with a time limit (124: it hung).
int run_with_timeout(const std::string& cmd, int seconds) {
  const int rc = std::system(("timeout " + std::to_string(seconds) + " " + cmd).c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_CASE("queries open the catalogue read-only: its bytes, modification time and directory stay as they were",
          "[catalog][readonly]") {
  // Regression (issue 14, item 13): queries opened the catalogue with SQLite's read-only
  // flag, which in WAL mode makes -wal and -shm files next to it (left behind, with the
  // catalogue's mode bits and the reader as owner), and fails where the user may not make them.
  pjd::test::TempDir dir("cat_readonly");
  const fs::path src = recorded_catalogue(dir.path());
  const fs::path q = dir.path() / "q" / "c.gpkg";
  fs::create_directories(q.parent_path());
  fs::copy_file(src, q);
  REQUIRE(::chmod(q.c_str(), 0444) == 0);
  const auto sha0 = sha256(q);
  const auto mtime0 = mtime_ns(q);
  const auto names0 = names_in(q.parent_path());
  for (const std::string cmd : {"catalog stacks", "catalog runs", "catalog runs --stack 1", "catalog pairs --run 1",
                                "catalog seams --run 1", "catalog dates --run 1", "catalog history --stack 1",
                                "catalog bad-dates", "catalog compare 1 1 --format json"}) {
    INFO(cmd);
    const auto r = pjd::test::run_pjd(cmd + " --catalog " + quoted(q));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
  }
  const auto forget = pjd::test::run_pjd("catalog forget --run 1 --yes --catalog " + quoted(q));
  CHECK(forget.exit_code == 3);
  CHECK(forget.err.find("read-only") != std::string::npos);
  {
    auto c = Catalog::open(q, Catalog::Mode::ReadOnly);
    CHECK(c.runs().rows.size() == 1);
    const auto stack = pjd::Stack::open(dir.path() / "s");
    CHECK_THROWS_AS(c.record_run(stack, c.load_result(1)), pjd::Error);
  }
  CHECK(sha256(q) == sha0);
  CHECK(mtime_ns(q) == mtime0);
  CHECK(names_in(q.parent_path()) == names0);  // no -wal, -shm or -journal left
}

TEST_CASE("a user without write access queries a read-only catalogue", "[catalog][readonly]") {
  if (::geteuid() != 0 || std::system("command -v setpriv > /dev/null 2>&1") != 0) {
    WARN("not root or no setpriv: the query as another user is not tried");
    return;
  }
  pjd::test::TempDir dir("cat_readonly_user");
  const fs::path src = recorded_catalogue(dir.path());
  const fs::path q = dir.path() / "q" / "c.gpkg";
  fs::create_directories(q.parent_path());
  fs::copy_file(src, q);
  REQUIRE(::chmod(q.c_str(), 0444) == 0);
  REQUIRE(::chmod(q.parent_path().c_str(), 0555) == 0);  // nobody may make a file next to it either
  const auto sha0 = sha256(q);
  const fs::path out = dir.path() / "out.txt", err = dir.path() / "err.txt";
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups " + std::string(pjd::test::kPjdExe);
  for (const std::string cmd : {"catalog runs", "catalog pairs --run 1 --format csv", "catalog history --stack 1"}) {
    INFO(cmd);
    const int rc = run_with_timeout(as_nobody + " " + cmd + " --catalog " + quoted(q) + " > " + quoted(out) + " 2> " +
                                        quoted(err),
                                    60);
    INFO(pjd::test::slurp(err));
    CHECK(rc == 0);
    CHECK(pjd::test::slurp(out).find(cmd == "catalog runs" ? "published" : cmd == "catalog history --stack 1" ? "started_utc" : "2021") !=
          std::string::npos);
  }
  // Nor may nobody record into it.
  const int rc = run_with_timeout(as_nobody + " detect " + quoted(dir.path() / "s") +
                                      " -n 4 --method published --no-figures --progress none --catalog " + quoted(q) +
                                      " > /dev/null 2> " + quoted(err),
                                  60);
  CHECK(rc == 3);
  CHECK(pjd::test::slurp(err).find("read-only") != std::string::npos);
  ::chmod(q.parent_path().c_str(), 0755);
  CHECK(sha256(q) == sha0);
  CHECK(names_in(q.parent_path()) == std::set<std::string>{"c.gpkg"});
}

TEST_CASE("a catalogue of an older layout is queried without being upgraded", "[catalog][readonly][upgrade]") {
  pjd::test::TempDir dir("cat_readonly_old");
  const fs::path src = recorded_catalogue(dir.path());
  const fs::path old = dir.path() / "q" / "v5.gpkg";
  fs::create_directories(old.parent_path());
  copy_into_layout5(src, old);
  REQUIRE(pjd::test::sql_scalar(old, "SELECT value FROM pjd_metadata WHERE key = 'layout_version'") == "5");
  fs::remove(old.string() + "-wal");
  fs::remove(old.string() + "-shm");
  REQUIRE(::chmod(old.c_str(), 0444) == 0);
  const auto sha0 = sha256(old);
  const auto names0 = names_in(old.parent_path());
  auto r = pjd::test::run_pjd("catalog runs --format json --catalog " + quoted(old));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["rows"].size() == 1);
  r = pjd::test::run_pjd("catalog seams --run 1 --catalog " + quoted(old));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("median_grad_mm") != std::string::npos);
  {
    const auto c = Catalog::open(old, Catalog::Mode::ReadOnly);
    CHECK(c.layout_version() == pjd::catalog_layout_version());  // an upgraded copy in memory
    CHECK(c.load_result(1).pairs.size() == 30);
  }
  CHECK(sha256(old) == sha0);
  CHECK(names_in(old.parent_path()) == names0);
  CHECK(pjd::test::sql_scalar(old, "SELECT value FROM pjd_metadata WHERE key = 'layout_version'") == "5");
}

TEST_CASE("a foreign SQLite file or GeoPackage given as the catalogue is refused and left byte for byte",
          "[catalog][foreign]") {
  // Regression (issue 14, item 7): the file was switched to WAL mode before it was refused.
  pjd::test::TempDir dir("cat_foreign");
  const fs::path stack = simulate_tiny(dir.path() / "s", pjd::SimCompression::None);
  const fs::path f = dir.path() / "f";
  fs::create_directories(f);
  auto sqlite3_cli = [](const fs::path& db, const std::string& sql) {
    REQUIRE(std::system(("sqlite3 " + quoted(db) + " \"" + sql + "\" > /dev/null").c_str()) == 0);
  };
  sqlite3_cli(f / "plain.sqlite", "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  sqlite3_cli(f / "wal.sqlite", "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  sqlite3_cli(f / "meta.sqlite", "CREATE TABLE pjd_metadata (id INTEGER PRIMARY KEY, key TEXT, value TEXT);");
  python("from osgeo import ogr, osr\nimport sys\n"
         "ds = ogr.GetDriverByName(\"GPKG\").CreateDataSource(sys.argv[1])\n"
         "srs = osr.SpatialReference(); srs.ImportFromEPSG(4326)\n"
         "lyr = ds.CreateLayer(\"roads\", srs, ogr.wkbLineString)\n"
         "f = ogr.Feature(lyr.GetLayerDefn()); f.SetGeometry(ogr.CreateGeometryFromWkt(\"LINESTRING (0 0, 1 1)\"))\n"
         "lyr.CreateFeature(f)\nds = None\n",
         {(f / "other.gpkg").string()});
  std::ofstream(f / "empty.gpkg").close();
  std::ofstream(f / "text.gpkg") << "SQLite format 3 is not what this is\n";
  const std::map<std::string, std::string> why = {
      {"plain.sqlite", "not a pjd catalogue"}, {"wal.sqlite", "not a pjd catalogue"},
      {"meta.sqlite", "not a pjd catalogue"},  {"other.gpkg", "not a pjd catalogue"},
      {"empty.gpkg", "empty file"},            {"text.gpkg", "not a catalogue"}};
  std::map<std::string, std::string> sums;
  for (const auto& [name, _] : why) sums[name] = sha256(f / name);
  const auto names0 = names_in(f);
  for (const auto& [name, problem] : why) {
    INFO(name);
    const fs::path file = f / name;
    auto r = pjd::test::run_pjd("detect " + quoted(stack) + " -n 4 --method published --no-figures --progress none --out " +
                                quoted(dir.path() / ("o_" + name)) + " --catalog " + quoted(file));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(file.string()) != std::string::npos);
    CHECK(r.err.find(problem) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(dir.path() / ("o_" + name)));  // refused before any output
    r = pjd::test::run_pjd("catalog runs --catalog " + quoted(file));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(problem) != std::string::npos);
    for (auto mode : {Catalog::Mode::ReadWrite, Catalog::Mode::ReadOnly}) {
      try {
        Catalog::open(file, mode);
        FAIL("opened " << name);
      } catch (const pjd::Error& e) {
        CHECK(e.exit_code() == 3);
        CHECK(e.problem().find(problem) != std::string::npos);
      }
    }
    CHECK(sha256(file) == sums[name]);
  }
  CHECK(names_in(f) == names0);  // no -wal, -shm or -journal made next to them
  CHECK(pjd::test::sql_scalar(f / "plain.sqlite", "PRAGMA journal_mode") == "delete");
}

TEST_CASE("a FIFO or a directory as the catalogue is refused at once", "[catalog][fifo]") {
  // Regression (issue 14, item 6): a FIFO given as --catalog made pjd wait for a writer forever.
  pjd::test::TempDir dir("cat_fifo");
  const fs::path stack = simulate_tiny(dir.path() / "s", pjd::SimCompression::None);
  const fs::path fifo = dir.path() / "fifo.gpkg";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  fs::create_directories(dir.path() / "dir.gpkg");
  const fs::path err = dir.path() / "err.txt";
  const std::string pjd_exe = pjd::test::kPjdExe;
  for (const auto& [file, problem] : {std::pair{fifo, "not a regular file"}, std::pair{dir.path() / "dir.gpkg", "directory"}}) {
    INFO(file);
    for (const std::string& cmd : {std::string("catalog runs"), std::string("catalog stacks --format json"),
                                  "detect " + quoted(stack) + " -n 4 --method published --no-figures --progress none"}) {
      INFO(cmd);
      CHECK(run_with_timeout(pjd_exe + " " + cmd + " --catalog " + quoted(file) + " > /dev/null 2> " + quoted(err), 30) ==
            3);
      CHECK(pjd::test::slurp(err).find(problem) != std::string::npos);
      CHECK(pjd::test::slurp(err).find(file.string()) != std::string::npos);
    }
  }
  CHECK(fs::is_fifo(fifo));
}

TEST_CASE("eight concurrent writers on a new catalogue: every run is recorded with its seam lines",
          "[catalog][concurrency]") {
  // Regression (issue 14, item 9): the seam lines were written by GDAL in a second
  // transaction after the run; with 8 concurrent writers half of them were lost ("database
  // is locked", and "no such table: pjd_seams" while the catalogue was being created).
  pjd::test::TempDir dir("cat_concurrent_seams");
  constexpr int kWriters = 8, kRounds = 3;
  for (int i = 0; i < kWriters; ++i) simulate_tiny(dir.path() / ("s" + std::to_string(i)), pjd::SimCompression::None, 20 + i);
  const fs::path cat = dir.path() / "new" / "c.gpkg";  // made by the writers themselves
  std::string script;
  for (int i = 0; i < kWriters; ++i) {
    const std::string log = quoted(dir.path() / ("log" + std::to_string(i)));
    script += "(for k in $(seq 1 " + std::to_string(kRounds) + "); do " + std::string(pjd::test::kPjdExe) +
              " detect " + quoted(dir.path() / ("s" + std::to_string(i))) +
              " -n 4 --method published --threads 1 --no-figures --progress none --catalog " + quoted(cat) +
              " >> " + log + " 2>&1 || echo FAIL >> " + quoted(dir.path() / "failures") + "; done) &\n";
  }
  script += "wait\n";
  std::ofstream(dir.path() / "run.sh") << script;
  REQUIRE(std::system(("bash " + quoted(dir.path() / "run.sh")).c_str()) == 0);
  CHECK_FALSE(fs::exists(dir.path() / "failures"));
  for (int i = 0; i < kWriters; ++i) {
    const std::string log = pjd::test::slurp(dir.path() / ("log" + std::to_string(i)));
    INFO(log);
    CHECK(log.find("seam lines not added") == std::string::npos);
    CHECK(log.find("error") == std::string::npos);
  }
  using pjd::test::sql_scalar;
  CHECK(sql_scalar(cat, "SELECT count(*) FROM pjd_runs") == std::to_string(kWriters * kRounds));
  CHECK(sql_scalar(cat, "SELECT count(*) FROM pjd_stacks") == std::to_string(kWriters));
  // Every run has its seam lines, one feature per seam row that has a position.
  CHECK(sql_scalar(cat, "SELECT count(*) FROM pjd_runs r WHERE (SELECT count(*) FROM pjd_seams s WHERE s.run = "
                        "CAST(r.id AS TEXT)) != (SELECT count(*) FROM pjd_run_seams x WHERE x.run_id = r.id)") == "0");
  CHECK(sql_scalar(cat, "SELECT count(*) FROM pjd_seams") != "0");
  CHECK(sql_scalar(cat, "SELECT count(*) FROM pjd_seams") == sql_scalar(cat, "SELECT count(*) FROM pjd_run_seams"));
  CHECK(sql_scalar(cat, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'pjd_seams'") ==
        sql_scalar(cat, "SELECT count(*) FROM pjd_seams"));
  CHECK(sql_scalar(cat, "SELECT count(*) FROM rtree_pjd_seams_geom") == sql_scalar(cat, "SELECT count(*) FROM pjd_seams"));
  CHECK(sql_scalar(cat, "PRAGMA integrity_check") == "ok");
  std::size_t leftovers = 0;
  for (const auto& e : fs::directory_iterator(cat.parent_path()))
    leftovers += e.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(leftovers == 0);
  const std::string validate =
      "/usr/bin/python3 /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py " + quoted(cat);
  CHECK(std::system(validate.c_str()) == 0);
  // GDAL reads the layer, its extent and its spatial index as its own.
  const fs::path info = dir.path() / "ogrinfo.txt";
  REQUIRE(std::system(("ogrinfo -ro -so " + quoted(cat) + " pjd_seams > " + quoted(info) + " 2>&1").c_str()) == 0);
  const std::string text = pjd::test::slurp(info);
  INFO(text);
  CHECK(text.find("Feature Count: " + sql_scalar(cat, "SELECT count(*) FROM pjd_seams")) != std::string::npos);
  CHECK(text.find("Extent: (") != std::string::npos);
  const fs::path hits = dir.path() / "spat.txt";
  REQUIRE(std::system(("ogrinfo -ro -q " + quoted(cat) + " pjd_seams -spat -180 -90 180 90 | grep -c 'OGRFeature' > " +
                       quoted(hits)).c_str()) == 0);
  CHECK(std::stoi(pjd::test::slurp(hits)) == std::stoi(sql_scalar(cat, "SELECT count(*) FROM pjd_seams")));
}

TEST_CASE("what the catalogue cannot store is refused before detection, naming the stack and the attribute",
          "[catalog][attributes]") {
  // Regression (issue 14, item 10): a CHECK or UNIQUE constraint of the catalogue failed
  // after every output was written, naming the catalogue instead of the bad attribute.
  pjd::test::TempDir dir("cat_attributes");
  const fs::path src = simulate_tiny(dir.path() / "src", pjd::SimCompression::None).parent_path().parent_path();
  struct Case {
    std::string name, edit, named;
  };
  const std::vector<Case> cases = {
      {"alooks_negative", "f.attrs[\"ALOOKS\"] = \"-3\"", "ALOOKS"},
      {"alooks_huge", "f.attrs[\"ALOOKS\"] = \"1e300\"", "ALOOKS"},
      {"track_huge", "f.attrs[\"trackNumber\"] = \"1e300\"", "trackNumber"},
      {"TRACK_huge", "f.attrs[\"TRACK\"] = \"1e300\"", "TRACK"},
      {"relative_orbit_negative", "f.attrs[\"relative_orbit\"] = \"-5\"", "relative_orbit"},
      {"relativeOrbit_fraction", "f.attrs[\"relativeOrbit\"] = \"12.5\"", "relativeOrbit"},
      {"duplicate_pair", "d = f[\"date\"][:]; d[1] = d[0]; f[\"date\"][:] = d", "'date'"},
      {"same_day_pair", "d = f[\"date\"][:]; d[0][1] = d[0][0]; f[\"date\"][:] = d", "'date'"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const fs::path s = dir.path() / c.name;
    fs::create_directories(s / "inputs");
    fs::copy_file(src / "inputs" / "ifgramStack.h5", s / "inputs" / "ifgramStack.h5");
    fs::copy_file(src / "inputs" / "geometryRadar.h5", s / "inputs" / "geometryRadar.h5");
    python("import h5py, sys\nwith h5py.File(sys.argv[1], \"r+\") as f:\n    " + c.edit + "\n",
           {(s / "inputs" / "ifgramStack.h5").string()});
    const fs::path out = dir.path() / ("out_" + c.name), cat = dir.path() / ("c_" + c.name + ".gpkg");
    for (const char* method : {"published", "robust"}) {
      INFO(method);
      const auto r = pjd::test::run_pjd("detect " + quoted(s) + " -n 4 --method " + method +
                                        " --no-figures --progress none --out " + quoted(out) + " --catalog " + quoted(cat));
      CHECK(r.exit_code == 3);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(r.err.find((s / "inputs" / "ifgramStack.h5").string()) != std::string::npos);
      CHECK(r.err.find(c.named) != std::string::npos);
      CHECK(r.err.find("constraint") == std::string::npos);
      CHECK_FALSE(fs::exists(out));  // refused before any output
      CHECK_FALSE(fs::exists(cat));
    }
  }
  // A label the catalogue cannot store, through the library.
  const auto stack = pjd::Stack::open(src);
  pjd::RecordOptions ro;
  ro.catalog = dir.path() / "labels.gpkg";
  ro.out_dir = dir.path() / "out_labels";
  ro.track = -1;
  try {
    pjd::detect_and_record(stack, published(), ro);
    FAIL("track -1 accepted");
  } catch (const pjd::Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(e.problem().find("--track") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(*ro.out_dir));
  CHECK_FALSE(fs::exists(*ro.catalog));
}
