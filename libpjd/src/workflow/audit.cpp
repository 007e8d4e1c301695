#include "pjd/audit.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "pjd/error.hpp"
#include "pjd/workflow.hpp"

namespace pjd {

namespace fs = std::filesystem;

std::vector<fs::path> find_stacks(const std::vector<fs::path>& roots) {
  std::set<fs::path> found;
  auto add = [&](const fs::path& dir) { found.insert(fs::weakly_canonical(dir)); };
  for (const auto& root : roots) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw Error(ErrorKind::Usage, root.string(), "no such file or directory");
    if (fs::is_regular_file(root, ec)) {
      const fs::path parent = fs::absolute(root).parent_path();
      add(parent.filename() == "inputs" ? parent.parent_path() : parent);
      continue;
    }
    if (fs::exists(root / "inputs" / "ifgramStack.h5", ec)) add(root);
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; it != end; it.increment(ec)) {
      if (ec) {
        ec.clear();
        continue;
      }
      std::error_code e2;
      if (!it->is_directory(e2)) continue;
      const auto name = it->path().filename().string();
      if (name == "inputs" || name == "pj_evaluation" || (!name.empty() && name[0] == '.')) {
        it.disable_recursion_pending();
        continue;
      }
      if (fs::exists(it->path() / "inputs" / "ifgramStack.h5", e2)) add(it->path());
    }
  }
  return {found.begin(), found.end()};
}

namespace {

AuditEntry audit_one(const fs::path& dir, const AuditOptions& o, unsigned threads) {
  const auto t0 = std::chrono::steady_clock::now();
  AuditEntry e;
  e.stack = dir;
  try {
    const Stack stack = Stack::open(dir);
    e.n_pairs = stack.n_pairs();
    Catalog catalog = Catalog::open(o.catalog);
    const auto fp = fingerprint_stack(stack);
    if (const auto run = catalog.find_run(fp.fingerprint, o.params.method)) {
      e.status = "unchanged";
      e.run_id = *run;
      e.message = "already detected in run " + std::to_string(*run);
      return e;
    }
    DetectParams p = o.params;
    p.threads = threads;
    if (p.n_burst == 0) {
      if (const auto nb = catalog.previous_n_burst(fp.identity)) p.n_burst = *nb;
    }
    if (p.n_burst == 0) {
      // The stack's own record of its burst count (pjd simulate and some processors write it).
      if (const auto nb = stack.attributes().number("number_of_bursts"); nb && *nb >= 2) p.n_burst = int(*nb);
    }
    // The robust method estimates the burst count from the seam spacing itself.
    if (p.n_burst == 0 && p.method != "robust") {
      e.status = "needs-n-burst";
      e.message = "no burst count: give --n-burst, use --method robust (estimates it), or run pjd detect on it once";
      return e;
    }
    RecordOptions ro;
    ro.catalog = o.catalog;
    if (o.out_root) ro.out_dir = *o.out_root / fp.identity;
    const DetectRun run = detect_and_record(stack, p, ro);
    const DetectResult& r = run.result;
    e.n_burst = r.params.n_burst;
    e.run_id = run.run_id;
    e.warnings = run.warnings;
    e.status = "detected";
    e.n_seams = r.seams.size();
    e.n_excluded_pairs = r.excluded_pairs.size();
    e.n_excluded_dates = r.excluded_dates.size();
    e.n_pairs_reused = r.n_pairs_reused;
  } catch (const Error& err) {
    e.status = "failed";
    e.message = err.what();
  } catch (const std::exception& err) {
    e.status = "failed";
    e.message = dir.string() + ": " + err.what();
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return e;
}

}  // namespace

std::vector<AuditEntry> audit(const std::vector<fs::path>& stacks, const AuditOptions& o, const AuditCallback& cb) {
  // Create (or upgrade) the catalogue once, before the workers open it concurrently.
  { Catalog::open(o.catalog); }
  const unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(std::max<std::size_t>(1, stacks.size()))));
  const unsigned cores = o.params.threads ? o.params.threads : std::max(1u, std::thread::hardware_concurrency());
  const unsigned per_job = std::max(1u, cores / jobs);
  std::vector<AuditEntry> out(stacks.size());
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex mu;
  auto work = [&] {
    for (std::size_t i = next++; i < stacks.size(); i = next++) {
      out[i] = audit_one(stacks[i], o, per_job);
      std::lock_guard<std::mutex> lk(mu);
      ++done;
      if (cb) cb(done, stacks.size(), out[i]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < jobs; ++j) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

Table audit_table(const std::vector<AuditEntry>& entries) {
  Table t;
  t.columns = {"stack", "status", "run", "n_burst", "n_pairs", "reused", "seams", "excluded_pairs",
               "excluded_dates", "seconds", "message"};
  std::size_t n_detected = 0, n_unchanged = 0, n_need = 0, n_failed = 0;
  for (const auto& e : entries) {
    auto opt = [](auto v, bool show) { return show ? nlohmann::json(v) : nlohmann::json(nullptr); };
    const bool ran = e.status == "detected";
    t.rows.push_back({e.stack.string(), e.status, e.run_id ? nlohmann::json(*e.run_id) : nlohmann::json(nullptr),
                      opt(e.n_burst, e.n_burst > 0), e.n_pairs, opt(e.n_pairs_reused, ran), opt(e.n_seams, ran),
                      opt(e.n_excluded_pairs, ran), opt(e.n_excluded_dates, ran),
                      std::round(e.seconds * 100) / 100, e.message});
    n_detected += ran;
    n_unchanged += e.status == "unchanged";
    n_need += e.status == "needs-n-burst";
    n_failed += e.status == "failed";
  }
  t.notes.push_back(std::to_string(entries.size()) + " stack(s): " + std::to_string(n_detected) + " detected, " +
                    std::to_string(n_unchanged) + " unchanged, " + std::to_string(n_need) + " need --n-burst, " +
                    std::to_string(n_failed) + " failed");
  return t;
}

}  // namespace pjd
