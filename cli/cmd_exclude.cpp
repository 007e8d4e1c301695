// pjd exclude RESULT [--mintpy-cfg FILE] [--apply | --restore] [--dry-run] [--force] ...
// Hands a detection's excluded pairs and dates to MintPy: template keys, dropIfgram.
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "options.hpp"
#include "pjd/error.hpp"
#include "pjd/exclude.hpp"
#include "pjd/outputs.hpp"

namespace pjd::cli {
namespace {

struct ExcludeArgs {
  std::string result;
  std::string cfg;
  std::string stack;
  bool apply = false, restore = false, dry_run = false, force = false, replace = false, no_dates = false;
  std::string format = "text";
};

std::string list(const std::vector<std::string>& v, std::size_t max = 20) {
  if (v.empty()) return "none";
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size() - max) + " more)";
  return s;
}

nlohmann::json network_json(const NetworkCheck& c) {
  return {{"pairs_before", c.pairs_before},         {"pairs_after", c.pairs_after},
          {"dates_before", c.dates_before},         {"dates_after", c.dates_after},
          {"components_before", c.components_before}, {"components_after", c.components_after},
          {"disconnects", c.disconnects()},         {"dates_removed", c.dates_removed},
          {"dates_cut_off", c.dates_cut_off},       {"pairs_to_keep", c.pairs_to_keep}};
}

void print_network(const NetworkCheck& c) {
  std::cout << "network:  before " << c.pairs_before << " pairs, " << c.dates_before << " dates, "
            << c.components_before << " component(s); after " << c.pairs_after << " pairs, " << c.dates_after
            << " dates, " << c.components_after << " component(s)\n";
  if (!c.dates_removed.empty())
    std::cout << "          dates left without a pair (MintPy leaves them out): " << list(c.dates_removed) << "\n";
  if (c.disconnects()) {
    std::cout << "          DISCONNECTED: dates cut off from the main network: " << list(c.dates_cut_off) << "\n"
              << "          keep these " << c.pairs_to_keep.size()
              << " pair(s) to stay connected: " << list(c.pairs_to_keep, 50) << "\n";
  } else {
    std::cout << "          stays " << (c.components_after <= 1 ? "connected" : "as connected as before") << "\n";
  }
}

int run(const ExcludeArgs& a) {
  if (a.apply && a.restore) throw_usage("--apply and --restore exclude each other");
  if (a.restore && (!a.cfg.empty() || a.no_dates || a.replace))
    throw_usage("--restore only restores dropIfgram: drop --mintpy-cfg, --no-dates and --replace");
  if (a.result.empty() && !(a.restore && !a.stack.empty()))
    throw_usage("no RESULT given (a pjd detect output directory); --restore may name the stack with --stack instead");
  nlohmann::json j;
  const bool text = a.format == "text";

  if (a.restore) {
    std::filesystem::path stack = a.stack;
    if (stack.empty()) stack = read_result_summary(a.result).stack_file;
    const DropChange ch = restore_drop(stack, a.dry_run);
    for (const auto& w : ch.warnings) std::cerr << "pjd exclude: warning: " << w << "\n";
    j["stack"] = ch.file.string();
    j["dry_run"] = a.dry_run;
    j["restored"] = ch.restored;
    j["dropped_again"] = ch.newly_dropped;
    if (text) {
      std::cout << "stack:    " << ch.file.string() << (a.dry_run ? " (dry run: nothing written)" : "") << "\n"
                << "restore:  " << ch.restored.size() << " pair(s) kept again: " << list(ch.restored) << "\n";
      if (!ch.newly_dropped.empty())
        std::cout << "          " << ch.newly_dropped.size() << " pair(s) dropped again (as saved): "
                  << list(ch.newly_dropped) << "\n";
    } else {
      std::cout << j.dump(2) << "\n";
    }
    return 0;
  }

  const LoadedResult loaded = read_result_summary(a.result);
  const ExclusionSet set = exclusions_of(loaded.result, !a.no_dates);
  j["result"] = loaded.summary_file.string();
  j["excluded_pairs"] = set.pairs;
  j["excluded_dates"] = set.dates;
  j["dry_run"] = a.dry_run;
  if (text) {
    std::cout << "result:   " << loaded.summary_file.string() << "\n"
              << "excluded: " << set.pairs.size() << " pair(s): " << list(set.pairs) << "\n"
              << "          " << set.dates.size() << " date(s)" << (a.no_dates ? " (--no-dates)" : "") << ": "
              << list(set.dates) << "\n";
  }

  // The network check needs the stack's pairs and current dropIfgram. Nothing is written
  // before every check passed: the stack's (writable, not locked, a boolean dropIfgram),
  // the network's, the template's, and those of --apply (a dry run of it first).
  const std::filesystem::path stack_path = a.stack.empty() ? loaded.stack_file : std::filesystem::path(a.stack);
  if (a.apply && !a.dry_run) check_stack_writable(stack_path);  // refuse before any change
  std::optional<NetworkCheck> net;
  std::vector<std::string> drop;
  std::vector<std::filesystem::path> inputs{loaded.summary_file};  // files the template must not be
  {
    std::error_code ec;
    if (!a.stack.empty() || a.apply || std::filesystem::exists(stack_path, ec)) {
      const StackFlags s = read_stack_flags(stack_path, /*boolean_only=*/a.apply);
      const std::vector<std::string>& names = s.pairs;
      inputs.push_back(s.file);
      drop = pairs_to_drop(names, set);
      net = check_network(names, s.keep, drop, set.ramp_mm);
      j["stack"] = stack_path.string();
      j["pairs_to_drop"] = drop;
      j["network"] = network_json(*net);
      if (text) {
        std::cout << "stack:    " << stack_path.string() << ": " << drop.size() << " of its " << names.size()
                  << " pairs excluded (listed pairs and pairs with an excluded date)\n";
        print_network(*net);
      }
    } else if (text) {
      std::cout << "network:  not checked (stack " << stack_path.string() << " not found; name it with --stack)\n";
    }
  }
  const bool acting = !a.cfg.empty() || a.apply;
  // A dry run that would be refused says so and exits 0: it ran as asked (nothing to write);
  // the real run is the one that refuses (exit 3). What it shows is what --force would do.
  const bool would_refuse = net && net->disconnects() && !a.force && acting;
  if (acting) j["refused_without_force"] = would_refuse;
  if (would_refuse) {
    if (a.dry_run) {
      if (text) std::cout << "refuse:   without --force, this would be refused (the network would be split)\n";
    } else {
      if (!text) std::cout << j.dump(2) << "\n";
      throw_data(stack_path.string(), "excluding these pairs splits the network into " +
                                          std::to_string(net->components_after) + " parts (" +
                                          std::to_string(net->dates_cut_off.size()) +
                                          " date(s) cut off): keep the pairs listed above or give --force");
    }
  }

  if (!a.dry_run && !a.cfg.empty()) {
    // Checks only, before the first write: the template (a regular text file, not an
    // input), then --apply's own (saved flags, lock), so that a refusal leaves both as they were.
    (void)update_template_file(a.cfg, set, a.replace, /*dry_run=*/true, inputs);
    if (a.apply) (void)apply_drop(stack_path, drop, set.ramp_mm, a.force, /*dry_run=*/true);
  }
  if (!a.cfg.empty()) {
    const TemplateEdit e = update_template_file(a.cfg, set, a.replace, a.dry_run, inputs);
    j["template"] = {{"file", a.cfg},
                     {"changed", e.changed},
                     {"pairs_added", e.pairs_added},
                     {"dates_added", e.dates_added},
                     {"keys_appended", e.keys_appended},
                     {"diff", e.diff}};
    if (text) {
      std::cout << "template: " << a.cfg << ": "
                << (e.changed ? (a.dry_run ? "would change (dry run)" : "updated") : "already up to date") << "; "
                << e.pairs_added.size() << " pair(s) and " << e.dates_added.size() << " date(s) new\n";
      for (const auto& l : e.diff) std::cout << "          " << l << "\n";
    }
  }
  if (a.apply) {
    const DropChange ch = apply_drop(stack_path, drop, set.ramp_mm, a.force || (a.dry_run && would_refuse), a.dry_run);
    for (const auto& w : ch.warnings) std::cerr << "pjd exclude: warning: " << w << "\n";
    j["apply"] = {{"file", ch.file.string()},
                  {"newly_dropped", ch.newly_dropped},
                  {"already_dropped", ch.already_dropped},
                  {"saved_original", ch.saved_original},
                  {"changed", ch.changed}};
    if (text) {
      std::cout << "apply:    " << ch.file.string() << (a.dry_run ? " (dry run: nothing written)" : "") << ": "
                << ch.newly_dropped.size() << " pair(s) set dropIfgram=False";
      if (!ch.already_dropped.empty()) std::cout << ", " << ch.already_dropped.size() << " already were";
      std::cout << "\n";
      if (ch.saved_original)
        std::cout << "          original flags " << (a.dry_run ? "would be " : "") << "saved in attribute "
                  << kSavedDropAttribute << " of /dropIfgram (pjd exclude --restore brings them back)\n";
      if (ch.changed && !a.dry_run) std::cout << "          MODIFICATION_TIME updated as MintPy's modify_network does\n";
    }
  }
  if (!text) std::cout << j.dump(2) << "\n";
  return 0;
}

const Registrar reg{
    {"exclude", "Hand excluded pairs and dates to MintPy: template keys and/or dropIfgram",
     [](CLI::App& sub) {
       auto a = std::make_shared<ExcludeArgs>();
       add_result_argument(sub, a->result);
       sub.add_option("--mintpy-cfg", a->cfg,
                      "smallbaselineApp template to write mintpy.network.excludeDate12/excludeDate into");
       sub.add_flag("--apply", a->apply, "Set dropIfgram=False for the excluded pairs in ifgramStack.h5");
       sub.add_flag("--restore", a->restore, "Restore the dropIfgram flags saved by --apply");
       sub.add_flag("--dry-run", a->dry_run, "Show what would change, write nothing");
       sub.add_flag("--force", a->force, "Apply even when the pair network would be split");
       sub.add_flag("--replace", a->replace, "Replace the template values instead of adding to them");
       sub.add_flag("--no-dates", a->no_dates, "Exclude the listed pairs only, not every pair of the excluded dates");
       sub.add_option("--stack", a->stack, "The stack (default: the one named in summary.json)");
       add_format_option(sub, a->format, {"text", "json"});
       return [a]() { return run(*a); };
     }}};

}  // namespace
}  // namespace pjd::cli
