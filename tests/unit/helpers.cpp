#include "helpers.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "pjd/simulate.hpp"
#include "test_config.hpp"

namespace pjd::test {

TempDir::TempDir(const std::string& name) {
  path_ = std::filesystem::path(kBuildDir) / "test_tmp" / (name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string sql_scalar(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  const int rc = sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  std::string out, error;
  if (rc == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      const int step = sqlite3_step(st);
      if (step == SQLITE_ROW) {
        if (const auto* t = sqlite3_column_text(st, 0)) out = reinterpret_cast<const char*>(t);
      } else if (step != SQLITE_DONE) {
        error = sqlite3_errmsg(h);
      }
    } else {
      error = sqlite3_errmsg(h);
    }
    sqlite3_finalize(st);
  } else {
    error = "cannot open";
  }
  sqlite3_close(h);
  INFO(db.string() << ": " << sql << ": " << error);
  CHECK(error.empty());
  return out;
}

KillableRun run_killable(const std::string& env, const std::string& args, const std::string& wrapper, int timeout_s) {
  static int counter = 0;
  const char* exe = std::getenv("PJD_TEST_PJD_EXE");
  const std::filesystem::path base = std::filesystem::path(kBuildDir) / "test_tmp" /
                                     ("kr_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::create_directories(base.parent_path());
  const std::string cmd = "env " + env + " timeout " + std::to_string(timeout_s) + " " + wrapper + " " +
                          (exe != nullptr && *exe != '\0' ? exe : kPjdExe) + " " + args + " >" + base.string() +
                          ".out 2>" + base.string() + ".err";
  const int status = std::system(cmd.c_str());
  KillableRun r;
  if (WIFEXITED(status)) {
    r.code = WEXITSTATUS(status);
    r.killed = r.code == 128 + SIGKILL;  // the shell (or strace) reports a child killed by a signal as 128 + signal
  } else if (WIFSIGNALED(status)) {
    r.killed = WTERMSIG(status) == SIGKILL;
  }
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  std::filesystem::remove(base.string() + ".out");
  std::filesystem::remove(base.string() + ".err");
  return r;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pjd::Stack simulate_merged(const std::filesystem::path& dir, std::uint64_t seed, int n_subswaths, std::size_t width) {
  pjd::SimParams sp = pjd::sim_preset("small");
  sp.seed = seed;
  sp.n_subswaths = n_subswaths;
  sp.width = width;
  sp.threads = 2;
  pjd::simulate(dir, sp);
  return pjd::Stack::open(dir);
}

RunResult run_pjd(const std::string& args) {
  static int counter = 0;
  const auto base = std::filesystem::path(kBuildDir) / "test_tmp" /
                    ("run_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::create_directories(base.parent_path());
  // Runs never record into the user's catalogue: each test process has its own default.
  const std::string env = "PJD_CATALOG=" + (std::filesystem::path(kBuildDir) / "test_tmp" /
                                            ("catalog_" + std::to_string(::getpid()) + ".gpkg")).string() + " ";
  const std::string cmd = env + std::string(kPjdExe) + " " + args + " >" + base.string() + ".out 2>" + base.string() + ".err";
  RunResult r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  std::filesystem::remove(base.string() + ".out");
  std::filesystem::remove(base.string() + ".err");
  return r;
}

}  // namespace pjd::test
