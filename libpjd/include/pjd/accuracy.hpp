#pragma once
// The accuracy benchmark (pjd bench accuracy, docs/accuracy.md) and its CI regression test:
// simulate stacks over a grid of conditions, run the detection methods in-process and
// score them against the truth with evaluate(), pooled per cell.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pjd/detect.hpp"
#include "pjd/evaluate.hpp"
#include "pjd/progress.hpp"
#include "pjd/simulate.hpp"
#include "pjd/stack.hpp"

namespace pjd {

/// One simulated cell: the conditions it changes from the baseline (the simulator's
/// "small" preset: 30 dates, 3 connections, 540 x 140, coherence 0.80, scatter 0.0015 px,
/// smear 2 rows, 6 bursts, ascending, a lake, one sub-swath).
struct AccuracyCell {
  std::string name;
  double coherence = 0.80;      ///< mean of the static coherence field
  double scatter_px = 0.0015;   ///< misregistration scatter of the good dates
  double smear_rows = 2.0;
  int bursts = 6;
  bool descending = false;
  bool water = true;
  int subswaths = 1;
  std::optional<std::size_t> width;  ///< unset: the preset's
  std::optional<int> n_dates;        ///< unset: the preset's

  /// The simulator's parameters for this cell and seed (single-threaded unless `threads`).
  SimParams sim_params(std::uint64_t seed, unsigned threads = 1) const;
  /// The cell's parameters as JSON: coherence, scatter, smear, bursts, orbit, water,
  /// subswaths, and width / n_dates when set.
  nlohmann::json params_json() const;
};

/// The benchmark grid of docs/accuracy.md (20 cells).
const std::vector<AccuracyCell>& accuracy_grid_full();
/// The small grid of the CI regression test (4 cells of 20 dates, mean coherence >= 0.65).
const std::vector<AccuracyCell>& accuracy_grid_ci();
/// "full" or "ci"; throws pjd::Error (Usage) for any other name.
const std::vector<AccuracyCell>& accuracy_grid(const std::string& name);

/// One method on one stack: its score and the wall time of detect (stack opened, detected).
struct MethodRun {
  EvalScore score;
  double wall_s = 0;
};

/// One stack (a simulated cell and seed, or a parity case) scored by each method.
struct StackAccuracy {
  std::optional<std::uint64_t> seed;  ///< unset for a parity case
  double pair_mean_coherence = NAN;   ///< mean of the truth's mean_coherence over pairs not low-coherence
  std::map<std::string, MethodRun> methods;
};

/// One method pooled over the stacks of a cell (sums of counts, ramp RMSE pooled by
/// ramp count, F1 from the pooled TP/FP/FN).
struct MethodAggregate {
  std::size_t stacks = 0;
  double seams_found_pct = 100;
  std::size_t seams_false = 0;
  double ramp_rmse_mm = NAN;         ///< NaN when no ramp was scored
  double ramp_median_bias_mm = NAN;  ///< median over stacks of each stack's median bias
  double pair_f1 = 1, pair_f1_min = NAN, pair_precision = 1, pair_recall = 1;
  std::size_t bad_dates_found = 0, bad_dates_true = 0, bad_dates_false = 0;
  double bursts_right_pct = 0;
  double wall_s = 0;  ///< mean over stacks
  // The targets for the cell.
  bool seams_ok = false, ramp_ok = false, f1_ok = false, dates_ok = false, bursts_ok = false;
  bool all_ok() const { return seams_ok && ramp_ok && f1_ok && dates_ok && bursts_ok; }
  /// Names of the targets missed, in the order seams, ramp, f1, dates, bursts.
  std::vector<std::string> missed_targets() const;
};

/// Pools `method` over stacks (each must hold the method). Throws pjd::Error (Usage) when
/// a stack lacks it or `stacks` is empty.
MethodAggregate aggregate_accuracy(const std::vector<StackAccuracy>& stacks, const std::string& method);

struct CellAccuracy {
  std::string name;                   ///< the cell's, or "parity CASE"
  nlohmann::json params;              ///< AccuracyCell::params_json(), or {"reference_args": [...]}
  double pair_mean_coherence = NAN;   ///< mean over the stacks
  std::vector<StackAccuracy> stacks;  ///< by seed
  std::map<std::string, MethodAggregate> methods;
};

/// Maps a parity case's reference_args (options of `pjd detect`, e.g. --sub-x 20 180 --pct 0.1)
/// onto detect parameters for `stack`. The CLI supplies its own option parser.
using ReferenceArgsFn = std::function<DetectParams(const std::vector<std::string>& reference_args, const Stack& stack)>;

struct AccuracyOptions {
  std::string grid = "full";  ///< "full" | "ci"
  int seeds = 3;              ///< seeds per simulated cell
  std::uint64_t first_seed = 1;
  unsigned jobs = 2;          ///< stacks in flight at once
  unsigned threads = 1;       ///< threads of each simulate / detect
  std::vector<std::string> methods = {"published", "robust"};
  std::filesystem::path work;  ///< the simulated stacks go here (created)
  bool keep = false;           ///< keep the stacks, and write each method's outputs into them
  /// The shared parity directory (cases.json and one folder per case); empty = none.
  std::filesystem::path parity;
  /// Required when a parity case has reference_args.
  ReferenceArgsFn reference_args;
  /// Fraction of stacks done; the stage names the last stack finished. Called from the workers.
  ProgressFn progress;
};

struct AccuracyRun {
  std::string grid;
  int seeds = 0;
  std::uint64_t first_seed = 1;
  std::vector<std::string> methods;
  bool parity = false;
  double elapsed_s = 0;
  std::vector<CellAccuracy> cells;  ///< grid order, then the parity cases in cases.json order
};

/// Simulates and scores every stack of the grid (and the parity cases), `jobs` at a time.
/// Throws pjd::Error: Usage for bad options, Data for a bad parity directory, Io when the work
/// directory cannot be written; the first failing stack's error otherwise.
AccuracyRun run_accuracy(const AccuracyOptions& options);

/// Scores one simulated cell and seed in `dir` (created, and removed afterwards unless keep).
StackAccuracy run_accuracy_stack(const AccuracyCell& cell, std::uint64_t seed, const std::filesystem::path& dir,
                                 const std::vector<std::string>& methods, unsigned threads = 1, bool keep = false);

nlohmann::json to_json(const MethodAggregate& a);
/// The whole run: grid, seeds, first_seed, methods, elapsed_s, cells (name, params,
/// pair_mean_coherence, stacks [seed, pair_mean_coherence, per method the evaluate JSON
/// plus wall_s], per method the aggregate with its targets).
nlohmann::json to_json(const AccuracyRun& run);

/// The table of docs/accuracy.md: one row per cell and method.
std::vector<std::string> accuracy_table_columns();
std::vector<std::vector<std::string>> accuracy_table_rows(const AccuracyRun& run);
std::string accuracy_markdown_table(const AccuracyRun& run);

/// Writes the table, the command that regenerates it and the run's size between the
/// <!-- accuracy-table:start --> and <!-- accuracy-table:end --> markers of `file`
/// (appended when the markers are missing; a new file when there is none), atomically.
void write_accuracy_markdown(const std::filesystem::path& file, const AccuracyRun& run, const std::string& command);

}  // namespace pjd
