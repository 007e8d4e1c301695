// pjd bench accuracy [--grid full|ci] [--seeds N] [...]: the accuracy benchmark of
// docs/accuracy.md (simulated stacks scored against their truth, both methods).
#include <iostream>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "options.hpp"
#include "pjd/accuracy.hpp"
#include "pjd/error.hpp"
#include "progress_display.hpp"
#include "table_output.hpp"

namespace pjd::cli {
namespace {

struct Options {
  std::string grid = "full";
  int seeds = 3;
  std::uint64_t first_seed = 1;
  unsigned jobs = 2;
  unsigned threads = 1;
  std::string methods = "published,robust";
  std::string parity;
  std::string markdown;
  std::string work;
  bool keep = false;
  std::string format = "text";
  std::string progress = "auto";
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

/// The command that regenerates the markdown table (from the repository's top directory).
std::string regenerate_command(const Options& o) {
  std::string c = "build/bin/pjd bench accuracy --grid " + o.grid + " --seeds " + std::to_string(o.seeds);
  if (o.first_seed != 1) c += " --first-seed " + std::to_string(o.first_seed);
  if (o.methods != "published,robust") c += " --methods " + o.methods;
  if (!o.parity.empty()) c += " --parity ../shared/parity";
  return c + " --markdown " + o.markdown;
}

void print_text(const AccuracyRun& run) {
  Table t;
  t.columns = accuracy_table_columns();
  for (const auto& r : accuracy_table_rows(run)) {
    std::vector<nlohmann::json> row(r.begin(), r.end());
    t.rows.push_back(std::move(row));
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.0f", run.elapsed_s);
  t.notes.push_back("grid " + run.grid + ": " + std::to_string(run.cells.size()) + " cells, " +
                    std::to_string(run.seeds) + " seed(s) per simulated cell from " + std::to_string(run.first_seed) +
                    ", " + elapsed + " s");
  print_table(std::cout, t, "text");
}

const Registrar reg{
    {"bench", "Benchmarks: accuracy of the detection methods on simulated stacks (docs/accuracy.md)",
     [](CLI::App& app) -> std::function<int()> {
       auto o = std::make_shared<Options>();
       app.require_subcommand(1, 1);
       auto* acc = app.add_subcommand(
           "accuracy",
           "Simulate stacks over a grid of conditions, run the detection methods and score them against the truth");
       acc->add_option("--grid", o->grid, "full: the benchmark of docs/accuracy.md; ci: the small regression grid")
           ->check(CLI::IsMember({"full", "ci"}))
           ->capture_default_str();
       acc->add_option("--seeds", o->seeds, "Seeds (simulated stacks) per cell")->capture_default_str();
       acc->add_option("--first-seed", o->first_seed, "First seed")->capture_default_str();
       acc->add_option("--jobs", o->jobs, "Stacks simulated and detected at once")->capture_default_str();
       add_threads_option(*acc, o->threads, "Threads of each stack's simulate and detect");
       acc->add_option("--methods", o->methods, "Comma-separated methods to run (published, robust)")
           ->capture_default_str();
       acc->add_option("--parity", o->parity,
                       "The shared parity directory (cases.json and one folder per case): its stacks are scored too");
       acc->add_option("--markdown", o->markdown,
                       "Write the table between the accuracy-table markers of this file (docs/accuracy.md)");
       acc->add_option("--work", o->work,
                       "Directory for the simulated stacks (default: a temporary one, removed afterwards)");
       acc->add_flag("--keep", o->keep, "Keep the simulated stacks, with each method's outputs (det_METHOD)");
       add_format_option(*acc, o->format, {"text", "json"}, "What to print on stdout: a table, or the whole run as JSON");
       add_progress_option(*acc, o->progress, "Progress on stderr (stacks done)");
       return [o, acc]() {
         if (!acc->parsed()) throw_usage("bench needs a benchmark: accuracy");
         AccuracyOptions ao;
         ao.grid = o->grid;
         ao.seeds = o->seeds;
         ao.first_seed = o->first_seed;
         ao.jobs = o->jobs;
         ao.threads = o->threads;
         ao.methods = split(o->methods, ',');
         ao.work = o->work;
         ao.keep = o->keep;
         ao.parity = o->parity;
         ao.reference_args = [](const std::vector<std::string>& args, const Stack&) {
           return detect_params_from_args(args, "reference_args");
         };
         ao.progress = make_progress(o->progress);
         const AccuracyRun run = run_accuracy(ao);
         if (!o->markdown.empty()) write_accuracy_markdown(o->markdown, run, regenerate_command(*o));
         if (o->format == "json") std::cout << to_json(run).dump(1) << "\n";
         else print_text(run);
         return 0;
       };
     }}};

}  // namespace
}  // namespace pjd::cli
