// The catalogue: creation as a GeoPackage, recording, queries, upgrades and refusals.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pjd/internal/catalog_handle.hpp"
#include "helpers.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::Catalog;

namespace {

fs::path parity(const std::string& name) { return fs::path(pjd::test::kParityDir) / name; }

/// A plausible result for the first `n` pairs of a stack, with chosen exclusions.
pjd::DetectResult fake_result(const pjd::Stack& s, std::size_t n, std::vector<std::size_t> seam_rows,
                              std::vector<std::string> excluded_pairs, std::vector<std::string> bad_dates) {
  pjd::DetectResult r;
  r.params.n_burst = static_cast<int>(seam_rows.size()) + 1;
  r.length = s.length();
  r.width = s.width();
  r.x0 = 0;
  r.x1 = s.width();
  r.wavelength_m = s.wavelength_m();
  for (std::size_t i = 0; i < n; ++i) {
    pjd::PairResult p;
    p.pair = s.pairs()[i].name();
    p.btemp_days = s.pairs()[i].btemp_days();
    p.coh_mean = 0.7;
    p.ramp_mm = 1.0 + double(i);
    p.excluded = std::find(excluded_pairs.begin(), excluded_pairs.end(), p.pair) != excluded_pairs.end();
    r.pairs.push_back(p);
  }
  for (auto row : seam_rows) r.seams.push_back({row, 10, 0.5});
  r.excluded_pairs = excluded_pairs;
  r.excluded_dates = bad_dates;
  r.profiles.n_pairs = n;
  r.profiles.length = s.length();
  r.profiles.intensity_pct.assign(n * s.length(), 12.5f);
  r.profiles.counts.assign(n * s.length(), 40);
  r.profiles.median_grad_mm.assign(n * s.length(), 0.25f);
  r.timings_s["total"] = 1.5;
  return r;
}

std::string sqlite_scalar(const fs::path& db, const std::string& sql) {
  // One file per process: ctest runs test cases in parallel processes.
  const auto out = fs::path(pjd::test::kBuildDir) / "test_tmp" / ("sqlite_out_" + std::to_string(::getpid()) + ".txt");
  const std::string cmd = "sqlite3 '" + db.string() + "' \"" + sql + "\" > " + out.string() + " 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  in.close();
  fs::remove(out);
  return line;
}

}  // namespace

TEST_CASE("a new catalogue is a GeoPackage that sqlite3 and ogrinfo open", "[catalog]") {
  pjd::test::TempDir dir("cat_new");
  const fs::path file = dir.path() / "sub" / "catalog.gpkg";
  {
    Catalog c = Catalog::open(file);
    CHECK(c.layout_version() == pjd::catalog_layout_version());
    CHECK(c.stacks().rows.empty());
  }
  CHECK(fs::exists(file));
  CHECK(sqlite_scalar(file, "PRAGMA application_id") == "1196444487");  // 'GPKG'
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM gpkg_contents WHERE data_type = 'attributes' AND table_name LIKE 'pjd_%'") == "8");  // layouts 1-4 (layout 5 adds the feature tables pjd_seams, pjd_bursts, pjd_footprint)
  const std::string cmd = "ogrinfo -q -ro '" + file.string() + "' pjd_runs > /dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
  // No temporary files are left next to it.
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(file.parent_path())) n += e.path().string().find(".tmp-") != std::string::npos;
  CHECK(n == 0);
}

