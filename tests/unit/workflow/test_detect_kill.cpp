// pjd detect --out OUT --catalog CAT killed at every write point (issue 14 item 15 and
// "kill tests at every write point of detect --catalog").
//
// Each kill is a rerun into an OUT and a CAT that hold an earlier run (made with other
// options, so that its files differ, and with a mask file the new run does not write),
// with files pjd did not write in OUT. After the kill:
//  - the catalogue opens, passes PRAGMA integrity_check, and every table holds exactly the
//    rows it held before the run or exactly those of a reference run that finished (no
//    partial run); when it holds the run, OUT holds the new result (its summary_path is in
//    place);
//  - OUT is one result: the old one or the new one, every file byte for byte (summary.json
//    except the fields that differ from run to run), with the foreign files untouched;
//  - the next run succeeds, and leaves no temporary in OUT or next to it.
// Kills: the PJD_TEST_KILL_AT points (pjd/internal/kill_point.hpp: each file renamed into
// the new folder, the folder exchange, the catalogue transaction), and strace's fault
// injection (SIGKILL on entering a syscall) at every write SQLite makes to CAT and its
// WAL and at every rename of the run.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::test::slurp;
using pjd::test::TempDir;

namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

/// pjd simulate options of a small stack (9 pairs of 120 x 40), to keep the kills quick.
const char* const kSmallStack = " --size tiny --n-burst 4 --seed 5 --n-dates 6 --connections 2 --length 120 --width 40 "
                                "--progress none";

using Run = pjd::test::KillableRun;

/// `env ENV timeout 120 [WRAPPER] pjd ARGS`.
Run run(const std::string& env, const std::string& args, const std::string& wrapper = "") {
  return pjd::test::run_killable(env, args, wrapper, 120);
}

/// summary.json without what differs between two runs of the same result.
std::string normalised_summary(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return "unparsable: " + text;
  // The times, and how many pairs' profiles came from the catalogue (more once a killed
  // run got as far as recording itself: the run after it reuses them).
  j.erase("timings_s");
  j.erase("n_pairs_reused");
  return j.dump();
}

/// A netCDF file's full dump (ncdump) without its history attribute (it has the time of
/// the run; the file's bytes differ only there and in the checksum of its header).
std::string normalised_nc(const fs::path& f) {
  std::string out;
  if (FILE* p = ::popen(("ncdump " + f.string() + " 2>&1").c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    if (::pclose(p) != 0) out += "\nncdump failed";
  }
  std::istringstream in(out);
  std::string kept;
  for (std::string l; std::getline(in, l);)
    if (!contains(l, ":history = ")) kept += l + "\n";
  return kept;
}

/// Every entry under `dir` (relative path -> content; "<dir>" for folders, "-> X" for links),
/// summary.json normalised.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> m;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return m;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(dir).string();
    if (it->is_symlink()) m[rel] = "-> " + fs::read_symlink(it->path()).string();
    else if (it->is_directory()) m[rel] = "<dir>";
    else if (!it->is_regular_file()) m[rel] = "<special>";
    else if (it->path().extension() == ".nc")
      m[rel] = normalised_nc(it->path());
    else if (it->path().filename().string().size() >= 12 &&
             it->path().filename().string().rfind("summary.json") == it->path().filename().string().size() - 12)
      m[rel] = normalised_summary(slurp(it->path()));
    else
      m[rel] = slurp(it->path());
  }
  return m;
}

/// What differs between two snapshots, for the test's message.
std::string diff(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
  std::ostringstream o;
  for (const auto& [k, v] : a)
    if (!b.count(k)) o << " -" << k;
    else if (b.at(k) != v) o << " ~" << k;
  for (const auto& [k, v] : b)
    if (!a.count(k)) o << " +" << k;
  return o.str();
}

struct Db {
  sqlite3* h = nullptr;
  explicit Db(const fs::path& f) {
    if (sqlite3_open_v2(f.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(h);
      h = nullptr;
    }
  }
  ~Db() { sqlite3_close(h); }
  std::vector<std::vector<std::string>> rows(const std::string& sql) const {
    std::vector<std::vector<std::string>> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      out.push_back({"SQL error: " + std::string(sqlite3_errmsg(h))});
      return out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> r;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const auto* t = sqlite3_column_text(st, c);
        r.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out.push_back(r);
    }
    sqlite3_finalize(st);
    return out;
  }
};

