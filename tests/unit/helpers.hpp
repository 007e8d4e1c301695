#pragma once
// Shared helpers for the unit tests.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "pjd/stack.hpp"

namespace pjd::test {

/// A fresh, empty directory under the build tree, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Result of running the pjd executable.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
/// The whole content of a file (binary), "" if it cannot be read.
std::string slurp(const std::filesystem::path& p);

/// Simulates the "small" preset (84 pairs, 540 rows) with `n_subswaths` merged sub-swaths over
/// `width` columns into `dir` (2 threads) and opens it.
pjd::Stack simulate_merged(const std::filesystem::path& dir, std::uint64_t seed, int n_subswaths, std::size_t width);

/// The first column of the first row of `sql` on the SQLite file `db`, as text ("" for
/// NULL or no row). Opens the file read-only; fails the test on an SQL error.
std::string sql_scalar(const std::filesystem::path& db, const std::string& sql);

/// Runs `pjd ARGS` (args are passed to the shell as written) and captures stdout and stderr.
RunResult run_pjd(const std::string& args);

/// A pjd run that a test may kill: its exit code, or that SIGKILL ended it.
struct KillableRun {
  int code = -1;        ///< exit code when the process exited
  bool killed = false;  ///< ended by SIGKILL (directly, or reported by the shell or strace as 128 + 9)
  std::string out, err;
};

/// Runs `env ENV timeout TIMEOUT_S [WRAPPER] pjd ARGS` (pjd: $PJD_TEST_PJD_EXE, else the
/// build's); a hang shows as exit code 124.
KillableRun run_killable(const std::string& env, const std::string& args, const std::string& wrapper, int timeout_s);

/// The start of a command prefix that runs pjd under strace. LeakSanitizer cannot work under
/// ptrace (it aborts the process at exit), so the traced pjd runs without leak checking
/// (harmless in builds without ASan; every other sanitizer check stays on).
inline constexpr const char* kStrace = "strace -E ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 ";

}  // namespace pjd::test