TEST_CASE("record a run and query it back", "[catalog]") {
  pjd::test::TempDir dir("cat_record");
  const auto stack = pjd::Stack::open(parity("nominal"));
  Catalog c = Catalog::open(dir.path() / "c.gpkg");
  const auto r1 = fake_result(stack, 10, {90, 180, 270}, {stack.pairs()[1].name()}, {});
  pjd::RunLabels labels;
  labels.project = "demo";
  labels.track = 10;
  const auto run1 = c.record_run(stack, r1, labels);
  CHECK(run1 > 0);

  const auto stacks = c.stacks();
  REQUIRE(stacks.rows.size() == 1);
  CHECK(stacks.rows[0][1] == "demo");
  CHECK(stacks.rows[0][4] == 10);

  const auto pairs = c.pairs(run1);
  CHECK(pairs.rows.size() == 10);
  const auto excl = c.pairs(run1, true);
  REQUIRE(excl.rows.size() == 1);
  CHECK(excl.rows[0][0] == stack.pairs()[1].name());
  CHECK(c.seams(run1).rows.size() == 3);
  CHECK(c.seams(run1).rows[2][1] == 270);

  // The same stack again (grown, with new seams and a bad date): one stack, two runs.
  const auto r2 = fake_result(stack, 12, {90, 181, 270}, {stack.pairs()[1].name(), stack.pairs()[11].name()},
                              {"20210127"});
  const auto run2 = c.record_run(stack, r2);
  CHECK(c.stacks().rows.size() == 1);
  CHECK(c.runs().rows.size() == 2);
  const auto stack_id = c.resolve_stack("1");
  CHECK(c.resolve_stack(parity("nominal").string()) == stack_id);
  CHECK_THROWS_AS(c.resolve_stack("/nowhere"), pjd::Error);

  const auto h = c.history(stack_id);
  REQUIRE(h.rows.size() == 2);
  CHECK(h.rows[0][3] == "90,180,270");
  CHECK(h.rows[1][3] == "90,181,270");
  const auto col = [&](const char* name) {
    return std::size_t(std::find(h.columns.begin(), h.columns.end(), name) - h.columns.begin());
  };
  CHECK(h.rows[1][col("seams_changed")] == true);
  CHECK(h.rows[1][col("newly_excluded")] == 1);
  CHECK(h.rows[1][col("excluded_dates")] == "20210127");

  const auto d = c.dates(run2);
  REQUIRE(d.rows.size() == 1);
  CHECK(d.rows[0][0] == "20210127");

  const auto cmp = c.compare(run1, run2);
  CHECK(cmp.rows.size() == 12);
  std::size_t only_b = 0, newly = 0;
  for (const auto& row : cmp.rows) {
    only_b += row.back() == "only in b";
    newly += row.back() == "newly excluded";
  }
  CHECK(only_b == 2);
  CHECK(newly == 0);  // pair 11 is only in b
  CHECK(cmp.notes.size() == 2);

  // Profiles are stored per pair and come back bit-identical.
  const auto prof = c.load_profiles(stack_id, 0, stack.width(), 0.75);
  REQUIRE(prof.size() == 12);
  const auto& first = prof.at(stack.pairs()[0].name());
  CHECK(first.intensity_pct.size() == stack.length());
  CHECK(first.intensity_pct[5] == 12.5);
  CHECK(first.counts[5] == 40);
  CHECK(c.previous_n_burst(pjd::fingerprint_stack(stack).identity) == 4);

  // Forgetting a run cascades to its rows.
  CHECK(c.forget_run(run1) == 1);
  CHECK(c.pairs(run1).rows.empty());
  CHECK(c.forget_run(run1) == 0);
  CHECK(c.forget_stack(stack_id) == 1);
  CHECK(c.runs().rows.empty());
}

TEST_CASE("bad dates across stacks, with filters", "[catalog]") {
  pjd::test::TempDir dir("cat_bad");
  Catalog c = Catalog::open(dir.path() / "c.gpkg");
  const auto asc = pjd::Stack::open(parity("nominal"));
  const auto desc = pjd::Stack::open(parity("descending_subx"));
  pjd::RunLabels t10;
  t10.track = 10;
  c.record_run(asc, fake_result(asc, 5, {90}, {}, {"20210127", "20210620"}), t10);
  pjd::RunLabels t83;
  t83.track = 83;
  c.record_run(desc, fake_result(desc, 5, {100}, {}, {"20210127"}), t83);

  pjd::BadDateFilter all;
  const auto t = c.bad_dates(all);
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0][0] == "20210127");
  CHECK(t.rows[0][1] == 2);  // two stacks
  pjd::BadDateFilter f;
  f.track = 10;
  CHECK(c.bad_dates(f).rows.size() == 2);
  f.track.reset();
  f.orbit = "desc";
  REQUIRE(c.bad_dates(f).rows.size() == 1);
  CHECK(c.bad_dates(f).rows[0][1] == 1);
  f.orbit.reset();
  f.from = "20210301";
  REQUIRE(c.bad_dates(f).rows.size() == 1);
  CHECK(c.bad_dates(f).rows[0][0] == "20210620");
}

