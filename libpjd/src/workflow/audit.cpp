#include "pjd/audit.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

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
    // The file's size, times and inode against the last run first; the data only when they differ.
    if (const auto run = catalog.find_unchanged_run(stack, o.params.method)) {
      e.status = "unchanged";
      e.run_id = *run;
      e.message = "already detected in run " + std::to_string(*run);
      return e;
    }
    const auto fp = fingerprint_stack(stack);  // remembered from find_unchanged_run: the data are read once
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

namespace {

// An entry travels from the process that audited a stack to the one that collects them.
nlohmann::json entry_to_json(const AuditEntry& e) {
  return {{"stack", e.stack.string()}, {"status", e.status}, {"message", e.message}, {"warnings", e.warnings},
          {"run_id", e.run_id ? nlohmann::json(*e.run_id) : nlohmann::json(nullptr)}, {"n_pairs", e.n_pairs},
          {"n_seams", e.n_seams}, {"n_excluded_pairs", e.n_excluded_pairs}, {"n_excluded_dates", e.n_excluded_dates},
          {"n_pairs_reused", e.n_pairs_reused}, {"n_burst", e.n_burst}, {"seconds", e.seconds}};
}
AuditEntry entry_from_json(const nlohmann::json& j) {
  AuditEntry e;
  e.stack = j.at("stack").get<std::string>();
  e.status = j.at("status").get<std::string>();
  e.message = j.at("message").get<std::string>();
  e.warnings = j.at("warnings").get<std::vector<std::string>>();
  if (!j.at("run_id").is_null()) e.run_id = j.at("run_id").get<std::int64_t>();
  e.n_pairs = j.at("n_pairs").get<std::size_t>();
  e.n_seams = j.at("n_seams").get<std::size_t>();
  e.n_excluded_pairs = j.at("n_excluded_pairs").get<std::size_t>();
  e.n_excluded_dates = j.at("n_excluded_dates").get<std::size_t>();
  e.n_pairs_reused = j.at("n_pairs_reused").get<std::size_t>();
  e.n_burst = j.at("n_burst").get<int>();
  e.seconds = j.at("seconds").get<double>();
  return e;
}

/// The entry of a stack whose process ended without one.
AuditEntry lost(const fs::path& dir, int status) {
  AuditEntry e;
  e.stack = dir;
  e.status = "failed";
  if (WIFSIGNALED(status))
    e.message = dir.string() + ": the audit of this stack crashed (signal " + std::to_string(WTERMSIG(status)) + ", " +
                strsignal(WTERMSIG(status)) + "); the other stacks were audited";
  else
    e.message = dir.string() + ": the audit of this stack ended with status " + std::to_string(WEXITSTATUS(status)) +
                " and no result";
  return e;
}

}  // namespace

std::vector<AuditEntry> audit(const std::vector<fs::path>& stacks, const AuditOptions& o, const AuditCallback& cb) {
  // Bad options are the caller's mistake, said once (not once per stack).
  check_detect_options(o.params, /*n_burst_from_stack=*/true);
  // Create (or upgrade) the catalogue once, before the workers open it concurrently.
  { Catalog::open(o.catalog); }
  const unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(std::max<std::size_t>(1, stacks.size()))));
  const unsigned cores = o.params.threads ? o.params.threads : std::max(1u, std::thread::hardware_concurrency());
  const unsigned per_job = std::max(1u, cores / jobs);
  std::vector<AuditEntry> out(stacks.size());
  // Each stack is audited in a process of its own, so that even a crash inside a library
  // (HDF5 on a file damaged in a way pjd does not check) is that stack's failure only. This
  // process only forks and collects: it runs no threads, so each child starts from a
  // consistent state; its entry comes back in a file of a private temporary directory.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir_template = (tmpdir && *tmpdir ? std::string(tmpdir) : std::string("/tmp")) + "/pjd-audit-XXXXXX";
  std::vector<char> buf(dir_template.begin(), dir_template.end());
  buf.push_back('\0');
  const char* made = mkdtemp(buf.data());
  if (!made) throw Error(ErrorKind::Io, dir_template, std::string("cannot create a temporary directory: ") + std::strerror(errno));
  const fs::path work = made;
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0, done = 0;
  auto entry_file = [&](std::size_t i) { return work / (std::to_string(i) + ".json"); };
  auto collect = [&](pid_t pid, int status) {
    const std::size_t i = running.at(pid);
    running.erase(pid);
    std::ifstream in(entry_file(i));
    bool ok = false;
    if (in && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      try {
        out[i] = entry_from_json(nlohmann::json::parse(in));
        ok = true;
      } catch (const nlohmann::json::exception&) {
      }
    }
    if (!ok) out[i] = lost(stacks[i], status);
    std::error_code ec;
    fs::remove(entry_file(i), ec);
    ++done;
    if (cb) cb(done, stacks.size(), out[i]);
  };
  while (next < stacks.size() || !running.empty()) {
    while (next < stacks.size() && running.size() < jobs) {
      const std::size_t i = next++;
      std::fflush(nullptr);
      const pid_t pid = fork();
      if (pid < 0) {
        out[i] = audit_one(stacks[i], o, per_job);  // no process to spare: here, unprotected
        ++done;
        if (cb) cb(done, stacks.size(), out[i]);
        continue;
      }
      if (pid == 0) {
        int code = 1;
        // Test hook: a crash inside a library while this stack is read (tests/python).
        if (const char* crash = std::getenv("PJD_TEST_CRASH_STACK");
            crash && *crash && stacks[i].string().find(crash) != std::string::npos)
          std::raise(SIGSEGV);
        try {
          const AuditEntry e = audit_one(stacks[i], o, per_job);
          const fs::path f = entry_file(i), part = f.string() + ".part";
          {
            std::ofstream os(part);
            os << entry_to_json(e).dump();
            if (os.flush()) code = 0;
          }
          if (code == 0 && std::rename(part.c_str(), f.c_str()) != 0) code = 1;
        } catch (...) {
          code = 1;
        }
        std::fflush(nullptr);
        _exit(code);
      }
      running.emplace(pid, i);
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (running.count(pid)) collect(pid, status);
  }
  std::error_code ec;
  fs::remove_all(work, ec);
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
