// The accuracy benchmark: grids of simulated cells, each stack simulated, detected and
// scored in-process, pooled per cell; JSON and the markdown table of docs/accuracy.md.
#include "pjd/accuracy.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "pjd/internal/atomic_file.hpp"
#include "pjd/error.hpp"
#include "pjd/outputs.hpp"
#include "core/json_file.hpp"

namespace pjd {
namespace fs = std::filesystem;

namespace {

AccuracyCell cell(std::string name) {
  AccuracyCell c;
  c.name = std::move(name);
  return c;
}

template <class F>
AccuracyCell cell(std::string name, F&& change) {
  AccuracyCell c = cell(std::move(name));
  change(c);
  return c;
}


/// Mean of the truth's mean_coherence over the pairs that are not low-coherence.
double pair_mean_coherence(const nlohmann::json& truth, const fs::path& file) {
  if (!truth.contains("pairs") || !truth["pairs"].is_array()) throw_data(file.string(), "has no 'pairs' list");
  double sum = 0;
  std::size_t n = 0;
  for (const auto& p : truth["pairs"]) {
    if (p.value("low_coherence", false)) continue;
    if (!p.contains("mean_coherence") || !p["mean_coherence"].is_number())
      throw_data(file.string(), "a pair has no numeric 'mean_coherence'");
    sum += p["mean_coherence"].get<double>();
    ++n;
  }
  return n ? sum / static_cast<double>(n) : NAN;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// write_outputs goes through GDAL's netCDF driver: one writer at a time.
std::mutex& outputs_mutex() {
  static std::mutex m;
  return m;
}

/// Detects with `p` on `stack`, scores against `truth`, optionally writes the outputs.
MethodRun detect_and_score(const fs::path& stack_path, const DetectParams& p, const nlohmann::json& truth,
                           const fs::path& truth_file, const std::optional<fs::path>& out_dir) {
  MethodRun run;
  const auto t0 = std::chrono::steady_clock::now();
  const Stack stack = Stack::open(stack_path);
  const DetectResult result = detect(stack, p);
  run.wall_s = seconds_since(t0);
  run.score = evaluate(truth, result, truth_file.string());
  if (out_dir) {
    std::lock_guard lock(outputs_mutex());
    write_outputs(result, *out_dir);
  }
  return run;
}

/// The stack's folder name: the cell name without spaces, commas and dots.
std::string folder_name(const std::string& cell_name, std::uint64_t seed) {
  std::string s;
  for (char ch : cell_name) {
    if (ch == ',') continue;
    s += ch == ' ' ? '_' : ch == '.' ? 'p' : ch;
  }
  return s + "_seed" + std::to_string(seed);
}

void check_methods(const std::vector<std::string>& methods) {
  if (methods.empty()) throw_usage("no method given (published, robust)");
  std::set<std::string> seen;
  for (const auto& m : methods) {
    if (m != "published" && m != "robust") throw_usage("unknown method '" + m + "' (published, robust)");
    if (!seen.insert(m).second) throw_usage("method '" + m + "' given twice");
  }
}

struct ParityCase {
  std::string name;
  int n_burst = 0;
  std::vector<std::string> reference_args;
  DetectParams params;  ///< reference_args applied (method, threads and n_burst set per run)
};

std::vector<ParityCase> read_parity_cases(const fs::path& dir) {
  const fs::path file = dir / "cases.json";
  if (!fs::exists(file)) throw_data(file.string(), "no such file (the parity directory holds cases.json)");
  // In the file's order (ordered_json), as the cases are listed.
  nlohmann::ordered_json doc;
  {
    std::ifstream in(file);
    if (!in) throw_data(file.string(), "cannot be read");
    try {
      doc = nlohmann::ordered_json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw_data(file.string(), "is not valid JSON: " + json_problem(e));
    }
  }
  if (!doc.is_object()) throw_data(file.string(), "is not a JSON object of cases");
  std::vector<ParityCase> cases;
  for (const auto& [name, spec] : doc.items()) {
    ParityCase c;
    c.name = name;
    if (!spec.contains("n_burst") || !spec["n_burst"].is_number_integer())
      throw_data(file.string(), "case '" + name + "' has no integer 'n_burst'");
    c.n_burst = spec["n_burst"].get<int>();
    if (spec.contains("reference_args")) {
      if (!spec["reference_args"].is_array()) throw_data(file.string(), "case '" + name + "': reference_args is not a list");
      for (const auto& a : spec["reference_args"]) {
        if (!a.is_string()) throw_data(file.string(), "case '" + name + "': reference_args holds a non-string");
        c.reference_args.push_back(a.get<std::string>());
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

/// Checks a case's files and applies its reference_args, before any stack is simulated.
void resolve_parity_case(ParityCase& c, const fs::path& parity, const AccuracyOptions& o) {
  const fs::path dir = parity / c.name;
  const fs::path truth_file = dir / "truth.json";
  if (!fs::exists(truth_file)) throw_data(truth_file.string(), "no such file (parity case '" + c.name + "')");
  if (c.reference_args.empty()) return;
  if (!o.reference_args)
    throw_usage("parity case '" + c.name + "' has reference_args but no parser for them was given");
  c.params = o.reference_args(c.reference_args, Stack::open(dir));
}

StackAccuracy run_parity_case(const ParityCase& c, const fs::path& parity, const AccuracyOptions& o,
                              const fs::path& work) {
  const fs::path dir = parity / c.name;
  const fs::path truth_file = dir / "truth.json";
  const auto truth = read_json_file(truth_file);
  StackAccuracy s;
  s.pair_mean_coherence = pair_mean_coherence(truth, truth_file);
  for (const auto& method : o.methods) {
    DetectParams p = c.params;
    p.method = method;
    p.threads = o.threads;
    if (method == "published") p.n_burst = c.n_burst;  // the published method needs it by hand
    std::optional<fs::path> out;
    if (o.keep) out = work / ("parity_" + c.name + "_" + method);
    s.methods[method] = detect_and_score(dir, p, truth, truth_file, out);
  }
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string fmt(double v, const char* spec) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

}  // namespace

// ---------------------------------------------------------------- grids

SimParams AccuracyCell::sim_params(std::uint64_t seed, unsigned threads) const {
  SimParams p = sim_preset("small");
  p.seed = seed;
  p.coherence_mean = coherence;
  p.misreg_sigma_px = scatter_px;
  p.smear_rows = smear_rows;
  p.n_burst = bursts;
  p.descending = descending;
  p.n_subswaths = subswaths;
  p.water = water;
  if (width) p.width = *width;
  if (n_dates) p.n_dates = *n_dates;
  p.threads = threads;
  return p;
}

nlohmann::json AccuracyCell::params_json() const {
  nlohmann::json j = {{"coherence", coherence}, {"scatter", scatter_px}, {"smear", smear_rows},
                      {"bursts", bursts},       {"orbit", descending ? "desc" : "asc"},
                      {"water", water},         {"subswaths", subswaths}};
  if (width) j["width"] = *width;
  if (n_dates) j["n_dates"] = *n_dates;
  return j;
}

const std::vector<AccuracyCell>& accuracy_grid_full() {
  static const std::vector<AccuracyCell> grid = {
      cell("baseline"),
      cell("coherence 0.6", [](auto& c) { c.coherence = 0.6; }),
      cell("coherence 0.65", [](auto& c) { c.coherence = 0.65; }),
      cell("coherence 0.7", [](auto& c) { c.coherence = 0.7; }),
      cell("coherence 0.9", [](auto& c) { c.coherence = 0.9; }),
      cell("scatter 0.001", [](auto& c) { c.scatter_px = 0.001; }),
      cell("scatter 0.003", [](auto& c) { c.scatter_px = 0.003; }),
      cell("scatter 0.005", [](auto& c) { c.scatter_px = 0.005; }),
      cell("smear 0.3", [](auto& c) { c.smear_rows = 0.3; }),
      cell("smear 1", [](auto& c) { c.smear_rows = 1.0; }),
      cell("4 bursts", [](auto& c) { c.bursts = 4; }),
      cell("10 bursts", [](auto& c) { c.bursts = 10; }),
      cell("descending", [](auto& c) { c.descending = true; }),
      cell("no water", [](auto& c) { c.water = false; }),
      cell("2 sub-swaths", [](auto& c) { c.subswaths = 2; c.width = 200; }),
      cell("3 sub-swaths", [](auto& c) { c.subswaths = 3; c.width = 240; }),
      cell("coh 0.65, smear 0.3, 10 bursts, desc",
           [](auto& c) { c.coherence = 0.65; c.smear_rows = 0.3; c.bursts = 10; c.descending = true; }),
      cell("coh 0.65, 4 bursts, 2 sub-swaths",
           [](auto& c) { c.coherence = 0.65; c.bursts = 4; c.subswaths = 2; c.width = 200; }),
      cell("coh 0.9, scatter 0.005, smear 0.3, no water, desc",
           [](auto& c) { c.coherence = 0.9; c.scatter_px = 0.005; c.smear_rows = 0.3; c.water = false; c.descending = true; }),
      cell("coh 0.7, scatter 0.003, smear 1, 3 sub-swaths",
           [](auto& c) { c.coherence = 0.7; c.scatter_px = 0.003; c.smear_rows = 1.0; c.subswaths = 3; c.width = 240; }),
  };
  return grid;
}

// CI: small and quick, one cell per hard case, all with mean coherence >= 0.65.
const std::vector<AccuracyCell>& accuracy_grid_ci() {
  static const std::vector<AccuracyCell> grid = {
      cell("ci baseline", [](auto& c) { c.n_dates = 20; }),
      cell("ci coherence 0.65, smear 0.3, desc",
           [](auto& c) { c.n_dates = 20; c.coherence = 0.65; c.smear_rows = 0.3; c.descending = true; }),
      cell("ci 10 bursts, no water", [](auto& c) { c.n_dates = 20; c.bursts = 10; c.water = false; }),
      cell("ci 2 sub-swaths", [](auto& c) { c.n_dates = 20; c.subswaths = 2; c.width = 200; }),
      cell("ci scatter 0.005", [](auto& c) { c.n_dates = 20; c.scatter_px = 0.005; }),
  };
  return grid;
}

const std::vector<AccuracyCell>& accuracy_grid(const std::string& name) {
  if (name == "full") return accuracy_grid_full();
  if (name == "ci") return accuracy_grid_ci();
  throw_usage("unknown grid '" + name + "' (full, ci)");
}

// ---------------------------------------------------------------- one stack

StackAccuracy run_accuracy_stack(const AccuracyCell& c, std::uint64_t seed, const fs::path& dir,
                                 const std::vector<std::string>& methods, unsigned threads, bool keep) {
  check_methods(methods);
  struct Cleanup {
    fs::path dir;
    bool keep;
    ~Cleanup() {
      std::error_code ec;
      if (!keep) fs::remove_all(dir, ec);
    }
  } cleanup{dir, keep};
  const SimTruth sim = simulate(dir, c.sim_params(seed, threads));
  const auto truth = read_json_file(sim.truth_file);
  StackAccuracy s;
  s.seed = seed;
  s.pair_mean_coherence = pair_mean_coherence(truth, sim.truth_file);
  for (const auto& method : methods) {
    DetectParams p;
    p.method = method;
    p.threads = threads;
    if (method == "published") p.n_burst = truth.at("n_burst").get<int>();  // needed by hand
    std::optional<fs::path> out;
    if (keep) out = dir / ("det_" + method);
    s.methods[method] = detect_and_score(dir, p, truth, sim.truth_file, out);
  }
  return s;
}

// ---------------------------------------------------------------- pooling

std::vector<std::string> MethodAggregate::missed_targets() const {
  std::vector<std::string> m;
  if (!seams_ok) m.push_back("seams");
  if (!ramp_ok) m.push_back("ramp");
  if (!f1_ok) m.push_back("f1");
  if (!dates_ok) m.push_back("dates");
  if (!bursts_ok) m.push_back("bursts");
  return m;
}

MethodAggregate aggregate_accuracy(const std::vector<StackAccuracy>& stacks, const std::string& method) {
  if (stacks.empty()) throw_usage("no stacks to pool for method '" + method + "'");
  MethodAggregate a;
  a.stacks = stacks.size();
  std::size_t seams_true = 0, seams_found = 0, n = 0, tp = 0, fp = 0, fn = 0, bursts_right = 0;
  double sq = 0, wall = 0;
  std::vector<double> biases;
  for (const auto& st : stacks) {
    const auto it = st.methods.find(method);
    if (it == st.methods.end()) throw_usage("a stack was not run with method '" + method + "'");
    const EvalScore& x = it->second.score;
    seams_true += x.seams_true;
    seams_found += x.seams_found;
    a.seams_false += x.seams_false;
    n += x.n_ramp;
    if (std::isfinite(x.ramp_rmse_mm)) sq += static_cast<double>(x.n_ramp) * x.ramp_rmse_mm * x.ramp_rmse_mm;
    if (std::isfinite(x.ramp_median_bias_mm)) biases.push_back(x.ramp_median_bias_mm);
    tp += x.tp;
    fp += x.fp;
    fn += x.fn;
    if (std::isfinite(x.f1)) a.pair_f1_min = std::isfinite(a.pair_f1_min) ? std::min(a.pair_f1_min, x.f1) : x.f1;
    a.bad_dates_true += x.bad_dates_true;
    a.bad_dates_found += x.bad_dates_found;
    a.bad_dates_false += x.bad_dates_false;
    bursts_right += x.n_burst_right ? 1 : 0;
    wall += it->second.wall_s;
  }
  const auto d = [](std::size_t v) { return static_cast<double>(v); };
  a.seams_found_pct = seams_true ? 100.0 * d(seams_found) / d(seams_true) : 100.0;
  a.ramp_rmse_mm = n ? std::sqrt(sq / d(n)) : NAN;
  a.ramp_median_bias_mm = biases.empty() ? NAN : median(biases);
  a.pair_f1 = tp + fp + fn ? 2.0 * d(tp) / d(2 * tp + fp + fn) : 1.0;
  a.pair_precision = tp + fp ? d(tp) / d(tp + fp) : 1.0;
  a.pair_recall = tp + fn ? d(tp) / d(tp + fn) : 1.0;
  a.bursts_right_pct = 100.0 * d(bursts_right) / d(stacks.size());
  a.wall_s = wall / d(stacks.size());
  a.seams_ok = seams_found == seams_true && a.seams_false == 0;
  a.ramp_ok = std::isfinite(a.ramp_rmse_mm) && a.ramp_rmse_mm <= 1.0;
  a.f1_ok = a.pair_f1 >= 0.95;
  a.dates_ok = a.bad_dates_found == a.bad_dates_true && a.bad_dates_false == 0;
  a.bursts_ok = a.bursts_right_pct >= 95.0;
  return a;
}

// ---------------------------------------------------------------- the run

AccuracyRun run_accuracy(const AccuracyOptions& o) {
  const auto& grid = accuracy_grid(o.grid);
  check_methods(o.methods);
  if (o.seeds < 1) throw_usage("--seeds must be >= 1 (got " + std::to_string(o.seeds) + ")");
  if (o.jobs < 1) throw_usage("--jobs must be >= 1");
  if (o.threads < 1) throw_usage("--threads must be >= 1");
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<ParityCase> cases;
  if (!o.parity.empty()) {
    if (!fs::is_directory(o.parity)) throw_data(o.parity.string(), "no such directory (the shared parity directory)");
    cases = read_parity_cases(o.parity);
    for (auto& c : cases) resolve_parity_case(c, o.parity, o);
  }

  // The work directory: given, or a fresh one under the system's temporary directory.
  const bool own_work = o.work.empty();
  const fs::path work = own_work ? fs::temp_directory_path() / ("pjd_accuracy_" + std::to_string(::getpid())) : o.work;
  ensure_output_directory(work);
  struct Cleanup {
    fs::path dir;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) fs::remove_all(dir, ec);
    }
  } cleanup{work, own_work && !o.keep};

  // Jobs: every (cell, seed), then every parity case.
  struct Job {
    std::size_t cell = 0;  ///< grid index, or grid.size() + parity index
    std::uint64_t seed = 0;
    std::string label;
  };
  std::vector<Job> jobs;
  for (std::size_t c = 0; c < grid.size(); ++c)
    for (int k = 0; k < o.seeds; ++k) {
      const std::uint64_t seed = o.first_seed + static_cast<std::uint64_t>(k);
      jobs.push_back({c, seed, grid[c].name + ", seed " + std::to_string(seed)});
    }
  for (std::size_t k = 0; k < cases.size(); ++k) jobs.push_back({grid.size() + k, 0, "parity " + cases[k].name});

  std::vector<StackAccuracy> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex mu;
  std::size_t done = 0;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= jobs.size() || failed) return;
      const Job& j = jobs[i];
      try {
        if (j.cell < grid.size())
          results[i] = run_accuracy_stack(grid[j.cell], j.seed, work / folder_name(grid[j.cell].name, j.seed), o.methods,
                                          o.threads, o.keep);
        else
          results[i] = run_parity_case(cases[j.cell - grid.size()], o.parity, o, work);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!error) error = std::current_exception();
        failed = true;
        return;
      }
      std::lock_guard lock(mu);
      ++done;
      report(o.progress, static_cast<double>(done) / static_cast<double>(jobs.size()), j.label);
    }
  };
  const std::size_t n_threads = std::min<std::size_t>(o.jobs, jobs.size());
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < n_threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  AccuracyRun run;
  run.grid = o.grid;
  run.seeds = o.seeds;
  run.first_seed = o.first_seed;
  run.methods = o.methods;
  run.parity = !o.parity.empty();
  auto finish = [&](CellAccuracy& c) {
    double sum = 0;
    for (const auto& s : c.stacks) sum += s.pair_mean_coherence;
    c.pair_mean_coherence = sum / static_cast<double>(c.stacks.size());
    for (const auto& m : o.methods) c.methods[m] = aggregate_accuracy(c.stacks, m);
    run.cells.push_back(std::move(c));
  };
  for (std::size_t c = 0; c < grid.size(); ++c) {
    CellAccuracy cell;
    cell.name = grid[c].name;
    cell.params = grid[c].params_json();
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i].cell == c) cell.stacks.push_back(std::move(results[i]));  // seeds ascending
    finish(cell);
  }
  for (std::size_t k = 0; k < cases.size(); ++k) {
    CellAccuracy cell;
    cell.name = "parity " + cases[k].name;
    cell.params = {{"reference_args", cases[k].reference_args}};
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i].cell == grid.size() + k) cell.stacks.push_back(std::move(results[i]));
    finish(cell);
  }
  run.elapsed_s = seconds_since(t0);
  return run;
}