TEST_CASE("an older layout is upgraded, a newer one refused", "[catalog]") {
  pjd::test::TempDir dir("cat_upgrade");
  const auto stack = pjd::Stack::open(parity("nominal"));
  for (int from = 1; from < pjd::catalog_layout_version(); ++from) {
    INFO("from layout " << from);
    const fs::path file = dir.path() / ("v" + std::to_string(from) + ".gpkg");
    pjd::detail::create_catalog_at_layout(file, from);
    CHECK(sqlite_scalar(file, "SELECT value FROM pjd_metadata WHERE key = 'layout_version'") == std::to_string(from));
    Catalog c = Catalog::open(file);
    CHECK(c.layout_version() == pjd::catalog_layout_version());
    CHECK(c.record_run(stack, fake_result(stack, 3, {90}, {}, {})) > 0);
  }
  const fs::path newer = dir.path() / "newer.gpkg";
  { Catalog::open(newer); }
  sqlite_scalar(newer, "UPDATE pjd_metadata SET value = '99' WHERE key = 'layout_version'");
  try {
    Catalog::open(newer);
    FAIL("newer layout accepted");
  } catch (const pjd::Error& e) {
    CHECK(std::string(e.what()).find("newer than this pjd") != std::string::npos);
    CHECK(e.exit_code() == 3);
  }
}

TEST_CASE("files that are not catalogues, read-only catalogues and a full disk", "[catalog][errors]") {
  pjd::test::TempDir dir("cat_bad_files");
  auto error_of = [](const fs::path& f, Catalog::Mode mode = Catalog::Mode::ReadWrite) {
    try {
      Catalog::open(f, mode);
    } catch (const pjd::Error& e) {
      CHECK(std::string(e.what()).find(f.filename().string()) != std::string::npos);
      return e.problem();
    }
    return std::string("no error");
  };
  std::ofstream(dir.path() / "text.gpkg") << "hello\n";
  CHECK(error_of(dir.path() / "text.gpkg").find("not a catalogue") != std::string::npos);
  sqlite_scalar(dir.path() / "other.sqlite", "CREATE TABLE t (x)");
  CHECK(error_of(dir.path() / "other.sqlite").find("not a pjd catalogue") != std::string::npos);
  CHECK(error_of(dir.path() / "missing.gpkg", Catalog::Mode::ReadOnly).find("no catalogue") != std::string::npos);

  const fs::path ro = dir.path() / "ro.gpkg";
  { Catalog::open(ro); }
  ::chmod(ro.c_str(), 0444);
  CHECK(error_of(ro).find("read-only") != std::string::npos);
  { CHECK(Catalog::open(ro, Catalog::Mode::ReadOnly).stacks().rows.empty()); }
  ::chmod(ro.c_str(), 0644);

  // A full disk, simulated by capping the database size: the run is refused as a whole.
  const auto stack = pjd::Stack::open(parity("nominal"));
  Catalog c = Catalog::open(dir.path() / "full.gpkg");
  sqlite3* db = pjd::detail::raw_handle(c);
  sqlite3_exec(db, "PRAGMA max_page_count = 1", nullptr, nullptr, nullptr);  // clamps to the current size
  try {
    c.record_run(stack, fake_result(stack, 42, {90, 180}, {}, {}));
    FAIL("no error on a full disk");
  } catch (const pjd::Error& e) {
    CHECK(std::string(e.what()).find("disk is full") != std::string::npos);
  }
  CHECK(c.runs().rows.empty());
  CHECK(c.stacks().rows.empty());
}

TEST_CASE("fingerprints: the same stack by directory or file, different stacks differ", "[catalog]") {
  const auto a = pjd::fingerprint_stack(pjd::Stack::open(parity("nominal")));
  const auto b = pjd::fingerprint_stack(pjd::Stack::open(parity("nominal") / "inputs" / "ifgramStack.h5"));
  CHECK(a.identity == b.identity);
  CHECK(a.fingerprint == b.fingerprint);
  const auto c = pjd::fingerprint_stack(pjd::Stack::open(parity("lowcoh_lzf")));
  CHECK(a.identity != c.identity);
  CHECK(a.identity.size() == 16);
}

