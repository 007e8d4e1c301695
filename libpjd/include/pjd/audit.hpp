#pragma once
// Audits of archives: find MintPy stacks under some roots and detect those that are new
// or changed since their last recorded run (by content fingerprint).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pjd/catalog.hpp"
#include "pjd/detect.hpp"

namespace pjd {

/// Every MintPy stack under the roots: directories holding inputs/ifgramStack.h5 (a root
/// may itself be one, or be the .h5 file). Sorted, without duplicates. Unreadable
/// directories are skipped. Throws pjd::Error (Usage) for a root that does not exist.
std::vector<std::filesystem::path> find_stacks(const std::vector<std::filesystem::path>& roots);

struct AuditOptions {
  /// n_burst 0 = the stack's previous run, else its number_of_bursts attribute, else
  /// the stack is reported as needing one.
  DetectParams params;
  std::filesystem::path catalog;       ///< the catalogue to consult and record into
  std::optional<std::filesystem::path> out_root;  ///< write each run's files under out_root/<stack id>/
  unsigned jobs = 1;                   ///< stacks processed at once
};

/// One stack's outcome.
struct AuditEntry {
  std::filesystem::path stack;
  std::string status;   ///< "detected", "unchanged", "needs-n-burst", "failed"
  std::string message;  ///< the error for "failed", a hint for "needs-n-burst"
  std::vector<std::string> warnings;  ///< parts of a detected run that could not be done (map layers)
  std::optional<std::int64_t> run_id;
  std::size_t n_pairs = 0, n_seams = 0, n_excluded_pairs = 0, n_excluded_dates = 0, n_pairs_reused = 0;
  int n_burst = 0;
  double seconds = 0;
};

/// Called after each stack (on the calling thread): index, count, entry.
using AuditCallback = std::function<void(std::size_t done, std::size_t total, const AuditEntry&)>;

/// Audits the stacks, each through detect_and_record (pjd/workflow.hpp), so a run is recorded
/// with its map layers as `pjd detect` records it. A stack that fails does not stop the
/// others: each is audited in a child process (at most `jobs` at once), so a crash while
/// reading one (a signal) is reported as that stack's failure. Each recorded run is one transaction, so an interrupted audit resumes where it
/// stopped when run again.
std::vector<AuditEntry> audit(const std::vector<std::filesystem::path>& stacks, const AuditOptions& options,
                              const AuditCallback& on_stack = {});

/// The entries as a table for people and scripts.
Table audit_table(const std::vector<AuditEntry>& entries);

}  // namespace pjd
