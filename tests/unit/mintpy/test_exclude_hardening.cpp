// pjd exclude hardening (issue 14 items 4, 7, 11, 16): kills at every write point of
// --apply and --restore, refusals that leave every byte of the stack and the template as
// they were, non-boolean and mis-shaped dropIfgram, templates that are links, FIFOs,
// binary files or inputs of the run.
//
// The kill tests use the test-only hook of libpjd/src/mintpy/exclude_h5.cpp:
// PJD_TEST_KILL_TRACE=1 lists the write points, PJD_TEST_KILL_AT=N kills the process
// (SIGKILL) at the Nth. PJD_TEST_PJD_EXE runs these tests against another pjd executable
// (e.g. a build from before the fix, to see them fail).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "helpers.hpp"
#include "io/h5util.hpp"
#include "pjd/error.hpp"
#include "pjd/exclude.hpp"
#include "pjd/simulate.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::h5::Handle;
using pjd::test::slurp;
using pjd::test::TempDir;

namespace {

using Run = pjd::test::KillableRun;

/// `env ENV timeout 60 [WRAPPER] pjd ARGS`.
Run run(const std::string& env, const std::string& args, const std::string& wrapper = "") {
  return pjd::test::run_killable(env, args, wrapper, 60);
}

std::size_t line_count(const std::string& s) {
  std::size_t n = 0;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) ++n;
  return n;
}

/// Byte-for-byte equality (a CHECK on it does not print binary files when it fails).
bool same_bytes(const std::string& a, const std::string& b) { return a == b; }

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

/// dropIfgram as stored: its type class, raw bytes (native order), and the saved copy.
struct Flags {
  H5T_class_t cls = H5T_NO_CLASS;
  std::size_t type_size = 0;
  std::vector<unsigned char> raw;
  bool has_saved = false;
  bool saved_readable = false;  ///< the attribute's value could be read and parsed
  std::vector<bool> saved;
  std::vector<bool> keep() const {
    std::vector<bool> k;
    for (std::size_t i = 0; i < raw.size(); i += type_size) {
      bool any = false;
      for (std::size_t b = 0; b < type_size; ++b) any = any || raw[i + b] != 0;
      k.push_back(any);
    }
    return k;
  }
};

Flags read_flags(const fs::path& file) {
  pjd::h5::init_library();
  Flags fl;
  Handle f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  INFO(file.string());
  REQUIRE(f.valid());
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  REQUIRE(d.valid());
  Handle ft(H5Dget_type(d));
  Handle mt(H5Tget_native_type(ft, H5T_DIR_ASCEND));
  Handle sp(H5Dget_space(d));
  fl.cls = H5Tget_class(ft);
  fl.type_size = H5Tget_size(mt);
  fl.raw.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp)) * fl.type_size);
  REQUIRE(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fl.raw.data()) >= 0);
  fl.has_saved = H5Aexists(d, pjd::kSavedDropAttribute) > 0;
  if (fl.has_saved) {
    const std::string text = pjd::h5::read_string_attribute(d, pjd::kSavedDropAttribute);
    if (!text.empty()) {
      fl.saved = nlohmann::json::parse(text).at("dropIfgram").get<std::vector<bool>>();
      fl.saved_readable = true;
    }
  }
  return fl;
}