/// The catalogue's state: "ok" from integrity_check and every table's row count.
struct CatState {
  bool opened = false;
  std::string integrity;
  std::map<std::string, std::string> counts;
  std::string last_summary_path;
  bool operator==(const CatState& o) const { return counts == o.counts; }
};

CatState cat_state(const fs::path& cat) {
  CatState s;
  Db db(cat);
  if (db.h == nullptr) return s;
  s.opened = true;
  const auto ic = db.rows("PRAGMA integrity_check");
  s.integrity = ic.empty() || ic[0].empty() ? "" : ic[0][0];
  for (const auto& t : db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
    const auto c = db.rows("SELECT count(*) FROM \"" + t.at(0) + "\"");
    s.counts[t.at(0)] = c.empty() || c[0].empty() ? "?" : c[0][0];
  }
  const auto sp = db.rows("SELECT summary_path FROM pjd_runs ORDER BY rowid DESC LIMIT 1");
  if (!sp.empty() && !sp[0].empty()) s.last_summary_path = sp[0][0];
  return s;
}

std::string counts_text(const CatState& s) {
  std::ostringstream o;
  for (const auto& [k, v] : s.counts) o << k << "=" << v << " ";
  return o.str();
}

/// Entries of `dir` whose name marks a pjd temporary.
std::vector<std::string> temporaries_in(const fs::path& dir) {
  std::vector<std::string> t;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (contains(it->path().filename().string(), ".tmp-")) t.push_back(it->path().string());
  return t;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::create_directories(to.parent_path());
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

std::vector<std::string> points_of(const std::string& err) {
  std::vector<std::string> p;
  std::istringstream in(err);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("pjd-kill-point ", 0) == 0) p.push_back(l.substr(l.find(' ', 15) + 1));
  return p;
}

/// The stack, an earlier run's OUT (with foreign files) and CAT, and a reference rerun.
struct Fixture {
  TempDir dir;
  fs::path stack, base_out, base_cat, ref_out, ref_cat;
  std::map<std::string, std::string> old_snap, new_snap, new_snap_figs;
  CatState old_cat, new_cat;
  std::string new_args_extra = " --no-figures";

  explicit Fixture(const std::string& name) : dir(name) {
    stack = dir.path() / "stack";
    REQUIRE(run("", "simulate " + stack.string() + kSmallStack).code == 0);
    base_out = dir.path() / "base" / "OUT";
    base_cat = dir.path() / "basecat" / "c.gpkg";
    // The earlier run: other options (other threshold, the average-coherence mask), so
    // every file differs and it has maskCoh_cts.nc, which the new run does not write.
    const Run first = run("", "detect " + stack.string() + " --out " + base_out.string() + " --catalog " +
                                  base_cat.string() + " --method published --n-burst 4 --pj-thr 1.5 --msk-avgCoh --progress none");
    INFO(first.err);
    REQUIRE(first.code == 0);
    REQUIRE(fs::exists(base_out / "maskCoh_cts.nc"));
    REQUIRE(fs::exists(base_out / "figs" / "masked_intensity.png"));
    // Files pjd did not write: they stay whatever happens.
    std::ofstream(base_out / "notes.txt") << "my notes\n";
    std::ofstream(base_out / "figs" / "my_sketch.txt") << "mine\n";
    fs::create_directories(base_out / "extra" / "sub");
    std::ofstream(base_out / "extra" / "sub" / "a.txt") << "another tool\n";
    fs::create_symlink("notes.txt", base_out / "notes.link");
    std::ofstream(base_out / "20200101_20200113_summary.json") << "{\"another --pair run\": 1}\n";
    old_snap = snapshot(base_out);
    old_cat = cat_state(base_cat);
    REQUIRE(old_cat.integrity == "ok");
    // The reference rerun.
    ref_out = dir.path() / "ref" / "OUT";
    ref_cat = dir.path() / "refcat" / "c.gpkg";
    copy_tree(base_out.parent_path(), ref_out.parent_path());
    copy_tree(base_cat.parent_path(), ref_cat.parent_path());
    const Run second = run("", args(ref_out, ref_cat));
    INFO(second.err);
    REQUIRE(second.code == 0);
    new_snap = snapshot(ref_out);
    new_cat = cat_state(ref_cat);
    REQUIRE(new_cat.integrity == "ok");
    REQUIRE_FALSE(new_cat == old_cat);
    REQUIRE(new_snap != old_snap);
  }

