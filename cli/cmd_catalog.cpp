// pjd catalog stacks|runs|pairs|seams|dates|history|bad-dates|compare|forget
#include <unistd.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "options.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "table_output.hpp"

namespace pjd::cli {
namespace {

struct Options {
  std::string catalog;
  std::string format = "text";
  std::string stack;
  std::int64_t run = -1;
  bool excluded = false;
  BadDateFilter filter;
  std::string platform, orbit, from, to;
  int track = 0;
  std::int64_t run_a = -1, run_b = -1;
  bool yes = false;
};

Catalog open_catalog(const Options& o, Catalog::Mode mode) {
  return Catalog::open(catalog_path_or_default(o.catalog), mode);
}

bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO))
    throw Error(ErrorKind::Usage, "", "refusing to delete without --yes (standard input is not a terminal)");
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

const Registrar reg{{"catalog", "Query the catalogue of recorded runs (stacks, runs, pairs, bad dates, history)",
                     [](CLI::App& app) -> std::function<int()> {
  auto o = std::make_shared<Options>();
  app.require_subcommand(1, 1);
  auto common = [o](CLI::App* sub) {
    add_catalog_option(*sub, o->catalog, "Catalogue file");
    add_format_option(*sub, o->format, {"text", "json", "csv"});
  };
  auto* stacks = app.add_subcommand("stacks", "Stacks known to the catalogue");
  auto* runs = app.add_subcommand("runs", "Recorded runs");
  runs->add_option("--stack", o->stack, "Only this stack (id, identity or path)");
  auto* pairs = app.add_subcommand("pairs", "Per-pair results of a run");
  pairs->add_option("--run", o->run, "Run id")->required();
  pairs->add_flag("--excluded", o->excluded, "Only excluded pairs");
  auto* seams = app.add_subcommand("seams", "Seam rows of a run");
  seams->add_option("--run", o->run, "Run id")->required();
  auto* dates = app.add_subcommand("dates", "Acquisitions excluded by a run");
  dates->add_option("--run", o->run, "Run id")->required();
  auto* history = app.add_subcommand("history", "How a stack's seams, ramps and exclusions changed from run to run");
  history->add_option("--stack", o->stack, "Stack (id, identity or path)")->required();
  auto* bad = app.add_subcommand("bad-dates", "Acquisitions excluded in any stack, with the stacks and runs that excluded them");
  bad->add_option("--platform", o->platform, "PLATFORM attribute, e.g. Sen");
  bad->add_option("--orbit", o->orbit, "asc or desc")->check(CLI::IsMember({"asc", "desc", "ascending", "descending", "ASCENDING", "DESCENDING"}));
  bad->add_option("--track", o->track, "Relative orbit (track) number");
  bad->add_option("--from", o->from, "First date, YYYYMMDD");
  bad->add_option("--to", o->to, "Last date, YYYYMMDD");
  auto* cmp = app.add_subcommand("compare", "Compare two runs pair by pair");
  cmp->add_option("RUN_A", o->run_a, "First run id")->required();
  cmp->add_option("RUN_B", o->run_b, "Second run id")->required();
  auto* forget = app.add_subcommand("forget", "Delete a run, or a stack with all its runs");
  forget->add_option("--run", o->run, "Run id");
  forget->add_option("--stack", o->stack, "Stack (id, identity or path)");
  forget->add_flag("--yes", o->yes, "Do not ask for confirmation");
  for (auto* s : {stacks, runs, pairs, seams, dates, history, bad, cmp, forget}) common(s);

  return [o, &app, stacks, runs, pairs, seams, dates, history, bad, cmp, forget]() {
    auto ro = [&] { return open_catalog(*o, Catalog::Mode::ReadOnly); };
    Table t;
    if (stacks->parsed()) {
      t = ro().stacks();
    } else if (runs->parsed()) {
      auto c = ro();
      t = c.runs(o->stack.empty() ? std::nullopt : std::optional<std::int64_t>(c.resolve_stack(o->stack)));
    } else if (pairs->parsed()) {
      t = ro().pairs(o->run, o->excluded);
    } else if (seams->parsed()) {
      t = ro().seams(o->run);
    } else if (dates->parsed()) {
      t = ro().dates(o->run);
    } else if (history->parsed()) {
      auto c = ro();
      t = c.history(c.resolve_stack(o->stack));
    } else if (bad->parsed()) {
      BadDateFilter f;
      if (!o->platform.empty()) f.platform = o->platform;
      if (!o->orbit.empty()) f.orbit = o->orbit;
      if (o->track > 0) f.track = o->track;
      if (!o->from.empty()) f.from = o->from;
      if (!o->to.empty()) f.to = o->to;
      t = ro().bad_dates(f);
    } else if (cmp->parsed()) {
      t = ro().compare(o->run_a, o->run_b);
    } else if (forget->parsed()) {
      if ((o->run >= 0) == !o->stack.empty())
        throw Error(ErrorKind::Usage, "", "catalog forget needs exactly one of --run R or --stack S");
      auto c = open_catalog(*o, Catalog::Mode::ReadWrite);
      const bool is_run = o->run >= 0;
      const std::int64_t id = is_run ? o->run : c.resolve_stack(o->stack);
      const std::string what = (is_run ? "run " : "stack ") + std::to_string(id) + (is_run ? "" : " and all its runs");
      if (!o->yes && !confirm("Delete " + what + " from " + c.file().string() + "?")) {
        std::cerr << "nothing deleted\n";
        return 1;
      }
      const int n = is_run ? c.forget_run(id) : c.forget_stack(id);
      if (n == 0) throw Error(ErrorKind::Usage, c.file().string(), "no " + std::string(is_run ? "run " : "stack ") + std::to_string(id));
      std::cout << "deleted " << what << "\n";
      return 0;
    }
    (void)app;
    print_table(std::cout, t, o->format);
    return 0;
  };
}}};

}  // namespace
}  // namespace pjd::cli
