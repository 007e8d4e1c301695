// pjd audit ROOT... : detect every new or changed MintPy stack under the roots.
#include <iostream>
#include <mutex>

#include "command.hpp"
#include "pjd/audit.hpp"
#include "pjd/error.hpp"
#include "progress_display.hpp"
#include "table_output.hpp"

namespace pjd::cli {
namespace {

struct Options {
  std::vector<std::string> roots;
  int n_burst = 0;
  std::string method = "robust";
  double pct = 0.25, cmin = 0.75, pj_thr = 5.0;
  bool mask_avg_coh = false;
  std::string catalog, out_root, format = "text", progress = "auto";
  unsigned jobs = 1, threads = 0;
};

const Registrar reg{{"audit", "Find MintPy stacks under folders and detect those that are new or changed",
                     [](CLI::App& sub) -> std::function<int()> {
  auto o = std::make_shared<Options>();
  sub.add_option("ROOT", o->roots, "Folders to search (or stacks)")->required();
  sub.add_option("-n,--n-burst", o->n_burst, "Bursts per sub-swath (default: the stack's previous run)");
  sub.add_option("--method", o->method, "Detection method: published (the reference) or robust")
      ->check(CLI::IsMember({"published", "robust"}))
      ->capture_default_str();
  sub.add_option("--pct", o->pct,
                 "Percentile of valid cells per row defining reliable rows, as a fraction (0-1), as pjd detect")
      ->capture_default_str();
  sub.add_option("--cmin", o->cmin, "Minimum coherence for a cell to count (0-1], as pjd detect")->capture_default_str();
  sub.add_flag("--msk-avgCoh,--msk-avg-coh", o->mask_avg_coh,
               "Always compare valid cells per row with the average-coherence mask, as pjd detect");
  sub.add_option("--pj-thr", o->pj_thr,
                 "Accumulated phase jump (mm) at or above which a pair is excluded, as pjd detect")
      ->capture_default_str();
  sub.add_option("--catalog", o->catalog, "Catalogue (default: $PJD_CATALOG or $XDG_DATA_HOME/pjd/catalog.gpkg)");
  sub.add_option("--out-root", o->out_root,
                 "Also write each run's files under DIR/<stack identity>/ (default: catalogue only; archives stay untouched)");
  sub.add_option("-j,--jobs", o->jobs, "Stacks processed at once")->capture_default_str();
  sub.add_option("--threads", o->threads, "Threads in all (0 = every core), shared by the jobs")->capture_default_str();
  sub.add_option("--format", o->format, "Summary format")->check(CLI::IsMember({"text", "json", "csv"}))->capture_default_str();
  sub.add_option("--progress", o->progress, "Progress on stderr")
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}))
      ->capture_default_str();
  return [o]() {
    std::vector<std::filesystem::path> roots(o->roots.begin(), o->roots.end());
    const auto stacks = find_stacks(roots);
    AuditOptions a;
    a.params.n_burst = o->n_burst;
    a.params.method = o->method;
    a.params.pct = o->pct;
    a.params.cmin = o->cmin;
    a.params.mask_avg_coh = o->mask_avg_coh;
    a.params.pj_thr_mm = o->pj_thr;
    a.params.threads = o->threads;
    a.catalog = o->catalog.empty() ? default_catalog_path() : std::filesystem::path(o->catalog);
    if (!o->out_root.empty()) a.out_root = o->out_root;
    a.jobs = std::max(1u, o->jobs);
    auto progress = make_progress(o->progress);
    std::size_t failed = 0;
    const auto entries = audit(stacks, a, [&](std::size_t done, std::size_t total, const AuditEntry& e) {
      if (e.status == "failed") {
        ++failed;
        std::cerr << "pjd audit: failed: " << e.message << "\n";
      }
      if (progress) progress(double(done) / double(std::max<std::size_t>(total, 1)), "audit");
    });
    print_table(std::cout, audit_table(entries), o->format);
    return failed ? 3 : 0;
  };
}}};

}  // namespace
}  // namespace pjd::cli