/// Replaces dropIfgram by a dataset of `type` and shape `dims` holding `data` (memory type = `type`).
void replace_drop(const fs::path& file, hid_t type, const std::vector<hsize_t>& dims, const void* data) {
  pjd::h5::init_library();
  Handle f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  REQUIRE(f.valid());
  REQUIRE(H5Ldelete(f, "dropIfgram", H5P_DEFAULT) >= 0);
  Handle sp(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Handle d(H5Dcreate2(f, "dropIfgram", type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  REQUIRE(d.valid());
  REQUIRE(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
}

void set_saved_attribute(const fs::path& file, const std::string& text) {
  pjd::h5::init_library();
  Handle f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  REQUIRE(f.valid());
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  pjd::h5::write_string_attribute(d, pjd::kSavedDropAttribute, text);
}

/// Names of the write points a traced run passed ("pjd-kill-point N NAME" lines).
std::vector<std::string> points_of(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string l; std::getline(in, l);) {
    std::istringstream ls(l);
    std::string tag, name;
    int n = 0;
    if (ls >> tag >> n >> name && tag == "pjd-kill-point") {
      CHECK(n == static_cast<int>(out.size()) + 1);
      out.push_back(name);
    }
  }
  return out;
}

std::ptrdiff_t index_of(const std::vector<std::string>& v, const std::string& s) {
  const auto it = std::find(v.begin(), v.end(), s);
  return it == v.end() ? -1 : it - v.begin();
}

/// A tiny simulated stack (30 pairs) and a detection of it that excludes 4 pairs and 2
/// dates (11 pairs with the dates, 4 without; the network stays connected).
struct Fixture {
  TempDir dir;
  fs::path stack, result;
  explicit Fixture(const std::string& name) : dir(name) {
    pjd::SimParams sp = pjd::sim_preset("tiny");
    sp.threads = 2;
    stack = pjd::simulate(dir.path() / "sim", sp).stack_file;
    result = dir.path() / "res";
    const Run r = run("", "detect " + (dir.path() / "sim").string() + " --out " + result.string() +
                              " --no-catalog --progress none --pj-thr 10");
    INFO(r.err);
    REQUIRE(r.code == 0);
  }
  fs::path copy(const std::string& name) const {
    const fs::path p = dir.path() / (name + ".h5");
    fs::remove(p);
    fs::copy_file(stack, p);
    return p;
  }
  std::string apply(const fs::path& s, const std::string& more = "") const {
    return "exclude " + result.string() + " --apply --stack " + s.string() + more;
  }
};

std::string restore(const fs::path& s) { return "exclude --restore --stack " + s.string(); }

}  // namespace

// ---------------------------------------------------------------- kills (item 4)

TEST_CASE("exclude --apply killed at every write point leaves the flags unchanged or saved, and --restore brings "
          "them back bit for bit",
          "[exclude][kill]") {
  const Fixture fx("exclude_kill_apply");
  const Flags orig = read_flags(fx.stack);
  REQUIRE(orig.cls == H5T_ENUM);  // h5py's bool
  REQUIRE_FALSE(orig.has_saved);

  // The points of a whole run, and its result.
  const fs::path traced = fx.copy("traced");
  const Run t = run("PJD_TEST_KILL_TRACE=1", fx.apply(traced));
  INFO(t.err);
  REQUIRE(t.code == 0);
  const auto points = points_of(t.err);
  const Flags applied = read_flags(traced);
  REQUIRE(applied.raw != orig.raw);
  REQUIRE(applied.has_saved);
  CHECK(applied.saved == orig.keep());
  // Every HDF5 write and flush of apply is a point; the saved copy is on disk (flushed)
  // before the flags change.
  for (const char* p : {"apply.checked", "apply.opened", "apply.backup-written", "apply.backup-flushed",
                        "apply.flags-written", "apply.mtime-written:unwrapPhase", "apply.mtime-written:coherence",
                        "apply.mtime-written:connectComponent", "apply.flushed", "apply.closed"}) {
    INFO(p);
    CHECK(index_of(points, p) >= 0);
  }
  REQUIRE(points.size() == 10);
  CHECK(index_of(points, "apply.backup-flushed") < index_of(points, "apply.flags-written"));

  int unchanged = 0, saved_only = 0, applied_saved = 0;
  for (std::size_t k = 1; k <= points.size(); ++k) {
    INFO("killed at point " << k << " " << points[k - 1]);
    const fs::path s = fx.copy("kill_" + std::to_string(k));
    const std::string before = slurp(s);
    const Run r = run("PJD_TEST_KILL_AT=" + std::to_string(k), fx.apply(s));
    REQUIRE(r.killed);
    const Flags st = read_flags(s);
    if (!st.has_saved) {
      CHECK(st.raw == orig.raw);  // flags changed only with the saved copy on disk
      ++unchanged;
    } else {
      CHECK(st.saved == orig.keep());
      CHECK((st.raw == orig.raw || st.raw == applied.raw));
      ++(st.raw == orig.raw ? saved_only : applied_saved);
    }
    if (points[k - 1] == "apply.checked") CHECK(same_bytes(slurp(s), before));  // nothing written before opening for writing
    // Running it again finishes the job; --restore brings back every byte of the flags.
    const Run again = run("", fx.apply(s));
    INFO(again.err);
    CHECK(again.code == 0);
    const Flags done = read_flags(s);
    CHECK(done.raw == applied.raw);
    CHECK(done.has_saved);
    CHECK(done.saved == orig.keep());
    const Run back = run("", restore(s));
    INFO(back.err);
    CHECK(back.code == 0);
    const Flags restored = read_flags(s);
    CHECK(restored.cls == orig.cls);
    CHECK(restored.raw == orig.raw);
    CHECK_FALSE(restored.has_saved);
    fs::remove(s);
  }
  // The three states a kill can leave were all reached.
  CHECK(unchanged >= 1);
  CHECK(saved_only >= 1);
  CHECK(applied_saved >= 1);
  WARN("exclude --apply: " << points.size() << " kill points, " << unchanged << " left the stack unchanged, "
                           << saved_only << " saved the flags only, " << applied_saved << " applied and saved");
}

TEST_CASE("exclude --restore killed at every write point is finished by running it again", "[exclude][kill]") {
  const Fixture fx("exclude_kill_restore");
  const Flags orig = read_flags(fx.stack);
  const fs::path applied_file = fx.copy("applied");
  REQUIRE(run("", fx.apply(applied_file)).code == 0);
  const Flags applied = read_flags(applied_file);
  REQUIRE(applied.raw != orig.raw);

  const fs::path traced = fx.dir.path() / "traced.h5";
  fs::copy_file(applied_file, traced);
  const Run t = run("PJD_TEST_KILL_TRACE=1", restore(traced));
  INFO(t.err);
  REQUIRE(t.code == 0);
  const auto points = points_of(t.err);
  for (const char* p : {"restore.checked", "restore.opened", "restore.flags-written", "restore.mtime-written:unwrapPhase",
                        "restore.mtime-written:coherence", "restore.mtime-written:connectComponent",
                        "restore.flags-flushed", "restore.backup-removed", "restore.flushed", "restore.closed"}) {
    INFO(p);
    CHECK(index_of(points, p) >= 0);
  }
  REQUIRE(points.size() == 10);
  // The saved copy goes only once the restored flags are on disk.
  CHECK(index_of(points, "restore.flags-flushed") < index_of(points, "restore.backup-removed"));
  CHECK(read_flags(traced).raw == orig.raw);

  int still_applied = 0, restored_saved = 0, finished = 0;
  for (std::size_t k = 1; k <= points.size(); ++k) {
    INFO("killed at point " << k << " " << points[k - 1]);
    const fs::path s = fx.dir.path() / ("kill_" + std::to_string(k) + ".h5");
    fs::copy_file(applied_file, s, fs::copy_options::overwrite_existing);
    const std::string before = slurp(s);
    const Run r = run("PJD_TEST_KILL_AT=" + std::to_string(k), restore(s));
    REQUIRE(r.killed);
    const Flags st = read_flags(s);
    if (points[k - 1] == "restore.checked") CHECK(same_bytes(slurp(s), before));
    if (st.has_saved) {
      CHECK(st.saved == orig.keep());
      CHECK((st.raw == applied.raw || st.raw == orig.raw));
      ++(st.raw == applied.raw ? still_applied : restored_saved);
      const Run again = run("", restore(s));
      INFO(again.err);
      CHECK(again.code == 0);
    } else {
      CHECK(st.raw == orig.raw);  // the saved copy went only after the flags were back
      ++finished;
      const Run again = run("", restore(s));
      CHECK(again.code == 3);
      CHECK(contains(again.err, "nothing to restore"));
    }
    const Flags done = read_flags(s);
    CHECK(done.cls == orig.cls);
    CHECK(done.raw == orig.raw);
    CHECK_FALSE(done.has_saved);
    fs::remove(s);
  }
  CHECK(still_applied >= 1);
  CHECK(restored_saved >= 1);
  CHECK(finished >= 1);
  WARN("exclude --restore: " << points.size() << " kill points, " << still_applied << " left it applied, "
                             << restored_saved << " restored with the copy kept, " << finished << " finished");
}

TEST_CASE("a second exclude --apply killed at every write point keeps the first saved copy", "[exclude][kill]") {
  const Fixture fx("exclude_kill_second");
  const Flags orig = read_flags(fx.stack);
  const fs::path first_file = fx.copy("first");
  REQUIRE(run("", fx.apply(first_file, " --no-dates")).code == 0);  // 4 pairs
  const Flags first = read_flags(first_file);
  const fs::path traced = fx.dir.path() / "traced.h5";
  fs::copy_file(first_file, traced);
  const Run t = run("PJD_TEST_KILL_TRACE=1", fx.apply(traced));  // and the pairs of the 2 dates
  INFO(t.err);
  REQUIRE(t.code == 0);
  const auto points = points_of(t.err);
  CHECK(index_of(points, "apply.backup-written") < 0);  // the first copy is kept, never rewritten
  CHECK(index_of(points, "apply.flags-written") >= 0);
  REQUIRE(points.size() == 8);
  const Flags second = read_flags(traced);
  REQUIRE(second.raw != first.raw);
  for (std::size_t k = 1; k <= points.size(); ++k) {
    INFO("killed at point " << k << " " << points[k - 1]);
    const fs::path s = fx.dir.path() / ("kill_" + std::to_string(k) + ".h5");
    fs::copy_file(first_file, s, fs::copy_options::overwrite_existing);
    REQUIRE(run("PJD_TEST_KILL_AT=" + std::to_string(k), fx.apply(s)).killed);
    const Flags st = read_flags(s);
    CHECK(st.has_saved);
    CHECK(st.saved == orig.keep());
    CHECK((st.raw == first.raw || st.raw == second.raw));
    CHECK(run("", fx.apply(s)).code == 0);
    CHECK(read_flags(s).raw == second.raw);
    CHECK(run("", restore(s)).code == 0);
    const Flags done = read_flags(s);
    CHECK(done.raw == orig.raw);
    CHECK_FALSE(done.has_saved);
    fs::remove(s);
  }
}

// ---------------------------------------------------------------- dropIfgram (items 16, 11)

TEST_CASE("exclude refuses a non-boolean dropIfgram before writing anything, naming the file and the dataset",
          "[exclude]") {
  const Fixture fx("exclude_nonbool");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const fs::path cfg = fx.dir.path() / "smallbaselineApp.cfg";
  const std::string cfg_text = "mintpy.network.excludeDate = auto\n";

  SECTION("float64 0.5 / NaN / 2.0") {
    std::vector<double> v(30, 1.0);
    v[1] = 0.5;
    v[2] = nan;
    v[3] = 2.0;
    v[4] = 0.0;
    const fs::path s = fx.copy("float");
    replace_drop(s, H5T_NATIVE_DOUBLE, {30}, v.data());
    const std::string before = slurp(s);
    std::ofstream(cfg) << cfg_text;
    for (const std::string& args : {fx.apply(s), fx.apply(s, " --dry-run"), fx.apply(s, " --mintpy-cfg " + cfg.string()),
                                    restore(s)}) {
      INFO(args);
      const Run r = run("", args);
      CHECK(r.code == 3);
      CHECK(line_count(r.err) == 1);
      CHECK(contains(r.err, s.string()));
      CHECK(contains(r.err, "'dropIfgram'"));
      CHECK(contains(r.err, "64-bit float, not boolean"));
      CHECK(same_bytes(slurp(s), before));
      CHECK(slurp(cfg) == cfg_text);  // the template is not touched either
    }
    try {
      pjd::apply_drop(s, {"20210103_20210115"}, {}, false, false);
      FAIL("no error");
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == pjd::ErrorKind::Data);
      CHECK(e.file() == s.string());
    }
    CHECK(same_bytes(slurp(s), before));
    // Without --apply (a report, or the template only) the stack is only read: no refusal.
    CHECK(run("", "exclude " + fx.result.string() + " --stack " + s.string()).code == 0);
  }
  SECTION("int8 holding 2") {
    std::vector<signed char> v(30, 1);
    v[5] = 2;
    const fs::path s = fx.copy("int2");
    replace_drop(s, H5T_NATIVE_SCHAR, {30}, v.data());
    const std::string before = slurp(s);
    const Run r = run("", fx.apply(s));
    CHECK(r.code == 3);
    CHECK(contains(r.err, "'dropIfgram' is not boolean: value 2 at index 5"));
    CHECK(same_bytes(slurp(s), before));
  }
  SECTION("an enum that is not h5py's bool") {
    Handle et(H5Tenum_create(H5T_NATIVE_SCHAR));
    signed char a = 0, b = 1;
    H5Tenum_insert(et, "NO", &a);
    H5Tenum_insert(et, "YES", &b);
    std::vector<signed char> v(30, 1);
    const fs::path s = fx.copy("enum");
    replace_drop(s, et, {30}, v.data());
    const std::string before = slurp(s);
    const Run r = run("", fx.apply(s));
    CHECK(r.code == 3);
    CHECK(line_count(r.err) == 1);
    CHECK(contains(r.err, "'dropIfgram'"));  // pjd::Stack cannot read it as a bool either
    CHECK(same_bytes(slurp(s), before));
  }
  SECTION("int8 holding 0 and 1 is boolean: apply and restore round-trip bit for bit") {
    std::vector<signed char> v(30, 1);
    v[7] = 0;
    const fs::path s = fx.copy("int01");
    replace_drop(s, H5T_NATIVE_SCHAR, {30}, v.data());
    const Flags orig = read_flags(s);
    const Run r = run("", fx.apply(s));
    INFO(r.err);
    REQUIRE(r.code == 0);
    const Flags mid = read_flags(s);
    CHECK(mid.cls == H5T_INTEGER);
    CHECK(mid.raw != orig.raw);
    CHECK(run("", restore(s)).code == 0);
    const Flags back = read_flags(s);
    CHECK(back.cls == H5T_INTEGER);
    CHECK(back.raw == orig.raw);
  }
}

TEST_CASE("exclude says that a (30, 1) dropIfgram has the wrong shape", "[exclude]") {
  const Fixture fx("exclude_shape");
  Handle et(H5Tenum_create(H5T_NATIVE_SCHAR));
  signed char f0 = 0, t1 = 1;
  H5Tenum_insert(et, "FALSE", &f0);
  H5Tenum_insert(et, "TRUE", &t1);
  std::vector<signed char> v(30, 1);
  SECTION("(30, 1)") {
    const fs::path s = fx.copy("col");
    replace_drop(s, et, {30, 1}, v.data());
    const std::string before = slurp(s);
    for (const std::string& args : {fx.apply(s), "exclude " + fx.result.string() + " --stack " + s.string(), restore(s)}) {
      INFO(args);
      const Run r = run("", args);
      CHECK(r.code == 3);
      CHECK(line_count(r.err) == 1);
      CHECK(contains(r.err, s.string()));
      CHECK(contains(r.err, "'dropIfgram' has shape (30, 1), expected (30,): one flag per pair"));
      CHECK_FALSE(contains(r.err, "30 values for 30 pairs"));
      CHECK(same_bytes(slurp(s), before));
    }
  }
  SECTION("(29,)") {
    const fs::path s = fx.copy("short");
    replace_drop(s, et, {29}, v.data());
    const Run r = run("", fx.apply(s));
    CHECK(r.code == 3);
    CHECK(contains(r.err, "'dropIfgram' has shape (29), expected (30,)"));
  }
}

// ---------------------------------------------------------------- nothing written before the checks (item 7)

TEST_CASE("exclude --apply refuses a 0-byte, non-HDF5 or FIFO stack and leaves it as it was", "[exclude]") {
  const Fixture fx("exclude_notstack");
  const fs::path zero = fx.dir.path() / "zero.h5";
  std::ofstream(zero).close();
  const fs::path text = fx.dir.path() / "text.h5";
  std::ofstream(text) << "not a stack\n";
  const fs::path fifo = fx.dir.path() / "fifo.h5";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  struct Case {
    fs::path file;
    const char* problem;
  };
  for (const Case& c : {Case{zero, "is empty (0 bytes)"}, Case{text, "is not an HDF5 file"},
                        Case{fifo, "is not a regular file (a FIFO)"}}) {
    for (const std::string& args : {fx.apply(c.file), fx.apply(c.file, " --dry-run"), restore(c.file)}) {
      INFO(args);
      const std::string before = fs::is_fifo(c.file) ? "" : slurp(c.file);
      const Run r = run("", args);
      CHECK(r.code == 3);  // 124 would be a hang
      CHECK(line_count(r.err) == 1);
      CHECK(contains(r.err, c.file.string()));
      CHECK(contains(r.err, c.problem));
      if (!fs::is_fifo(c.file)) CHECK(same_bytes(slurp(c.file), before));
    }
  }
  CHECK(fs::file_size(zero) == 0);
  CHECK(fs::is_fifo(fifo));
}

TEST_CASE("a refused exclude --apply or --restore leaves every byte of the stack unchanged", "[exclude]") {
  const Fixture fx("exclude_refused");
  auto refused = [](const std::string& args, const fs::path& s, const std::string& problem) {
    INFO(args);
    const std::string before = slurp(s);
    const Run r = run("", args);
    CHECK(r.code == 3);
    CHECK(line_count(r.err) == 1);
    CHECK(contains(r.err, s.string()));
    CHECK(contains(r.err, problem));
    CHECK(same_bytes(slurp(s), before));
  };
  SECTION("the network would be split") {
    const fs::path res = fx.dir.path() / "res_low";
    REQUIRE(run("", "detect " + (fx.dir.path() / "sim").string() + " --out " + res.string() +
                        " --no-catalog --progress none --pj-thr 0.5")
                .code == 0);
    const fs::path s = fx.copy("split");
    refused("exclude " + res.string() + " --apply --stack " + s.string(), s, "splits the network");
    // Its dry run exits 0 (it did what was asked: show, write nothing) and says it would be refused.
    const std::string before = slurp(s);
    for (const std::string format : {"text", "json"}) {
      INFO(format);
      const Run dry = run("", "exclude " + res.string() + " --apply --dry-run --stack " + s.string() + " --format " + format);
      INFO(dry.err);
      CHECK(dry.code == 0);
      if (format == "json") {
        const auto j = nlohmann::json::parse(dry.out);
        CHECK(j.at("refused_without_force") == true);
        CHECK(j.at("apply").at("changed") == true);
      } else {
        CHECK(contains(dry.out, "this would be refused (the network would be split)"));
      }
      CHECK(same_bytes(slurp(s), before));
    }
  }
  SECTION("a malformed saved copy") {
    const fs::path s = fx.copy("malformed");
    set_saved_attribute(s, "{not json");
    refused(fx.apply(s), s, "malformed attribute PJD_ORIGINAL_DROPIFGRAM");
    refused(restore(s), s, "malformed attribute PJD_ORIGINAL_DROPIFGRAM");
    set_saved_attribute(s, "{\"date12\": [\"20210103_20210115\"], \"dropIfgram\": [true]}");
    refused(fx.apply(s), s, "are for 1 other pairs");
    refused(restore(s), s, "are for 1 other pairs");
  }
  SECTION("nothing to restore") {
    const fs::path s = fx.copy("nothing");
    refused(restore(s), s, "nothing to restore");
  }
  SECTION("read-only") {
    const fs::path s = fx.copy("ro");
    fs::permissions(s, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    refused(fx.apply(s), s, "is read-only");
  }
  SECTION("held open by another process (HDF5's flock), for writing or for reading") {
    const fs::path s = fx.copy("locked");
    const int fd = ::open(s.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);  // what HDF5 takes for a writer
    refused(fx.apply(s), s, "is open for writing in another process");
    refused(restore(s), s, "is open for writing in another process");
    REQUIRE(::flock(fd, LOCK_SH) == 0);  // a reader
    refused(fx.apply(s), s, "is open in another process");
    ::close(fd);
    CHECK(run("", fx.apply(s)).code == 0);  // released: it works
  }
  SECTION("a second apply with nothing new leaves the file as it is") {
    const fs::path s = fx.copy("twice");
    REQUIRE(run("", fx.apply(s)).code == 0);
    const std::string before = slurp(s);
    CHECK(run("", fx.apply(s)).code == 0);
    CHECK(same_bytes(slurp(s), before));
  }
}

// ---------------------------------------------------------------- templates (items 7, 6)

TEST_CASE("exclude --mintpy-cfg edits a linked template through its link and keeps its mode", "[exclude]") {
  const Fixture fx("exclude_cfg_link");
  const std::string text = "mintpy.load.processor = isce\nmintpy.network.excludeDate = auto\n";
  for (const fs::perms mode : {fs::perms(0600), fs::perms(0640), fs::perms(0664)}) {
    INFO("mode " << std::oct << static_cast<unsigned>(mode));
    const fs::path real_dir = fx.dir.path() / "elsewhere";
    fs::create_directories(real_dir);
    const fs::path real = real_dir / "smallbaselineApp.cfg";
    const fs::path link = fx.dir.path() / "link.cfg";
    fs::remove(real);
    fs::remove(link);
    std::ofstream(real) << text;
    fs::permissions(real, mode);
    fs::create_symlink(fs::relative(real, link.parent_path()), link);
    const Run r = run("", "exclude " + fx.result.string() + " --mintpy-cfg " + link.string());
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(fs::is_symlink(link));  // still a link
    CHECK(fs::read_symlink(link) == fs::relative(real, link.parent_path()));
    const std::string edited = slurp(real);
    CHECK(contains(edited, "mintpy.network.excludeDate = 20210208,20210304"));
    CHECK(contains(edited, "mintpy.network.excludeDate12 = "));
    CHECK((fs::status(real).permissions() & fs::perms::all) == mode);
    // A plain file keeps its mode too.
    const fs::path plain = fx.dir.path() / "plain.cfg";
    fs::remove(plain);
    std::ofstream(plain) << text;
    fs::permissions(plain, mode);
    REQUIRE(run("", "exclude " + fx.result.string() + " --mintpy-cfg " + plain.string()).code == 0);
    CHECK((fs::status(plain).permissions() & fs::perms::all) == mode);
    CHECK(slurp(plain) == edited);
  }
  // No temporary left next to the target.
  for (const auto& e : fs::directory_iterator(fx.dir.path() / "elsewhere"))
    CHECK(e.path().filename() == "smallbaselineApp.cfg");
}

TEST_CASE("exclude --mintpy-cfg refuses a FIFO, a binary file, the stack and summary.json, writing nothing",
          "[exclude]") {
  const Fixture fx("exclude_cfg_bad");
  const fs::path s = fx.copy("stack");
  const std::string stack_before = slurp(s);
  const fs::path fifo = fx.dir.path() / "fifo.cfg";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const fs::path binary = fx.dir.path() / "binary.cfg";
  {
    std::ofstream b(binary, std::ios::binary);
    b << "mintpy.load.processor = isce\n" << std::string(1, '\0') << "\x01\x02";
  }
  const fs::path hdf5 = fx.dir.path() / "copy_of_stack.cfg";
  fs::copy_file(fx.stack, hdf5);
  const fs::path dangling = fx.dir.path() / "dangling.cfg";
  fs::create_symlink(fx.dir.path() / "no_such.cfg", dangling);
  const fs::path summary = fx.result / "summary.json";
  struct Case {
    fs::path cfg, named;
    const char* problem;
  };
  for (const Case& c : {Case{fifo, fifo, "not a regular file (a FIFO)"},
                        Case{binary, binary, "not a text file (a NUL byte at offset 29)"},
                        Case{hdf5, hdf5, "is an HDF5 file"},
                        Case{s, s, "is an HDF5 file"},
                        Case{summary, summary, "an input of this run"},
                        Case{dangling, dangling, "symbolic link"}}) {
    for (const bool apply : {false, true}) {
      const std::string args = "exclude " + fx.result.string() + " --mintpy-cfg " + c.cfg.string() +
                               (apply ? " --apply --stack " + s.string() : "");
      INFO(args);
      const std::string before = fs::is_fifo(c.cfg) ? "" : slurp(c.cfg);
      const Run r = run("", args);
      CHECK(r.code == 3);
      CHECK(line_count(r.err) == 1);
      CHECK(contains(r.err, c.named.string()));
      CHECK(contains(r.err, c.problem));
      if (!fs::is_fifo(c.cfg)) CHECK(same_bytes(slurp(c.cfg), before));
      CHECK(same_bytes(slurp(s), stack_before));  // --apply did not run either
    }
  }
  CHECK(fs::is_fifo(fifo));
  CHECK(fs::is_symlink(dangling));
  CHECK_FALSE(fs::exists(fx.dir.path() / "no_such.cfg"));
  // The library says the same (Data errors naming the file).
  pjd::ExclusionSet set;
  set.dates = {"20210208"};
  try {
    pjd::update_template_file(s, set, false, false, {s});
    FAIL("no error");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(e.file() == s.string());
  }
  const fs::path text_input = fx.dir.path() / "input.txt";
  std::ofstream(text_input) << "a = b\n";
  CHECK_THROWS_AS(pjd::update_template_file(text_input, set, false, false, {text_input}), pjd::Error);
  CHECK(slurp(text_input) == "a = b\n");
  CHECK(same_bytes(slurp(s), stack_before));
}

// ---------------------------------------------------------------- kills inside HDF5's flushes

namespace {

bool have_tool(const char* path) { return ::access(path, X_OK) == 0; }

/// How many pwrite64 calls `pjd ARGS` makes (strace).
int count_pwrites(const std::string& args) {
  const fs::path log = fs::path(pjd::test::kBuildDir) / "test_tmp" / ("exh_strace_" + std::to_string(::getpid()));
  run("", args, std::string(pjd::test::kStrace) + "-f -o " + log.string() + " -e trace=pwrite64");
  std::istringstream in(slurp(log));
  fs::remove(log);
  int n = 0;
  for (std::string l; std::getline(in, l);)
    if (contains(l, "pwrite64(")) ++n;
  return n;
}

/// `pjd ARGS` under strace, killed (SIGKILL) on entering its `n`th pwrite64: every write
/// HDF5 makes to the stack, including those inside one H5Fflush.
Run kill_before_pwrite(int n, const std::string& args) {
  return run("", args,
             std::string(pjd::test::kStrace) + "-f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=SIGKILL:when=" + std::to_string(n));
}

/// Runs `args`; when pjd refuses a file left longer than its recorded end, runs the repair it
/// names (h5clear --increment=0) and runs `args` again. Counts the repairs.
Run run_repairing(const std::string& args, const fs::path& s, int& repairs) {
  Run r = run("", args);
  if (r.code == 3 && contains(r.err, "h5clear --increment=0 " + s.string())) {
    INFO(r.err);
    CHECK(line_count(r.err) == 1);
    REQUIRE(std::system(("h5clear --increment=0 " + s.string() + " >/dev/null 2>&1").c_str()) == 0);
    ++repairs;
    r = run("", args);
  }
  return r;
}

}  // namespace

TEST_CASE("exclude --apply and --restore killed before every write HDF5 makes: the flags never change without a "
          "readable saved copy",
          "[exclude][kill]") {
  if (!have_tool("/usr/bin/strace") || !have_tool("/usr/bin/h5clear")) {
    WARN("strace or h5clear (hdf5-tools) missing: syscall-level kills not run");
    return;
  }
  const Fixture fx("exclude_kill_pwrite");
  const Flags orig = read_flags(fx.stack);
  const fs::path applied_file = fx.copy("applied");
  REQUIRE(run("", fx.apply(applied_file)).code == 0);
  const Flags applied = read_flags(applied_file);

  for (const bool restoring : {false, true}) {
    const fs::path start = restoring ? applied_file : fx.stack;
    auto args = [&](const fs::path& s) { return restoring ? restore(s) : fx.apply(s); };
    const fs::path probe = fx.dir.path() / "probe.h5";
    fs::copy_file(start, probe, fs::copy_options::overwrite_existing);
    const int n_writes = count_pwrites(args(probe));
    REQUIRE(n_writes >= 6);  // superblock, flags, headers, heap, superblock, ...
    int repairs = 0, damaged = 0;
    for (int n = 1; n <= n_writes; ++n) {
      INFO((restoring ? "--restore" : "--apply") << " killed before write " << n << " of " << n_writes);
      const fs::path s = fx.dir.path() / "k.h5";
      fs::copy_file(start, s, fs::copy_options::overwrite_existing);
      REQUIRE(kill_before_pwrite(n, args(s)).killed);
      const Flags st = read_flags(s);  // the file opens and dropIfgram reads
      if (st.raw != orig.raw) {
        CHECK(st.has_saved);  // changed flags come with their saved copy, readable
        CHECK(st.saved_readable);
        CHECK(st.saved == orig.keep());
      }
      if (st.has_saved && !st.saved_readable) CHECK(st.raw == orig.raw);
      if (restoring && !st.has_saved) {
        // The restore got as far as removing the saved copy: the flags are back.
        CHECK(st.raw == orig.raw);
        const Run back = run_repairing(restore(s), s, repairs);
        CHECK(back.code == 3);
        CHECK(contains(back.err, "nothing to restore"));
      } else {
        // Finish: apply again (repairing when pjd asks for it), then restore.
        const Run again = run_repairing(fx.apply(s), s, repairs);
        INFO(again.err);
        CHECK(again.code == 0);
        if (contains(again.err, "cannot be opened")) ++damaged;
        CHECK(read_flags(s).raw == applied.raw);
        const Run back = run_repairing(restore(s), s, repairs);
        INFO(back.err);
        CHECK(back.code == 0);
        if (contains(back.err, "cannot be opened")) ++damaged;
      }
      const Flags done = read_flags(s);
      CHECK(done.cls == orig.cls);
      CHECK(done.raw == orig.raw);
      CHECK_FALSE(done.has_saved);
    }
    WARN((restoring ? "exclude --restore: " : "exclude --apply: ")
         << n_writes << " writes, killed before each; " << repairs << " run(s) refused until h5clear, " << damaged
         << " left a dataset HDF5 cannot open (MODIFICATION_TIME not updated)");
  }
}