TEST_CASE("pjd catalog prints tables as text, csv and json", "[catalog][cli]") {
  pjd::test::TempDir dir("cat_cli");
  const fs::path file = dir.path() / "c.gpkg";
  const auto stack = pjd::Stack::open(parity("nominal"));
  {
    Catalog c = Catalog::open(file);
    c.record_run(stack, fake_result(stack, 4, {90, 180}, {stack.pairs()[0].name()}, {"20210115"}));
  }
  auto r = pjd::test::run_pjd("catalog runs --catalog " + file.string());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("run") == 0);
  r = pjd::test::run_pjd("catalog pairs --run 1 --excluded --format csv --catalog " + file.string());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(stack.pairs()[0].name()) != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
  r = pjd::test::run_pjd("catalog bad-dates --format json --catalog " + file.string());
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["rows"][0]["date"] == "20210115");
  r = pjd::test::run_pjd("catalog forget --run 1 --catalog " + file.string() + " < /dev/null");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--yes") != std::string::npos);
  r = pjd::test::run_pjd("catalog forget --run 1 --yes --catalog " + file.string());
  CHECK(r.exit_code == 0);
  r = pjd::test::run_pjd("catalog stacks --catalog " + (dir.path() / "none.gpkg").string());
  CHECK(r.exit_code == 3);
  r = pjd::test::run_pjd("catalog history --stack 42 --catalog " + file.string());
  CHECK(r.exit_code == 2);
}

