// detect_and_record: the one detect-and-record workflow (see pjd/workflow.hpp).
#include <chrono>
#include <exception>
#include <thread>

#include "pjd/error.hpp"
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

  // Summary figures are drawn on a worker from the result in memory while the numbers are
  // written and recorded (no HDF5 on the worker: the netCDF outputs use it).
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
        run.figures = write_summary_figures(result, result.avg_coherence, *options.out_dir / "figs",
                                            options.figure_options);
      } catch (...) {
        fig_err = std::current_exception();
      }
      run.figures_s = seconds_since(t_fig);
    });
  }
  try {
    if (options.out_dir) run.written = write_outputs(result, *options.out_dir);
    if (catalog) {
      if (options.out_dir)
        labels.summary_path = fs::absolute(*options.out_dir / output_names(result).summary_json).string();
      labels.n_pairs_reused = result.n_pairs_reused;
      labels.map_layers = map_layers(stack, run);
      run.run_id = catalog->record_run(stack, result, labels, fingerprint ? &*fingerprint : nullptr);
      for (const auto& layer : labels.map_layers) run.n_seam_features += layer.rows.size();
    }
  } catch (...) {
    if (worker.joinable()) worker.join();
    throw;
  }
  if (worker.joinable()) worker.join();
  if (fig_err) std::rethrow_exception(fig_err);
  if (options.pair_figures) {
    const auto t0 = std::chrono::steady_clock::now();
    auto more = write_pair_figures(stack, result, *options.out_dir / "figs", options.figure_options, progress);
    run.figures.insert(run.figures.end(), more.begin(), more.end());
    run.figures_s += seconds_since(t0);
  }
  return run;
}

}  // namespace pjd