// ---------------------------------------------------------------- output

nlohmann::json to_json(const MethodAggregate& a) {
  nlohmann::json targets = {{"seams", a.seams_ok}, {"ramp", a.ramp_ok}, {"f1", a.f1_ok},
                            {"dates", a.dates_ok}, {"bursts", a.bursts_ok}, {"all", a.all_ok()}};
  return {{"stacks", a.stacks},
          {"seams_found_pct", a.seams_found_pct},
          {"seams_false", a.seams_false},
          {"ramp_rmse_mm", num(a.ramp_rmse_mm)},
          {"ramp_median_bias_mm", num(a.ramp_median_bias_mm)},
          {"pair_f1", a.pair_f1},
          {"pair_f1_min", num(a.pair_f1_min)},
          {"pair_precision", a.pair_precision},
          {"pair_recall", a.pair_recall},
          {"bad_dates_found", a.bad_dates_found},
          {"bad_dates_true", a.bad_dates_true},
          {"bad_dates_false", a.bad_dates_false},
          {"bursts_right_pct", a.bursts_right_pct},
          {"wall_s", a.wall_s},
          {"targets", targets}};
}

nlohmann::json to_json(const AccuracyRun& run) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& c : run.cells) {
    nlohmann::json stacks = nlohmann::json::array();
    for (const auto& s : c.stacks) {
      nlohmann::json js = {{"seed", s.seed ? nlohmann::json(*s.seed) : nlohmann::json(nullptr)},
                           {"pair_mean_coherence", num(s.pair_mean_coherence)}};
      for (const auto& [m, r] : s.methods) {
        js[m] = to_json(r.score);
        js[m]["wall_s"] = r.wall_s;
      }
      stacks.push_back(std::move(js));
    }
    nlohmann::json jc = {{"name", c.name}, {"params", c.params}, {"pair_mean_coherence", num(c.pair_mean_coherence)},
                         {"stacks", stacks}};
    for (const auto& [m, a] : c.methods) jc[m] = to_json(a);
    cells.push_back(std::move(jc));
  }
  return {{"grid", run.grid},           {"seeds", run.seeds},         {"first_seed", run.first_seed},
          {"methods", run.methods},     {"parity", run.parity},       {"elapsed_s", run.elapsed_s},
          {"cells", cells}};
}

