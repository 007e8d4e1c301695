// pjd simulate OUT [--size tiny|small|realistic] [overrides...] [--format text|json]
#include <iostream>
#include <optional>
#include <sstream>

#include "command.hpp"
#include "options.hpp"
#include "progress_display.hpp"
#include "pjd/simulate.hpp"

namespace pjd::cli {
namespace {

struct Options {
  std::string out;
  std::string size = "small";
  std::optional<int> n_dates, connections, n_burst, subswaths, bad_dates, lowcoh_pairs;
  std::optional<std::size_t> length, width;
  std::optional<double> smear_rows, tropo_mm, deformation_mm_yr, misreg_sigma_px, coherence;
  bool no_water = false;
  std::optional<std::uint64_t> seed;
  std::string compression = "none";
  std::string orbit = "asc";
  unsigned threads = 0;
  bool no_noise = false;
  std::string progress = "auto";
  std::string format = "text";
};

std::string join_rows(const std::vector<std::size_t>& rows) {
  std::string s;
  for (auto r : rows) s += (s.empty() ? "" : ", ") + std::to_string(r);
  return s;
}

void print_text(const SimTruth& t) {
  std::ostringstream o;
  const auto& p = t.params;
  o << "Simulated " << t.pairs.size() << " pairs (" << t.dates.size() << " dates " << t.dates.front() << " to "
    << t.dates.back() << ", " << p.connections << " connections) of " << t.length << " rows x " << t.width
    << " columns, " << (p.descending ? "descending" : "ascending") << ", compression " << name_of(p.compression)
    << ", seed " << p.seed << ", into " << t.stack_file.string() << ". " << t.n_burst << " bursts per sub-swath; seams (first row after) ";
  for (std::size_t k = 0; k < t.subswaths.size(); ++k) {
    const auto& sw = t.subswaths[k];
    o << (k ? "; " : "") << sw.name << " [columns " << sw.x0 << "-" << sw.x1 << "): " << join_rows(sw.boundary_rows);
  }
  std::size_t over5 = 0;
  for (const auto& pr : t.pairs) {
    double mx = 0;
    for (double r : pr.ramp_mm) mx = std::max(mx, r);
    over5 += mx >= 5.0 ? 1 : 0;
  }
  o << ". Bad dates:";
  for (const auto& d : t.bad_dates) o << " " << d;
  if (t.bad_dates.empty()) o << " none";
  o << "; " << over5 << " pairs with a true ramp >= 5 mm; " << t.low_coherence_pairs.size()
    << " low-coherence pairs (mean < 0.4). Truth: " << t.truth_file.string() << "\n";
  std::cout << o.str();
}

const Registrar reg{{"simulate", "Write a simulated MintPy stack with known burst-seam phase jumps, plus truth.json",
                     [](CLI::App& sub) {
                       auto o = std::make_shared<Options>();
                       sub.add_option("OUT", o->out, "Output directory (gets inputs/ and truth.json)")->required();
                       sub.add_option("--size", o->size, "Preset: tiny (12 dates x 200 x 60), small (30 x 540 x 140), realistic (300 pairs x 1500 x 800)")
                           ->check(CLI::IsMember({"tiny", "small", "realistic"}))
                           ->capture_default_str();
                       sub.add_option("--n-dates", o->n_dates, "Acquisitions (12 days apart)");
                       sub.add_option("--connections", o->connections, "Pairs per date: (i, i+k) for k = 1..K");
                       sub.add_option("--length", o->length, "Rows (azimuth)");
                       sub.add_option("--width", o->width, "Columns (range)");
                       sub.add_option("--n-burst", o->n_burst, "Bursts per sub-swath (0 = from the 1342-line burst cycle)");
                       sub.add_option("--subswaths", o->subswaths, "Merged sub-swaths side by side in range (1-3)");
                       sub.add_option("--compression", o->compression, "unwrapPhase/coherence compression")
                           ->check(CLI::IsMember(enum_names<SimCompression>()))
                           ->capture_default_str();
                       sub.add_option("--orbit", o->orbit, "Geometry")->check(CLI::IsMember({"asc", "desc"}))->capture_default_str();
                       sub.add_option("--smear-rows", o->smear_rows, "Rows over which a seam step rises 10-90 % (0 = hard step)");
                       sub.add_option("--bad-dates", o->bad_dates, "Dates misregistered by 0.010-0.012 px");
                       sub.add_option("--lowcoh-pairs", o->lowcoh_pairs, "Pairs with mean coherence < 0.4");
                       sub.add_option("--tropo-mm", o->tropo_mm, "Std of each date's turbulent delay, LOS mm (0 = off)");
                       sub.add_option("--deformation-mm-yr", o->deformation_mm_yr, "Peak LOS velocity of the bowl, mm/yr (0 = off)");
                       sub.add_flag("--no-noise", o->no_noise, "No decorrelation noise (phase or coherence)");
                       sub.add_option("--misreg-sigma-px", o->misreg_sigma_px,
                                      "Scatter (std) of the good dates' azimuth misregistration, px (default 0.0015)");
                       sub.add_option("--coherence", o->coherence,
                                      "Mean of the static coherence field, 0.4-0.95 (default 0.80; pairs lose a few "
                                      "percent more to temporal decorrelation)");
                       sub.add_flag("--no-water", o->no_water, "No lake of no-data cells");
                       sub.add_option("--seed", o->seed, "Random seed (same seed, same stack)");
                       add_threads_option(sub, o->threads, "Worker threads (0 = every core)");
                       add_progress_option(sub, o->progress);
                       add_format_option(sub, o->format, {"text", "json"}, "Summary format (json = the truth summary)");
                       return [o]() {
                         SimParams p = sim_preset(o->size);
                         if (o->n_dates) p.n_dates = *o->n_dates;
                         if (o->connections) p.connections = *o->connections;
                         if (o->length) p.length = *o->length;
                         if (o->width) p.width = *o->width;
                         if (o->n_burst) p.n_burst = *o->n_burst;
                         if (o->subswaths) p.n_subswaths = *o->subswaths;
                         if (o->smear_rows) p.smear_rows = *o->smear_rows;
                         if (o->bad_dates) p.n_bad_dates = *o->bad_dates;
                         if (o->lowcoh_pairs) p.n_lowcoh_pairs = *o->lowcoh_pairs;
                         if (o->tropo_mm) p.tropo_mm = *o->tropo_mm;
                         if (o->deformation_mm_yr) p.deformation_mm_yr = *o->deformation_mm_yr;
                         if (o->seed) p.seed = *o->seed;
                         if (o->no_noise) p.phase_noise = p.coherence_noise = false;
                         if (o->misreg_sigma_px) p.misreg_sigma_px = *o->misreg_sigma_px;
                         if (o->coherence) p.coherence_mean = *o->coherence;
                         if (o->no_water) p.water = false;
                         p.compression = parse_enum<SimCompression>(o->compression);
                         p.descending = o->orbit == "desc";
                         p.threads = o->threads;
                         const SimTruth t = simulate(o->out, p, make_progress(o->progress));
                         if (o->format == "json") {
                           auto j = to_json(t);
                           j.erase("pairs");  // the summary; truth.json holds every pair
                           j["truth_file"] = t.truth_file.string();
                           j["stack_file"] = t.stack_file.string();
                           j["geometry_file"] = t.geometry_file.string();
                           std::cout << j.dump(2) << "\n";
                         } else {
                           print_text(t);
                         }
                         return 0;
                       };
                     }}};

}  // namespace
}  // namespace pjd::cli