  std::string args(const fs::path& out, const fs::path& cat, const std::string& extra = " --no-figures") const {
    return "detect " + stack.string() + " --out " + out.string() + " --catalog " + cat.string() +
           " --progress none" + extra;
  }
};

/// Counters of what the kills left.
struct Tally {
  int kills = 0, old_out = 0, new_out = 0, no_out = 0, old_cat = 0, new_cat = 0, temporaries_left = 0;
  std::string text() const {
    std::ostringstream o;
    o << kills << " kills: OUT old " << old_out << ", new " << new_out << ", absent " << no_out << "; catalogue without the run "
      << old_cat << ", with it " << new_cat << "; a temporary left by the kill (removed by the next run) " << temporaries_left;
    return o.str();
  }
};

/// One kill: fresh copies of the earlier run's OUT (or none) and CAT, `kill` runs pjd
/// (and must end by SIGKILL), then every check of the file's header comment.
void kill_case(const Fixture& fx, const std::string& what, const std::function<Run(const fs::path&, const fs::path&)>& kill,
               Tally& t, bool fresh_out = false, const std::map<std::string, std::string>* new_snap = nullptr,
               const std::string& extra = " --no-figures") {
  INFO(what);
  const fs::path work = fx.dir.path() / "k";
  fs::remove_all(work);
  const fs::path out = work / "parent" / "OUT", cat = work / "cat" / "c.gpkg";
  if (fresh_out) fs::create_directories(out.parent_path());
  else copy_tree(fx.base_out, out);
  copy_tree(fx.base_cat.parent_path(), cat.parent_path());
  const auto& expect_new = new_snap ? *new_snap : fx.new_snap;
  const auto expect_old = fresh_out ? std::map<std::string, std::string>{} : fx.old_snap;

  const Run r = kill(out, cat);
  INFO(r.err);
  REQUIRE(r.killed);
  ++t.kills;
  // The catalogue.
  const CatState c = cat_state(cat);
  REQUIRE(c.opened);
  CHECK(c.integrity == "ok");
  const bool cat_old = c == fx.old_cat, cat_new = c == fx.new_cat;
  INFO("catalogue: " << counts_text(c) << "\nbefore: " << counts_text(fx.old_cat) << "\nafter: " << counts_text(fx.new_cat));
  CHECK((cat_old || cat_new));
  t.old_cat += cat_old;
  t.new_cat += cat_new;
  // OUT.
  const auto s = snapshot(out);
  const bool out_old = s == expect_old, out_new = s == expect_new;
  INFO("OUT vs old:" << diff(expect_old, s) << "\nOUT vs new:" << diff(expect_new, s));
  CHECK((out_old || out_new));
  if (fresh_out && out_old) ++t.no_out;
  else t.old_out += out_old;
  t.new_out += out_new;
  // A run in the catalogue has its result in place.
  if (cat_new) {
    CHECK(out_new);
    CHECK(c.last_summary_path == fs::absolute(out / "summary.json").string());
  }
  const auto left = temporaries_in(work / "parent");
  t.temporaries_left += !left.empty();
  // The next run finishes the job and leaves no temporary.
  const Run again = run("", fx.args(out, cat, extra));
  INFO(again.err);
  CHECK(again.code == 0);
  const auto s2 = snapshot(out);
  INFO("OUT after the next run vs new:" << diff(expect_new, s2));
  CHECK(s2 == expect_new);
  const auto after = temporaries_in(work / "parent");
  INFO("left: " << (after.empty() ? std::string() : after.front()));
  CHECK(after.empty());
  std::vector<std::string> in_parent;
  for (const auto& e : fs::directory_iterator(work / "parent")) in_parent.push_back(e.path().filename().string());
  CHECK(in_parent == std::vector<std::string>{"OUT"});
  const CatState c2 = cat_state(cat);
  CHECK(c2.integrity == "ok");
  // The run is recorded once: a kill that left it recorded adds one more run, not part of one.
  CHECK(std::stoi(c2.counts.at("pjd_runs")) == std::stoi(fx.old_cat.counts.at("pjd_runs")) + 1 + (cat_new ? 1 : 0));
}