TEST_CASE("eight pjd detect processes record into one catalogue at once", "[catalog][concurrency]") {
  pjd::test::TempDir dir("cat_concurrent");
  const fs::path file = dir.path() / "c.gpkg";
  std::string script;
  for (int i = 0; i < 8; ++i)
    script += std::string(pjd::test::kPjdExe) + " detect " + parity("nominal").string() + " --n-burst 6 --threads 1 --out " +
              (dir.path() / ("out" + std::to_string(i))).string() + " --catalog " + file.string() +
              " --progress none > " + (dir.path() / ("log" + std::to_string(i))).string() + " 2>&1 || echo FAIL" +
              std::to_string(i) + " >> " + (dir.path() / "failures").string() + " &\n";
  script += "wait\n";
  std::ofstream(dir.path() / "run.sh") << script;
  CHECK(std::system(("bash " + (dir.path() / "run.sh").string()).c_str()) == 0);
  CHECK_FALSE(fs::exists(dir.path() / "failures"));
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pjd_runs") == "8");
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pjd_run_pairs") == "336");
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pjd_stacks") == "1");
  CHECK(sqlite_scalar(file, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("a pjd detect killed while recording leaves no partial run", "[catalog][kill]") {
  pjd::test::TempDir dir("cat_kill");
  const fs::path file = dir.path() / "c.gpkg";
  const std::string detect = std::string(pjd::test::kPjdExe) + " detect " + parity("nominal").string() +
                             " --n-burst 6 --progress none --catalog " + file.string() + " --out ";
  // The first run is complete; the second is killed inside its recording transaction.
  REQUIRE(std::system((detect + (dir.path() / "a").string() + " > /dev/null").c_str()) == 0);
  const std::string log = (dir.path() / "b.log").string();
  const std::string script = "PJD_TEST_RECORD_DELAY_MS=60000 " + detect + (dir.path() / "b").string() +
                             " > /dev/null 2> " + log + " & pid=$!\n"
                             "for i in $(seq 1 600); do\n"
                             "  grep -q 'inside the recording transaction' " + log + " && break; sleep 0.05\n"
                             "done\n"
                             "kill -9 $pid; wait $pid 2>/dev/null; exit 0\n";
  std::ofstream(dir.path() / "kill.sh") << script;
  CHECK(std::system(("bash " + (dir.path() / "kill.sh").string()).c_str()) == 0);
  std::ifstream in(dir.path() / "b.log");
  const std::string b_log((std::istreambuf_iterator<char>(in)), {});
  CHECK(b_log.find("inside the recording transaction") != std::string::npos);  // killed there, not before
  CHECK(sqlite_scalar(file, "PRAGMA integrity_check") == "ok");
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pjd_runs") == "1");
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pjd_run_pairs") == "42");
  // The next run works.
  CHECK(std::system((detect + (dir.path() / "c").string() + " > /dev/null").c_str()) == 0);
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pjd_runs") == "2");
}

TEST_CASE("a recorded run loads back as the result that was recorded", "[catalog]") {
  pjd::test::TempDir dir("cat_load");
  const auto stack = pjd::Stack::open(parity("descending_subx"));
  pjd::DetectParams p;
  p.method = "published";
  p.n_burst = 4;
  p.sub_x = std::pair<std::size_t, std::size_t>{20, 180};
  p.pj_thr_mm = 3;
  p.cmin = 0.7;
  p.mask_avg_coh = true;
  p.pct = 0.1;
  const auto r = pjd::detect(stack, p);
  Catalog c = Catalog::open(dir.path() / "c.gpkg");
  const auto run = c.record_run(stack, r);
  const auto back = c.load_result(run);
  CHECK(back.params.n_burst == 4);
  CHECK(back.params.sub_x == p.sub_x);
  CHECK(back.params.pj_thr_mm == 3);
  CHECK(back.x0 == 20);
  CHECK(back.x1 == 180);
  CHECK(back.stack_file == r.stack_file);
  CHECK(back.orbit_direction == "DESCENDING");
  REQUIRE(back.seams.size() == r.seams.size());
  for (std::size_t i = 0; i < r.seams.size(); ++i) CHECK(back.seams[i].row == r.seams[i].row);
  REQUIRE(back.pairs.size() == r.pairs.size());
  for (std::size_t i = 0; i < r.pairs.size(); ++i) {
    CHECK(back.pairs[i].pair == r.pairs[i].pair);
    CHECK(back.pairs[i].ramp_mm == r.pairs[i].ramp_mm);
    CHECK(back.pairs[i].excluded == r.pairs[i].excluded);
  }
  CHECK(back.excluded_pairs == r.excluded_pairs);
  CHECK(back.excluded_dates == r.excluded_dates);
  CHECK(back.skipped_pairs.size() == r.skipped_pairs.size());
  CHECK(back.warnings == r.warnings);
  REQUIRE(back.profiles.n_pairs == r.profiles.n_pairs);
  CHECK(back.profiles.counts == r.profiles.counts);
  CHECK_THROWS_AS(c.load_result(run + 1), pjd::Error);
}

TEST_CASE("pjd detect adds its seam lines to the catalogue, pjd overlay reads a catalogue run", "[catalog][overlay][cli]") {
  pjd::test::TempDir dir("cat_layers");
  const std::string cat = (dir.path() / "c.gpkg").string();
  auto r = pjd::test::run_pjd("detect " + parity("nominal").string() + " -n 6 --method published --progress none --out " +
                              (dir.path() / "o").string() + " --catalog " + cat);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("warning: seam lines") == std::string::npos);
  CHECK(sqlite_scalar(cat, "SELECT count(*) FROM pjd_seams WHERE run = '1'") ==
        sqlite_scalar(cat, "SELECT count(*) FROM pjd_run_seams WHERE run_id = 1"));
  CHECK(sqlite_scalar(cat, "SELECT count(*) FROM pjd_seams") != "0");
  r = pjd::test::run_pjd("overlay --run 1 --catalog " + cat + " --layers seams,bursts --out " +
                         (dir.path() / "ov.gpkg").string());
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir.path() / "ov.gpkg"));
  CHECK(sqlite_scalar(cat, "SELECT count(*) FROM pjd_bursts WHERE run = '1'") != "0");
  // Writing the same run's layers again replaces them.
  const auto before = sqlite_scalar(cat, "SELECT count(*) FROM pjd_seams");
  r = pjd::test::run_pjd("overlay --run 1 --catalog " + cat + " --out " + (dir.path() / "ov2.gpkg").string());
  CHECK(r.exit_code == 0);
  CHECK(sqlite_scalar(cat, "SELECT count(*) FROM pjd_seams") == before);
  r = pjd::test::run_pjd("overlay --run 7 --catalog " + cat + " --out " + (dir.path() / "ov3.gpkg").string());
  CHECK(r.exit_code == 2);
  CHECK_FALSE(fs::exists(dir.path() / "ov3.gpkg"));
  const std::string validate = "/usr/bin/python3 /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py " + cat;
  CHECK(std::system(validate.c_str()) == 0);
}