std::vector<std::string> accuracy_table_columns() {
  return {"cell",         "pair coh",     "method",        "seams found",
          "false seams",  "ramp RMSE mm", "ramp bias mm",  "pair F1 (P/R)",
          "bad dates found (false)",      "bursts right",  "targets"};
}

std::vector<std::vector<std::string>> accuracy_table_rows(const AccuracyRun& run) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : run.cells) {
    bool first = true;
    // The targets hold for mean coherence >= 0.65: the cell's coherence field, or for the
    // parity stacks the mean coherence of their pairs.
    const double coh = c.params.contains("coherence") && c.params["coherence"].is_number()
                           ? c.params["coherence"].get<double>()
                           : c.pair_mean_coherence;
    const std::string scope = coh >= 0.65 - 1e-9 ? "" : " (coherence < 0.65: no target)";
    for (const auto& m : run.methods) {
      const auto it = c.methods.find(m);
      if (it == c.methods.end()) continue;
      const MethodAggregate& a = it->second;
      const auto missed = a.missed_targets();
      rows.push_back({first ? c.name : "", first ? fmt(c.pair_mean_coherence, "%.2f") : "", m,
                      fmt(a.seams_found_pct, "%.0f") + "%", std::to_string(a.seams_false),
                      fmt(a.ramp_rmse_mm, "%.2f"), fmt(a.ramp_median_bias_mm, "%+.2f"),
                      fmt(a.pair_f1, "%.2f") + " (" + fmt(a.pair_precision, "%.2f") + "/" +
                          fmt(a.pair_recall, "%.2f") + ")",
                      std::to_string(a.bad_dates_found) + "/" + std::to_string(a.bad_dates_true) + " (" +
                          std::to_string(a.bad_dates_false) + ")",
                      fmt(a.bursts_right_pct, "%.0f") + "%",
                      (missed.empty() ? "all met" : "missed: " + join(missed, ", ")) + scope});
      first = false;
    }
  }
  return rows;
}

