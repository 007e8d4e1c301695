// detect_and_record: the one detect-and-record workflow (see pjd/workflow.hpp).
//
// One result per folder (issue 14 item 15): everything a run writes into --out (the
// reference's files, summary.json, figs/) goes into a hidden sibling folder first, which
// then replaces OUT with one rename (pjd::AtomicDirectory: renameat2 RENAME_EXCHANGE). A
// run killed at any point leaves OUT holding the previous result or the new one. What in
// OUT is not the previous result (owned_by below: this run's output names, with or without
// the files this run does not write, and its figures in figs/) is carried over into the
// new folder, so a user's own files, another tool's, and the results of other --pair runs
// stay. Where OUT cannot be replaced as a whole (a mount point, a parent folder that is not
// writable, a file system without the exchange) it is written in place, summary.json
// removed first and written last: a run stopped midway leaves a folder without
// summary.json, which every reader refuses.
//
// Order: outputs and figures, then the folder, then the catalogue's transaction. A kill
// between the last two leaves the new result in OUT and the catalogue without the run
// (the next run records it); the other order could leave a run in the catalogue whose
// summary_path holds another result. Tests: tests/unit/workflow/test_detect_kill.cpp
// (the PJD_TEST_KILL_AT points of pjd/internal/kill_point.hpp and strace's fault injection).
#include <chrono>
#include <exception>
#include <future>
#include <set>
#include <thread>

#include "pjd/error.hpp"
#include "pjd/internal/atomic_file.hpp"
#include "pjd/internal/kill_point.hpp"
#include "pjd/outputs.hpp"
#include "pjd/overlay.hpp"
#include "pjd/workflow.hpp"

namespace pjd {

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The run's seam lines for the catalogue's map layer, when the stack has its geometry.
/// They are written in the run's own transaction (Catalog::record_run). A geometry that
/// cannot be used is a warning: the run is recorded without its lines.
std::vector<MapLayerRows> map_layers(const Stack& stack, DetectRun& run) {
  const auto geometry_file = geometry_path_for(stack);
  std::error_code ec;
  if (!fs::exists(geometry_file, ec)) return {};
  try {
    return catalog_map_layers(run.result, read_geometry(geometry_file), {"seams"});
  } catch (const Error& e) {
    run.warnings.push_back(std::string("seam lines not added to the catalogue: ") + e.what());
    return {};
  }
}

/// The entries of an output folder that are the previous result of the same kind as
/// `r` (and so are replaced by it): every name output_names() gives (also those `r` does
/// not write, e.g. maskCoh_cts.nc without the mask), and in figs/ its summary figures in
/// every format and its pair figures (a run over every pair: every abs_grad_az_*).
AtomicDirectory::Owned owned_by(const DetectResult& r) {
  const OutputNames n = output_names(r);
  std::set<std::string> top{n.intensity_nc,      n.counts_nc,         n.median_nc,
                            n.mask_counts_nc,    n.stats_txt,         n.coordinates_txt,
                            n.magnitude_txt,     n.exclude_pairs_txt, n.exclude_dates_txt,
                            n.summary_json};
  std::set<std::string> figs, exts;
  for (const FigureFormat f : {FigureFormat::Png, FigureFormat::Svg, FigureFormat::Pdf}) {
    FigureOptions o;
    o.format = f;
    for (const auto& name : summary_figure_names(r, o, true)) figs.insert(name);
    if (r.params.pair) figs.insert(pair_figure_name(*r.params.pair, o));
    exts.insert(fs::path(pair_figure_name("x", o)).extension().string());
  }
  const bool every_pair = !r.params.pair;
  return [top, figs, exts, every_pair](const fs::path& rel) {
    std::vector<std::string> parts;
    for (const auto& c : rel) parts.push_back(c.string());
    if (parts.size() == 1) return top.count(parts[0]) > 0;
    if (parts.size() != 2 || parts[0] != "figs") return false;
    const std::string& name = parts[1];
    if (figs.count(name)) return true;
    return every_pair && name.rfind("abs_grad_az_", 0) == 0 && exts.count(fs::path(name).extension().string()) > 0;
  };
}

}  // namespace