TEST_CASE("the catalogue keeps every parameter, as summary.json has them", "[catalog][params]") {
  // Regression: the catalogue had its own copy of the parameters' JSON, which dropped
  // date_thr_px (and load_result never restored it).
  pjd::test::TempDir dir("cat_params");
  const auto cat = dir.path() / "c.gpkg";
  REQUIRE(pjd::test::run_pjd("simulate " + (dir.path() / "s").string() +
                             " --size tiny --n-burst 4 --seed 3 --progress none").exit_code == 0);
  const auto r = pjd::test::run_pjd("detect " + (dir.path() / "s").string() + " --date-thr-px 0.008 --no-figures --out " +
                                    (dir.path() / "o").string() + " --catalog " + cat.string() + " --progress none");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto summary = nlohmann::json::parse(pjd::test::slurp(dir.path() / "o" / "summary.json"));
  const auto stored = nlohmann::json::parse(pjd::test::sql_scalar(cat, "SELECT params_json FROM pjd_runs WHERE id = 1"));
  CHECK(stored["date_thr_px"] == 0.008);
  CHECK(stored == summary["params"]);
  const auto back = pjd::Catalog::open(cat).load_result(1);
  CHECK(back.params.date_thr_px == 0.008);
  CHECK(pjd::params_to_json(back.params) == summary["params"]);
}

TEST_CASE("the catalogue records a robust run that found no seam with n_burst 1, never offered as a burst count",
          "[catalog][n_burst]") {
  // Regression: layout 1's CHECK (n_burst >= 2) made record_run store max(2, n), and the
  // false 2 came back as previous_n_burst, which pjd audit forces on the next run.
  pjd::test::TempDir dir("cat_no_seam");
  const fs::path file = dir.path() / "c.gpkg";
  const auto stack = pjd::Stack::open(parity("nominal"));
  const auto identity = pjd::fingerprint_stack(stack).identity;
  Catalog c = Catalog::open(file);
  auto none = fake_result(stack, 3, {}, {}, {});
  none.params.method = "robust";
  none.n_burst_source = "no seam found";
  REQUIRE(none.params.n_burst == 1);
  const auto run1 = c.record_run(stack, none);
  CHECK(sqlite_scalar(file, "SELECT n_burst FROM pjd_runs WHERE id = " + std::to_string(run1)) == "1");
  CHECK(c.load_result(run1).params.n_burst == 1);
  CHECK(c.runs().rows.at(0).at(3) == 1);
  CHECK_FALSE(c.previous_n_burst(identity).has_value());  // 1 is no burst count to force
  c.record_run(stack, fake_result(stack, 3, {90, 180}, {}, {}));  // 3 bursts
  CHECK(c.previous_n_burst(identity) == 3);
  c.record_run(stack, none);  // the latest run that found seams still tells the count
  CHECK(c.previous_n_burst(identity) == 3);
  CHECK(sqlite_scalar(file, "SELECT group_concat(n_burst) FROM pjd_runs") == "1,3,1");
}