bool have_strace() { return ::access("/usr/bin/strace", X_OK) == 0; }

/// The lines of an strace log, for `pjd ARGS` run under `strace OPTIONS`.
std::vector<std::string> strace_lines(const std::string& options, const std::string& args) {
  const fs::path log = fs::path(pjd::test::kBuildDir) / "test_tmp" / ("dk_strace_" + std::to_string(::getpid()));
  const Run r = run("", args, std::string(pjd::test::kStrace) + "-f -qq -o " + log.string() + " " + options);
  INFO(r.err);
  REQUIRE(r.code == 0);
  std::vector<std::string> lines;
  std::istringstream in(slurp(log));
  fs::remove(log);
  for (std::string l; std::getline(in, l);)
    if (!contains(l, "resumed>") && !contains(l, "+++") && !contains(l, "---")) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("detect --out --catalog killed at every pjd write point leaves one result in OUT and the run whole or "
          "absent in the catalogue",
          "[detect][catalog][workflow][kill]") {
  const auto t0 = std::chrono::steady_clock::now();
  const Fixture fx("detect_kill_points");
  // The points of a whole rerun.
  const fs::path traced = fx.dir.path() / "traced" / "OUT", traced_cat = fx.dir.path() / "tracedcat" / "c.gpkg";
  copy_tree(fx.base_out, traced);
  copy_tree(fx.base_cat.parent_path(), traced_cat.parent_path());
  const Run t = run("PJD_TEST_KILL_TRACE=1", fx.args(traced, traced_cat));
  INFO(t.err);
  REQUIRE(t.code == 0);
  const auto points = points_of(t.err);
  for (const char* p : {"dir.work-created", "file.renamed:intensity_pct.nc", "file.renamed:coherence_cts.nc",
                        "file.renamed:median_az_grad_mm.nc", "file.renamed:summary.json", "dir.carried",
                        "dir.exchanged", "dir.old-removed", "catalog.recording", "catalog.recorded"}) {
    INFO(p);
    CHECK(std::count(points.begin(), points.end(), p) == 1);
  }
  Tally tally;
  for (std::size_t k = 1; k <= points.size(); ++k)
    kill_case(fx, "killed at point " + std::to_string(k) + " " + points[k - 1],
              [&](const fs::path& out, const fs::path& cat) {
                return run("PJD_TEST_KILL_AT=" + std::to_string(k), fx.args(out, cat));
              },
              tally);
  // Every state a kill can leave was reached.
  CHECK(tally.old_out >= 1);
  CHECK(tally.new_out >= 1);
  CHECK(tally.old_cat >= 1);
  CHECK(tally.new_cat >= 1);
  WARN("detect kill points: " << points.size() << " points; " << tally.text());
  WARN("seconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST_CASE("detect --out --catalog into a new OUT killed at every pjd write point leaves no OUT or the whole result",
          "[detect][catalog][workflow][kill]") {
  const Fixture fx("detect_kill_fresh");
  const fs::path fresh = fx.dir.path() / "fresh" / "OUT", cat = fx.dir.path() / "freshcat" / "c.gpkg";
  fs::create_directories(fresh.parent_path());
  copy_tree(fx.base_cat.parent_path(), cat.parent_path());
  const Run t = run("PJD_TEST_KILL_TRACE=1", fx.args(fresh, cat));
  INFO(t.err);
  REQUIRE(t.code == 0);
  const auto points = points_of(t.err);
  CHECK(std::count(points.begin(), points.end(), "dir.renamed") == 1);
  CHECK(std::count(points.begin(), points.end(), "dir.exchanged") == 0);
  const auto alone = snapshot(fresh);  // the new result, no foreign files
  Tally tally;
  for (std::size_t k = 1; k <= points.size(); ++k)
    kill_case(fx, "new OUT, killed at point " + std::to_string(k) + " " + points[k - 1],
              [&](const fs::path& out, const fs::path& c) {
                return run("PJD_TEST_KILL_AT=" + std::to_string(k), fx.args(out, c));
              },
              tally, true, &alone);
  CHECK(tally.no_out >= 1);
  CHECK(tally.new_out >= 1);
  WARN("detect kill points into a new OUT: " << points.size() << " points; " << tally.text());
}

TEST_CASE("detect --out --catalog with summary figures killed at every figure and folder point leaves one result",
          "[detect][catalog][workflow][kill][figures]") {
  const Fixture fx("detect_kill_figures");
  const fs::path fo = fx.dir.path() / "figref" / "OUT", fc = fx.dir.path() / "figrefcat" / "c.gpkg";
  copy_tree(fx.base_out, fo);
  copy_tree(fx.base_cat.parent_path(), fc.parent_path());
  const Run t = run("PJD_TEST_KILL_TRACE=1", fx.args(fo, fc, ""));
  INFO(t.err);
  REQUIRE(t.code == 0);
  const auto with_figs = snapshot(fo);
  REQUIRE(with_figs.count("figs/masked_intensity.png") == 1);
  REQUIRE(with_figs.count("figs/my_sketch.txt") == 1);
  const auto points = points_of(t.err);
  // Kill by name (the worker's points interleave with the outputs'): each figure, and the
  // folder's points.
  std::vector<std::string> names;
  for (const auto& p : points)
    if (p.rfind("file.renamed:", 0) == 0 || p.rfind("dir.", 0) == 0 || p.rfind("figures.", 0) == 0)
      names.push_back(p);
  CHECK(std::count(names.begin(), names.end(), "figures.summary-drawn") == 1);
  REQUIRE(names.size() >= 10);
  Tally tally;
  for (const auto& name : names)
    kill_case(fx, "with figures, killed at " + name,
              [&](const fs::path& out, const fs::path& c) { return run("PJD_TEST_KILL_AT=" + name, fx.args(out, c, "")); },
              tally, false, &with_figs, "");
  CHECK(tally.old_out >= 1);
  CHECK(tally.new_out >= 1);
  WARN("detect kill points with figures: " << names.size() << " points; " << tally.text());
}

TEST_CASE("detect --out --catalog killed before every write to the catalogue and every rename leaves one result and "
          "a whole catalogue",
          "[detect][catalog][workflow][kill]") {
  if (!have_strace()) {
    WARN("strace missing: syscall-level kills not run");
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Fixture fx("detect_kill_strace");
  const fs::path probe = fx.dir.path() / "probe" / "OUT", probe_cat = fx.dir.path() / "probecat" / "c.gpkg";
  auto fresh_probe = [&] {
    copy_tree(fx.base_out, probe);
    copy_tree(fx.base_cat.parent_path(), probe_cat.parent_path());
  };
  // Writes to the catalogue: the file, its WAL and its rollback journal (-P follows the
  // descriptors opened on them).
  std::string cat_paths;
  for (const char* suffix : {"", "-wal", "-journal"})
    cat_paths += " -P " + (probe_cat.parent_path() / ("c.gpkg" + std::string(suffix))).string();
  const std::string writes = "-e trace=write,pwrite64,pwritev,pwritev2";
  fresh_probe();
  const auto wl = strace_lines(writes + cat_paths, fx.args(probe, probe_cat));
  const int n_writes = static_cast<int>(wl.size());
  REQUIRE(n_writes >= 4);  // WAL header, frames, checkpoint
  const std::string renames = "-e trace=rename,renameat,renameat2";
  fresh_probe();
  const auto rl = strace_lines(renames, fx.args(probe, probe_cat));
  const int n_renames = static_cast<int>(rl.size());
  REQUIRE(n_renames >= 9);  // the outputs, summary.json, the exchange
  int exchanges = 0;
  for (const auto& l : rl) exchanges += contains(l, "RENAME_EXCHANGE");
  CHECK(exchanges == 2);  // the probe of the file system, and the folder

  // strace counts each syscall's invocations apart: kill at the n-th of each one.
  auto by_syscall = [](const std::vector<std::string>& lines) {
    std::vector<std::pair<std::string, std::string>> out;  // (syscall, line)
    for (const auto& l : lines) {
      // "PID  name(args) = r"
      const auto e = l.find('(');
      const auto b = e == std::string::npos ? std::string::npos : l.rfind(' ', e);
      if (b != std::string::npos) out.emplace_back(l.substr(b + 1, e - b - 1), l);
    }
    return out;
  };
  Tally tw;
  {
    std::map<std::string, int> nth;
    for (const auto& [sc, line] : by_syscall(wl)) {
      const int n = ++nth[sc];
      kill_case(fx, "killed before catalogue " + sc + " " + std::to_string(n) + ": " + line.substr(0, 120),
                [&](const fs::path& out, const fs::path& cat) {
                  // The filter names this case's catalogue.
                  std::string p;
                  for (const char* suffix : {"", "-wal", "-journal"})
                    p += " -P " + (cat.parent_path() / ("c.gpkg" + std::string(suffix))).string();
                  return run("", fx.args(out, cat),
                             std::string(pjd::test::kStrace) + "-f -qq -o /dev/null " + writes + p + " -e inject=" + sc +
                                 ":signal=SIGKILL:when=" + std::to_string(n));
                },
                tw);
    }
  }
  CHECK(tw.kills == n_writes);
  CHECK(tw.old_cat >= 1);
  CHECK(tw.new_cat >= 1);
  WARN("detect, killed before each write to the catalogue: " << n_writes << " writes; " << tw.text());
  Tally tr;
  {
    std::map<std::string, int> nth;
    for (const auto& [sc, line] : by_syscall(rl)) {
      const int n = ++nth[sc];
      kill_case(fx, "killed before " + sc + " " + std::to_string(n) + ": " + line.substr(0, 160),
                [&](const fs::path& out, const fs::path& cat) {
                  return run("", fx.args(out, cat),
                             std::string(pjd::test::kStrace) + "-f -qq -o /dev/null " + renames + " -e inject=" + sc +
                                 ":signal=SIGKILL:when=" + std::to_string(n));
                },
                tr);
    }
  }
  CHECK(tr.kills == n_renames);
  // The folder exchange is the run's last rename: killed before any of them, OUT is the
  // old result (the new one is whole in the work folder, removed by the next run).
  CHECK(tr.old_out == tr.kills);
  WARN("detect, killed before each rename: " << n_renames << " renames; " << tr.text());
  WARN("seconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST_CASE("detect --out refuses a FIFO in OUT, or a file named figs when it draws figures, before replacing OUT",
          "[detect][workflow]") {
  TempDir dir("detect_out_foreign");
  const fs::path stack = dir.path() / "stack";
  REQUIRE(run("", "simulate " + stack.string() + " --size tiny --n-burst 4 --seed 5 --progress none").code == 0);
  const fs::path out = dir.path() / "p" / "OUT";
  const std::string detect = "detect " + stack.string() + " --out " + out.string() + " --no-catalog --progress none";
  REQUIRE(run("", detect).code == 0);
  SECTION("a FIFO") {
    REQUIRE(::mkfifo((out / "pipe").c_str(), 0600) == 0);
    const auto before = snapshot(out);
    const Run r = run("", detect + " --no-figures");
    CHECK(r.code == 3);
    CHECK(contains(r.err, (out / "pipe").string()));
    CHECK(contains(r.err, "FIFO"));
    CHECK(snapshot(out) == before);
  }
  SECTION("a file named figs") {
    fs::remove_all(out / "figs");
    std::ofstream(out / "figs") << "a file\n";
    const auto before = snapshot(out);
    const Run r = run("", detect);
    CHECK(r.code == 3);
    CHECK(contains(r.err, (out / "figs").string()));
    CHECK(snapshot(out) == before);
    // Without figures the file is not in the way: it is carried over.
    const Run ok = run("", detect + " --no-figures");
    INFO(ok.err);
    CHECK(ok.code == 0);
    CHECK(slurp(out / "figs") == "a file\n");
  }
  std::vector<std::string> in_parent;
  for (const auto& e : fs::directory_iterator(out.parent_path())) in_parent.push_back(e.path().filename().string());
  CHECK(in_parent == std::vector<std::string>{"OUT"});
}

TEST_CASE("detect --out through a link replaces the folder it points to and keeps the link", "[detect][workflow]") {
  TempDir dir("detect_out_link");
  const fs::path stack = dir.path() / "stack";
  REQUIRE(run("", "simulate " + stack.string() + " --size tiny --n-burst 4 --seed 5 --progress none").code == 0);
  fs::create_directories(dir.path() / "real");
  std::ofstream(dir.path() / "real" / "keep.txt") << "k\n";
  fs::create_directory_symlink("real", dir.path() / "OUT");
  for (int i = 0; i < 2; ++i) {
    const Run r = run("", "detect " + stack.string() + " --out " + (dir.path() / "OUT").string() +
                              " --no-catalog --no-figures --progress none");
    INFO(r.err);
    REQUIRE(r.code == 0);
  }
  CHECK(fs::is_symlink(dir.path() / "OUT"));
  CHECK(fs::exists(dir.path() / "real" / "summary.json"));
  CHECK(slurp(dir.path() / "real" / "keep.txt") == "k\n");
  CHECK(temporaries_in(dir.path()).empty());
}

TEST_CASE("detect --out . (the current directory) is written in place, and killed at every point it is one result or has "
          "no summary.json, which readers refuse",
          "[detect][catalog][workflow][kill]") {
  const Fixture fx("detect_kill_in_place");
  // The points of a run in place.
  const fs::path traced = fx.dir.path() / "traced" / "OUT", traced_cat = fx.dir.path() / "tracedcat" / "c.gpkg";
  copy_tree(fx.base_out, traced);
  copy_tree(fx.base_cat.parent_path(), traced_cat.parent_path());
  const Run t = run("-C " + traced.string() + " PJD_TEST_KILL_TRACE=1", fx.args(".", traced_cat));
  INFO(t.err);
  REQUIRE(t.code == 0);
  CHECK(contains(t.err, "is written in place (it is or holds the current directory)"));
  const auto points = points_of(t.err);
  CHECK(std::count(points.begin(), points.end(), "dir.work-created") == 0);
  CHECK(std::count(points.begin(), points.end(), "dir.exchanged") == 0);
  CHECK(std::count(points.begin(), points.end(), "file.renamed:summary.json") == 1);
  // In place, the old result's maskCoh_cts.nc is removed and the foreign files stay: the
  // folder is the reference's.
  CHECK(snapshot(traced) == fx.new_snap);
  int old_out = 0, new_out = 0, incomplete = 0;
  for (std::size_t k = 1; k <= points.size(); ++k) {
    INFO("in place, killed at point " << k << " " << points[k - 1]);
    const fs::path out = fx.dir.path() / "k" / "OUT", cat = fx.dir.path() / "kcat" / "c.gpkg";
    copy_tree(fx.base_out, out);
    copy_tree(fx.base_cat.parent_path(), cat.parent_path());
    REQUIRE(run("-C " + out.string() + " PJD_TEST_KILL_AT=" + std::to_string(k), fx.args(".", cat)).killed);
    const auto s = snapshot(out);
    const CatState c = cat_state(cat);
    CHECK(c.integrity == "ok");
    CHECK((c == fx.old_cat || c == fx.new_cat));
    if (s == fx.old_snap) {
      ++old_out;
    } else if (s == fx.new_snap) {
      ++new_out;
    } else {
      // A mix is never complete: its summary.json is gone, and readers say so.
      INFO("OUT vs new:" << diff(fx.new_snap, s));
      CHECK_FALSE(fs::exists(out / "summary.json"));
      const Run reader = run("", "overlay " + out.string() + " --out " + (fx.dir.path() / "k" / "o.gpkg").string());
      CHECK(reader.code == 3);
      CHECK(contains(reader.err, "summary.json"));
      ++incomplete;
    }
    if (c == fx.new_cat) CHECK(s == fx.new_snap);  // the catalogue's run has its summary.json in place
    const Run again = run("-C " + out.string(), fx.args(".", cat));
    INFO(again.err);
    CHECK(again.code == 0);
    CHECK(snapshot(out) == fx.new_snap);
    CHECK(temporaries_in(out.parent_path()).empty());
  }
  CHECK(incomplete >= 1);
  CHECK(new_out >= 1);
  WARN("detect --out . in place: " << points.size() << " points; OUT old " << old_out << ", new " << new_out
                                   << ", incomplete without summary.json " << incomplete);
}
