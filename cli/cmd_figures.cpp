// pjd figures RESULT [--out DIR] [--figure-format png|svg|pdf] [--plot-ind] [--stack PATH]
// Redraws a detection's figures from a result directory (summary.json).
#include <iostream>
#include <memory>

#include "command.hpp"
#include "options.hpp"
#include "pjd/error.hpp"
#include "pjd/figures.hpp"
#include "pjd/outputs.hpp"
#include "progress_display.hpp"

namespace pjd::cli {
namespace {

struct FiguresArgs {
  std::string result;
  std::string out;
  std::string format = "png";
  std::string stack;
  double scale = 1.0;
  bool plot_ind = false;
  bool no_stack = false;
  std::string progress = "auto";
};

int run(const FiguresArgs& a) {
  FigureOptions fo;
  fo.format = parse_enum<FigureFormat>(a.format);
  if (!(a.scale >= 0.25 && a.scale <= 4.0)) throw_usage("--scale must be within 0.25-4");
  fo.scale = a.scale;
  if (a.no_stack && a.plot_ind) throw_usage("--plot-ind needs the stack: drop --no-stack");
  const LoadedResult loaded = read_result_summary(a.result);
  const DetectResult& r = loaded.result;
  const std::filesystem::path out = a.out.empty() ? loaded.summary_file.parent_path() / "figs" : std::filesystem::path(a.out);

  // The stack gives the average coherence (not in summary.json) and the per-pair images.
  std::optional<Stack> stack;
  if (!a.no_stack) {
    const std::filesystem::path sp = a.stack.empty() ? loaded.stack_file : std::filesystem::path(a.stack);
    std::error_code ec;
    if (!a.stack.empty() || a.plot_ind || std::filesystem::exists(sp, ec)) {
      stack.emplace(Stack::open(sp));
    } else {
      std::cerr << "pjd figures: note: stack " << sp.string()
                << " not found: average_coherence_mask is not drawn (name the stack with --stack)\n";
    }
  }
  std::vector<float> avg;
  if (stack) {
    if (stack->length() != r.length || stack->width() != r.width)
      throw_data(stack->file().string(), "this stack (" + std::to_string(stack->length()) + " x " +
                                             std::to_string(stack->width()) + ") is not the result's (" +
                                             std::to_string(r.length) + " x " + std::to_string(r.width) + ")");
    avg = average_coherence(*stack, r.x0, r.x1);
  }
  auto written = write_summary_figures(r, avg, out, fo);
  if (a.plot_ind) {
    auto progress = make_progress(a.progress);
    auto more = write_pair_figures(*stack, r, out, fo, progress);
    written.insert(written.end(), more.begin(), more.end());
  }
  std::cout << "wrote " << written.size() << " figure(s) to " << out.string() << "\n";
  return 0;
}

const Registrar reg{
    {"figures", "Draw a detection's figures (PNG, SVG or PDF) from a pjd detect result",
     [](CLI::App& sub) {
       auto a = std::make_shared<FiguresArgs>();
       add_result_argument(sub, a->result)
           ->required();
       sub.add_option("--out", a->out, "Output directory (default: RESULT/figs)");
       add_figure_format_option(sub, a->format);
       sub.add_flag("--plot-ind", a->plot_ind, "Also one figure per pair (reads the stack)");
       sub.add_option("--stack", a->stack, "The stack, when it has moved since detection (default: as in summary.json)");
       sub.add_flag("--no-stack", a->no_stack, "Do not read the stack (no average_coherence_mask figure)");
       sub.add_option("--scale", a->scale, "Size factor for every figure (0.25-4)")->capture_default_str();
       add_progress_option(sub, a->progress, "Progress on stderr (with --plot-ind)");
       return [a]() { return run(*a); };
     }}};

}  // namespace
}  // namespace pjd::cli