TEST_CASE("upgrading a layout-4 catalogue keeps every run and its rows", "[catalog][upgrade]") {
  // Layout 5 rebuilds pjd_runs (DROP TABLE + rename): with foreign keys on, the drop would
  // cascade into pjd_run_pairs, pjd_run_seams, pjd_run_dates and pjd_run_excluded_dates.
  pjd::test::TempDir dir("cat_upgrade4");
  const fs::path file = dir.path() / "v4.gpkg";
  pjd::detail::create_catalog_at_layout(file, 4);
  // params_json as the catalogue wrote it before layout 5 (no threads, block_bytes, date_thr_px).
  const std::string old_params =
      R"({\"n_burst\":3,\"method\":\"robust\",\"pct\":0.25,\"cmin\":0.7,\"mask_avg_coh\":false,)"
      R"(\"pj_thr_mm\":5.0,\"sub_x\":null,\"pair\":null})";  // escaped for the shell's double quotes
  sqlite_scalar(file,
                "PRAGMA foreign_keys = ON; "
                "INSERT INTO pjd_stacks (id, identity, fingerprint, path, length, width, n_pairs, created_utc, "
                "updated_utc) VALUES (1, 'id1', 'fp1', '/s', 100, 50, 2, 't', 't'); "
                "INSERT INTO pjd_runs (id, stack_id, fingerprint, method, params_json, n_burst, x0, x1, pj_thr_mm, "
                "software_version, started_utc, finished_utc, duration_s, status, n_pairs, n_burst_source, "
                "subswaths_json) VALUES (1, 1, 'fp1', 'robust', '" + old_params + "', 3, 0, 50, 5, 'v', 't', 't', 1, "
                "'complete', 2, "
                "'estimated', '[]'); "
                "INSERT INTO pjd_run_pairs (run_id, pair, ref_date, sec_date, btemp_days, skipped, ramp_mm, excluded) "
                "VALUES (1, '20210103_20210115', '20210103', '20210115', 12, 0, 1.5, 0), "
                "(1, '20210103_20210127', '20210103', '20210127', 24, 0, 7.5, 1); "
                "INSERT INTO pjd_run_seams (run_id, seam_index, row, votes, median_jump_mm, subswath) VALUES "
                "(1, 0, 30, 2, 0.5, 0), (1, 1, 60, 2, 0.75, 0); "
                "INSERT INTO pjd_run_excluded_dates (run_id, date) VALUES (1, '20210127'); "
                "INSERT INTO pjd_run_dates (run_id, date, misreg_px, n_pairs, excluded) VALUES "
                "(1, '20210127', 0.01, 2, 1);");
  const char* counts =
      "SELECT (SELECT count(*) FROM pjd_runs) || ',' || (SELECT count(*) FROM pjd_run_pairs) || ',' || "
      "(SELECT count(*) FROM pjd_run_seams) || ',' || (SELECT count(*) FROM pjd_run_excluded_dates) || ',' || "
      "(SELECT count(*) FROM pjd_run_dates)";
  REQUIRE(sqlite_scalar(file, counts) == "1,2,2,1,1");
  {
    Catalog c = Catalog::open(file);
    CHECK(c.layout_version() == pjd::catalog_layout_version());
    CHECK(sqlite_scalar(file, counts) == "1,2,2,1,1");
    CHECK(sqlite_scalar(file, "SELECT n_burst || ' ' || n_burst_source || ' ' || subswaths_json FROM pjd_runs") ==
          "3 estimated []");
    CHECK(sqlite_scalar(file, "SELECT group_concat(median_grad_mm) FROM pjd_run_seams") == "0.5,0.75");
    CHECK(sqlite_scalar(file, "SELECT count(*) FROM pragma_foreign_key_check") == "0");
    CHECK(sqlite_scalar(file, "PRAGMA integrity_check") == "ok");
    CHECK(sqlite_scalar(file, "SELECT count(*) FROM sqlite_master WHERE name = 'pjd_runs_stack'") == "1");
    // Foreign keys are on again, and the children reference the rebuilt pjd_runs.
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(pjd::detail::raw_handle(c), "PRAGMA foreign_keys", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_int(st, 0) == 1);
    sqlite3_finalize(st);
    const auto back = c.load_result(1);
    CHECK(back.params.cmin == 0.7);
    CHECK(back.params.date_thr_px == pjd::DetectParams{}.date_thr_px);  // not stored then: the default
    REQUIRE(back.seams.size() == 2);
    CHECK(back.seams[1].median_grad_mm == 0.75);
    CHECK(c.forget_run(1) == 1);
    CHECK(sqlite_scalar(file, counts) == "0,0,0,0,0");  // cascades as before
  }
  // A row without its parent makes the upgrade fail as a whole.
  const fs::path bad = dir.path() / "orphan.gpkg";
  pjd::detail::create_catalog_at_layout(bad, 4);
  sqlite_scalar(bad,
                "INSERT INTO pjd_run_excluded_dates (run_id, date) VALUES (42, '20210127');");  // foreign keys off
  try {
    Catalog::open(bad);
    FAIL("upgraded a catalogue with a dangling row");
  } catch (const pjd::Error& e) {
    CHECK(std::string(e.what()).find("orphan.gpkg") != std::string::npos);
    CHECK(e.problem().find("pjd_run_excluded_dates") != std::string::npos);
  }
  CHECK(sqlite_scalar(bad, "SELECT value FROM pjd_metadata WHERE key = 'layout_version'") == "4");
  CHECK(sqlite_scalar(bad, "SELECT count(*) FROM sqlite_master WHERE name = 'pjd_seams'") == "0");
}

