// pjd detect STACK --n-burst N [...]: find phase jumps at burst seams, write the
// reference's outputs and summary.json, print a summary (text or JSON).
#include <iostream>
#include <memory>

#include "command.hpp"
#include "options.hpp"
#include "pjd/error.hpp"
#include "pjd/outputs.hpp"
#include "pjd/internal/pyformat.hpp"
#include "pjd/workflow.hpp"
#include "progress_display.hpp"

namespace pjd::cli {
namespace {

struct DetectOptions {
  std::string stack_pos, stack_opt;
  DetectParamOptions params;
  std::string out;
  std::string format = "text";
  bool plot_ind = false;
  bool no_figures = false;
  std::string figure_format = "png";
  std::string progress = "auto";
  std::string catalog;
  bool no_catalog = false;
  std::string project;
  int track = 0;
};

std::string list(const std::vector<std::string>& v, std::size_t max = 12) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size() - max) + " more)";
  return s;
}

void print_text(const DetectResult& r, const std::filesystem::path& out_dir, std::size_t n_written,
                std::size_t n_figures, double figures_s) {
  auto& o = std::cout;
  o << "stack:    " << r.stack_file << "\n"
    << "          " << r.pairs.size() << " pair(s) analysed of " << r.n_pairs_stack << ", " << r.length << " rows x "
    << r.width << " columns";
  if (r.x0 != 0 || r.x1 != r.width) o << " (columns " << r.x0 << "-" << r.x1 << ")";
  o << "\n";
  const bool robust = r.params.method == "robust";
  o << "method:   " << r.params.method << ", " << r.params.n_burst << " bursts, cmin " << python_repr(r.params.cmin)
    << ", pct " << python_repr(r.params.pct) << ", threshold " << python_repr(r.params.pj_thr_mm) << " mm\n";
  if (robust) {
    o << "bursts:   " << r.n_burst_source << "\n";
    for (const auto& sw : r.subswaths)
      o << "  " << sw.name << ": columns " << sw.x0 << "-" << sw.x1 << ", " << sw.n_burst << " bursts\n";
    o << "seams:    " << r.seams.size() << " found\n";
    for (const auto& s : r.seams)
      o << "  row " << s.row << "  " << r.subswaths.at(s.subswath).name << "  significance "
        << python_round2(s.significance) << "  pairs with a 3-sigma step " << s.votes << "\n";
  } else {
    o << "rows:     reliable when valid cells > " << python_round2(r.row_count_threshold);
    if (r.avg_coh_mask_used) o << "; average-coherence mask " << (r.avg_coh_mask_auto ? "(switched on automatically)" : "on");
    o << "\n";
    o << "seams:    " << r.seams.size() << " found (" << (r.params.n_burst - 1) << " expected)\n";
    for (const auto& s : r.seams)
      o << "  row " << s.row << "  votes " << s.votes << "  median |gradient| " << python_round2(s.median_grad_mm)
        << " mm\n";
  }
  o << "skipped:  " << r.skipped_pairs.size() << " pair(s) with mean coherence < 0.4";
  if (!r.skipped_pairs.empty()) o << ": " << list(r.skipped_pairs);
  o << "\n";
  o << "excluded: " << r.excluded_pairs.size() << " pair(s) with accumulated jump >= "
    << python_repr(r.params.pj_thr_mm) << " mm";
  if (!r.excluded_pairs.empty()) o << ": " << list(r.excluded_pairs);
  o << "\n";
  if (robust) {
    o << "dates:    " << r.excluded_dates.size() << " date(s) with |misregistration| above the threshold";
    if (!r.excluded_dates.empty()) {
      o << ":";
      for (const auto& d : r.dates)
        if (d.excluded)
          o << " " << d.date << " (" << python_round2(d.misreg_px * 1000) << " +- " << python_round2(d.sigma_px * 1000)
            << " mpx)";
    }
    o << "\n";
  } else {
    o << "dates:    " << r.excluded_dates.size() << " date(s) with more than 50% of their pairs excluded";
    if (!r.excluded_dates.empty()) o << ": " << list(r.excluded_dates);
    o << "\n";
  }
  for (const auto& w : r.warnings) o << "warning:  " << w << "\n";
  o << "outputs:  " << n_written << " file(s) in " << out_dir.string() << "\n";
  if (n_figures > 0) {
    char t[32];
    std::snprintf(t, sizeof t, "%.1f", figures_s);
    o << "figures:  " << n_figures << " file(s) in " << (out_dir / "figs").string() << " (" << t << " s)\n";
  }
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<DetectOptions>();
  sub.add_option("STACK", o->stack_pos, "MintPy directory or inputs/ifgramStack.h5");
  sub.add_option("--inDir,-i,--in-dir", o->stack_opt, "Same as STACK (the reference's option)");
  add_method_options(sub, o->params);
  sub.add_option("--out", o->out, "Output directory (default: <mintpy dir>/pj_evaluation)");
  add_format_option(sub, o->format, {"text", "json"});
  add_tuning_options(sub, o->params);
  sub.add_flag("--plot-ind", o->plot_ind, "Also one figure per pair in OUT/figs (phase, |gradient|, intensity)");
  sub.add_flag("--no-figures", o->no_figures, "Write no figures (default: summary figures in OUT/figs)");
  add_figure_format_option(sub, o->figure_format);
  add_detect_threads_option(sub, o->params);
  add_progress_option(sub, o->progress);
  add_catalog_option(sub, o->catalog, "Catalogue to record the run in");
  sub.add_flag("--no-catalog", o->no_catalog, "Do not record the run in a catalogue");
  sub.add_option("--project", o->project, "Project label stored with the stack in the catalogue");
  sub.add_option("--track", o->track, "Relative orbit (track) stored with the stack, when the stack does not say");

  return [o]() {
    // Options that need no stack first (Usage, exit 2).
    if (!o->stack_pos.empty() && !o->stack_opt.empty() && o->stack_pos != o->stack_opt)
      throw_usage("give the stack once: STACK '" + o->stack_pos + "' and --inDir '" + o->stack_opt + "' differ");
    const std::string stack_path = o->stack_pos.empty() ? o->stack_opt : o->stack_pos;
    if (stack_path.empty()) throw_usage("no stack given (STACK or --inDir: a MintPy directory or ifgramStack.h5)");
    if (o->params.n_burst == 0 && o->params.method != "robust")
      throw_usage("--n-burst must be >= 2 and is required: bursts per sub-swath (e.g. ls reference/IW1/*.vrt | wc -l)");
    if (o->plot_ind && o->no_figures) throw_usage("--plot-ind and --no-figures contradict each other");
    auto progress = make_progress(o->progress);

    const Stack stack = Stack::open(stack_path);
    const DetectParams params = to_detect_params(o->params, &stack);
    RecordOptions ro;
    ro.out_dir = o->out.empty() ? default_out_dir(stack) : std::filesystem::path(o->out);
    if (!o->no_catalog) ro.catalog = catalog_path_or_default(o->catalog);
    if (!o->project.empty()) ro.project = o->project;
    if (o->track > 0) ro.track = o->track;
    ro.summary_figures = !o->no_figures;
    ro.pair_figures = o->plot_ind;
    ro.figure_options.format = parse_enum<FigureFormat>(o->figure_format);
    const DetectRun run = detect_and_record(stack, params, ro, progress);
    for (const auto& n : run.notes) std::cerr << "pjd detect: note: " << n << "\n";
    for (const auto& w : run.warnings) std::cerr << "pjd detect: warning: " << w << "\n";

    if (o->format == "json") {
      nlohmann::json extra = nlohmann::json::object();
      if (run.run_id) extra["run_id"] = *run.run_id;
      std::cout << to_json_text(run.result, extra) << "\n";
    } else {
      print_text(run.result, *ro.out_dir, run.written.size(), run.figures.size(), run.figures_s);
      if (run.run_id)
        std::cout << "catalog:  run " << *run.run_id << " recorded in " << ro.catalog->string() << " ("
                  << run.result.n_pairs_reused << " pair profile(s) reused)\n";
    }
    return 0;
  };
}

const Registrar reg{{"detect", "Find phase jumps at burst seams and list pairs and dates to exclude", setup}};

}  // namespace
}  // namespace pjd::cli