DetectRun detect_and_record(const Stack& stack, const DetectParams& params_in, const RecordOptions& options,
                            const ProgressFn& progress) {
  const DetectParams params = validate_params(stack, params_in);  // before any output is touched
  if ((options.summary_figures || options.pair_figures) && !options.out_dir)
    throw Error(ErrorKind::Usage, stack.file().string(), "figures need an output directory");

  // A stack seen before (same identity, now grown) reuses the stored per-pair profiles of
  // the pairs whose data are unchanged: only its new or rewritten pairs are read. The
  // fingerprint (every pair's data digest) is taken before detection, so the run records
  // the digests of the data its results came from.
  std::optional<Catalog> catalog;
  std::optional<StackFingerprint> fingerprint;
  ProfileCache reuse;
  RunLabels labels;
  labels.project = options.project;
  labels.track = options.track;
  if (options.catalog) {
    // What the catalogue will store is checked first: a value it cannot store is refused
    // now, naming the stack's attribute, not after every output is written.
    check_recordable(stack, labels);
    catalog.emplace(Catalog::open(*options.catalog));
    fingerprint = fingerprint_stack(stack);
    if (const auto id = catalog->find_stack(fingerprint->identity)) {
      const std::size_t x0 = params.sub_x ? params.sub_x->first : 0;
      const std::size_t x1 = params.sub_x ? params.sub_x->second : stack.width();
      reuse = catalog->load_profiles(*id, x0, x1, params.cmin, *fingerprint);
    }
  }
  DetectRun run;
  run.result = detect(stack, params, progress, reuse.empty() ? nullptr : &reuse);
  const DetectResult& result = run.result;

  // Where the files go: a new folder that replaces OUT at the end (or OUT itself).
  std::optional<AtomicDirectory> folder;
  fs::path dir;
  if (options.out_dir) {
    folder.emplace(*options.out_dir, owned_by(result), std::vector<std::string>{"figs"});
    dir = folder->work();
    if (!folder->whole()) {
      run.notes.push_back(options.out_dir->string() + " is written in place (" + folder->why_not_whole() +
                          "): a run stopped midway leaves it without " + output_names(result).summary_json);
      std::error_code ec;
      const fs::path old_summary = dir / output_names(result).summary_json;
      if (fs::exists(old_summary, ec) && !fs::remove(old_summary, ec))
        throw_io(old_summary.string(), "cannot remove the file of an earlier run: " + ec.message());
    }
  }

  // Summary figures are drawn on a worker from the result in memory while the numbers are
  // written (no HDF5 on the worker: the netCDF outputs use it).
  std::exception_ptr fig_err;
  std::thread worker;
  const auto t_fig = std::chrono::steady_clock::now();
  if (options.summary_figures) {
    if (result.avg_coherence.empty() && !params.pair)
      run.notes.push_back(
          "profiles were reused from the catalogue, so the mean coherence was not computed: "
          "average_coherence_mask is not drawn (pjd figures OUT draws it)");
    worker = std::thread([&] {
      try {
        run.figures = write_summary_figures(result, result.avg_coherence, dir / "figs", options.figure_options);
      } catch (...) {
        fig_err = std::current_exception();
      }
      run.figures_s = seconds_since(t_fig);
    });
  }
  // summary.json (every profile as JSON) is composed on another thread while the netCDF
  // files are written, and written last (it marks the result complete).
  std::future<std::string> summary;
  try {
    if (options.out_dir) {
      summary = std::async(std::launch::async, [&result] { return to_json_text(result) + "\n"; });
      run.written = write_outputs(result, dir, false);
    }
  } catch (...) {
    if (worker.joinable()) worker.join();
    throw;
  }
  if (worker.joinable()) worker.join();
  if (fig_err) std::rethrow_exception(fig_err);
  if (options.summary_figures) kill_point("figures.summary-drawn");
  if (options.pair_figures) {
    const auto t0 = std::chrono::steady_clock::now();
    auto more = write_pair_figures(stack, result, dir / "figs", options.figure_options, progress);
    run.figures.insert(run.figures.end(), more.begin(), more.end());
    run.figures_s += seconds_since(t0);
    kill_point("figures.pairs-drawn");
  }
  if (options.out_dir) {
    const std::string summary_name = output_names(result).summary_json;
    run.written.push_back(dir / summary_name);
    // The new folder replaces OUT; the paths reported are those in OUT.
    std::vector<fs::path> kept;
    auto to_out = [&](std::vector<fs::path>& paths) {
      for (auto& p : paths) {
        const fs::path rel = p.lexically_relative(dir);
        kept.push_back(rel);
        p = *options.out_dir / rel;
      }
    };
    to_out(run.written);
    to_out(run.figures);
    // summary.json last: in place, after what the old result had and this one does not
    // (its figures) is removed, so that a folder with a summary.json is one result.
    std::vector<std::string> warnings;
    if (!folder->whole()) warnings = folder->commit(kept);
    write_file_atomically(dir / summary_name, summary.get());
    if (folder->whole()) warnings = folder->commit(kept);
    for (auto& w : warnings) run.warnings.push_back(std::move(w));
  }
  if (catalog) {
    if (options.out_dir)
      labels.summary_path = fs::absolute(*options.out_dir / output_names(result).summary_json).string();
    labels.n_pairs_reused = result.n_pairs_reused;
    labels.map_layers = map_layers(stack, run);
    kill_point("catalog.recording");
    run.run_id = catalog->record_run(stack, result, labels, fingerprint ? &*fingerprint : nullptr);
    kill_point("catalog.recorded");
    for (const auto& layer : labels.map_layers) run.n_seam_features += layer.rows.size();
  }
  return run;
}

}  // namespace pjd