TEST_CASE("pjd_run_seams holds median_grad_mm, as pjd catalog seams shows it", "[catalog][cli]") {
  pjd::test::TempDir dir("cat_seam_grad");
  const fs::path file = dir.path() / "c.gpkg";
  const auto stack = pjd::Stack::open(parity("nominal"));
  {
    Catalog c = Catalog::open(file);
    const auto run = c.record_run(stack, fake_result(stack, 3, {90, 180}, {}, {}));  // median_grad_mm 0.5
    const auto t = c.seams(run);
    REQUIRE(t.columns.size() == 5);
    CHECK(t.columns[3] == "median_grad_mm");
    CHECK(t.rows.at(0).at(3) == 0.5);
  }
  CHECK(sqlite_scalar(file, "SELECT group_concat(median_grad_mm) FROM pjd_run_seams") == "0.5,0.5");
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM pragma_table_info('pjd_run_seams') WHERE name = 'median_jump_mm'") ==
        "0");
  auto r = pjd::test::run_pjd("catalog seams --run 1 --catalog " + file.string());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("median_grad_mm") != std::string::npos);
  CHECK(r.out.find("median_jump_mm") == std::string::npos);
  r = pjd::test::run_pjd("catalog seams --run 1 --format json --catalog " + file.string());
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["rows"][1]["median_grad_mm"] == 0.5);
}

TEST_CASE("a new catalogue has its map layers, as GDAL makes them, before any overlay (layout 5)",
          "[catalog][layers]") {
  // Regression: the pjd_* map layers were created by OGR on the first overlay, a second
  // schema path outside db/.
  pjd::test::TempDir dir("cat_map_layers");
  const fs::path file = dir.path() / "c.gpkg";
  {
    Catalog c = Catalog::open(file);
    CHECK(pjd::catalog_layout_version() >= 5);
    CHECK(c.layout_version() == pjd::catalog_layout_version());
  }
  CHECK(sqlite_scalar(file, "SELECT value FROM pjd_metadata WHERE key = 'layout_version'") ==
        std::to_string(pjd::catalog_layout_version()));
  CHECK(sqlite_scalar(file, "SELECT group_concat(name) FROM pragma_table_info('pjd_seams')") ==
        "fid,geom,stack,run,seam_index,row,votes,median_jump_mm,n_pairs_above_thr,method,subswath");
  CHECK(sqlite_scalar(file, "SELECT group_concat(name) FROM pragma_table_info('pjd_bursts')") ==
        "fid,geom,stack,run,burst_index,row_first,row_last,n_rows,subswath");
  CHECK(sqlite_scalar(file, "SELECT group_concat(name) FROM pragma_table_info('pjd_footprint')") ==
        "fid,geom,stack,run,length,width,x0,x1,orbit_direction");
  CHECK(sqlite_scalar(file, "SELECT group_concat(table_name || ':' || geometry_type_name || ':' || srs_id) FROM "
                            "(SELECT * FROM gpkg_geometry_columns ORDER BY table_name)") ==
        "pjd_bursts:POLYGON:4326,pjd_footprint:POLYGON:4326,pjd_seams:MULTILINESTRING:4326");
  CHECK(sqlite_scalar(file, "SELECT count(*) FROM gpkg_contents WHERE data_type = 'features' AND "
                            "table_name IN ('pjd_seams', 'pjd_bursts', 'pjd_footprint') AND srs_id = 4326") == "3");
  // What GDAL reads: the layer as OGR's CreateLayer/CreateField made it before layout 5.
  const auto out = dir.path() / "ogrinfo.txt";
  REQUIRE(std::system(("ogrinfo -ro -so '" + file.string() + "' pjd_seams > '" + out.string() + "' 2>&1").c_str()) == 0);
  const std::string info = pjd::test::slurp(out);
  INFO(info);
  for (const char* line : {"Geometry: Multi Line String", "Feature Count: 0", "FID Column = fid", "Geometry Column = geom",
                           "DESCRIPTION=pjd seams of every run", "stack: String (0.0)", "seam_index: Integer (0.0)",
                           "median_jump_mm: Real (0.0)", "n_pairs_above_thr: Integer (0.0)", "subswath: String (0.0)",
                           "ID[\"EPSG\",4326]"})
    CHECK(info.find(line) != std::string::npos);
  REQUIRE(std::system(("ogrinfo -ro -so '" + file.string() + "' pjd_bursts > '" + out.string() + "' 2>&1").c_str()) == 0);
  CHECK(pjd::test::slurp(out).find("Geometry: Polygon") != std::string::npos);
  const std::string validate =
      "/usr/bin/python3 /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py '" + file.string() + "'";
  CHECK(std::system(validate.c_str()) == 0);
}
