// pjd audit ROOT... : detect every new or changed MintPy stack under the roots.
#include <iostream>

#include "command.hpp"
#include "options.hpp"
#include "pjd/audit.hpp"
#include "pjd/error.hpp"
#include "progress_display.hpp"
#include "table_output.hpp"

namespace pjd::cli {
namespace {

struct Options {
  std::vector<std::string> roots;
  DetectParamOptions params;
  std::string catalog, out_root, format = "text", progress = "auto";
  unsigned jobs = 1;
};

const Registrar reg{{"audit", "Find MintPy stacks under folders and detect those that are new or changed",
                     [](CLI::App& sub) -> std::function<int()> {
  auto o = std::make_shared<Options>();
  sub.add_option("ROOT", o->roots, "Folders to search (or stacks)")->required();
  // Every detect parameter, as pjd detect takes it (--pair aside: pairs differ between stacks).
  add_method_options(sub, o->params);
  sub.get_option("--n-burst")->description("Bursts per sub-swath (default: the stack's previous run, else its "
                                           "number_of_bursts attribute; robust estimates it)");
  add_tuning_options(sub, o->params, /*pair=*/false);
  add_catalog_option(sub, o->catalog);
  sub.add_option("--out-root", o->out_root,
                 "Also write each run's files under DIR/<stack identity>/ (default: catalogue only; archives stay untouched)");
  sub.add_option("-j,--jobs", o->jobs, "Stacks processed at once")->capture_default_str();
  add_detect_threads_option(sub, o->params, "Threads in all (0 = every core), shared by the jobs");
  add_format_option(sub, o->format, {"text", "json", "csv"}, "Summary format");
  add_progress_option(sub, o->progress);
  return [o]() {
    std::vector<std::filesystem::path> roots(o->roots.begin(), o->roots.end());
    AuditOptions a;
    a.params = to_detect_params(o->params);
    a.catalog = catalog_path_or_default(o->catalog);
    if (!o->out_root.empty()) a.out_root = o->out_root;
    a.jobs = std::max(1u, o->jobs);
    const auto stacks = find_stacks(roots);
    auto progress = make_progress(o->progress);
    std::size_t failed = 0;
    const auto entries = audit(stacks, a, [&](std::size_t done, std::size_t total, const AuditEntry& e) {
      if (e.status == "failed") {
        ++failed;
        std::cerr << "pjd audit: failed: " << e.message << "\n";
      }
      for (const auto& w : e.warnings) std::cerr << "pjd audit: warning: " << e.stack.string() << ": " << w << "\n";
      if (progress) progress(double(done) / double(std::max<std::size_t>(total, 1)), "audit");
    });
    print_table(std::cout, audit_table(entries), o->format);
    return failed ? 3 : 0;
  };
}}};

}  // namespace
}  // namespace pjd::cli