std::string accuracy_markdown_table(const AccuracyRun& run) {
  const auto cols = accuracy_table_columns();
  std::string s = "| " + join(cols, " | ") + " |\n|";
  for (std::size_t i = 0; i < cols.size(); ++i) s += "---|";
  for (const auto& r : accuracy_table_rows(run)) s += "\n| " + join(r, " | ") + " |";
  return s;
}

void write_accuracy_markdown(const fs::path& file, const AccuracyRun& run, const std::string& command) {
  const std::string start = "<!-- accuracy-table:start -->", end = "<!-- accuracy-table:end -->";
  std::ostringstream table;
  table << start << "\n\nRegenerate with:\n\n```\n"
        << command << "\n```\n\n"
        << run.cells.size() << " cells, " << run.seeds << " seeds per simulated cell, " << fmt(run.elapsed_s, "%.0f")
        << " s.\n\n"
        << accuracy_markdown_table(run) << "\n"
        << end;
  std::string text;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_io(file.string(), "cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    text = "# Accuracy\n\n" + start + "\n" + end + "\n";
  }
  const auto a = text.find(start), b = text.find(end);
  if (a != std::string::npos && b != std::string::npos && a < b)
    text = text.substr(0, a) + table.str() + text.substr(b + end.size());
  else
    text += "\n" + table.str() + "\n";
  write_file_atomically(file, text);
}

}  // namespace pjd
