#pragma once
// Detect-and-record: the one workflow behind `pjd detect`, `pjd audit` and the QGIS
// provider. It opens the catalogue, reuses the profiles of pairs seen before, detects,
// writes the outputs and figures, and records the run with its seam lines on the map.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pjd/catalog.hpp"
#include "pjd/detect.hpp"
#include "pjd/figures.hpp"
#include "pjd/progress.hpp"

namespace pjd {

/// Where a detection goes. Every part is optional: with none of them set the workflow is
/// detect() alone.
struct RecordOptions {
  std::optional<std::filesystem::path> catalog;  ///< record the run here (and reuse its profiles)
  std::optional<std::filesystem::path> out_dir;  ///< write the reference's outputs and summary.json here
  std::optional<std::string> project;            ///< label stored with the stack in the catalogue
  std::optional<int> track;                      ///< relative orbit, when the stack does not say
  bool summary_figures = false;                  ///< draw the summary figures in out_dir/figs
  bool pair_figures = false;                     ///< and one figure per pair (reads the stack again)
  FigureOptions figure_options;
};

/// What a detection produced.
struct DetectRun {
  DetectResult result;
  std::vector<std::filesystem::path> written;  ///< output files (not figures)
  std::vector<std::filesystem::path> figures;
  double figures_s = 0;                        ///< time spent drawing figures
  std::optional<std::int64_t> run_id;          ///< set when recorded in a catalogue
  std::size_t n_seam_features = 0;             ///< map features added to the catalogue's layers
  std::vector<std::string> notes;              ///< things worth telling the user (not failures)
  std::vector<std::string> warnings;           ///< parts that could not be done (the run stands)
};

/// Checks `params` against the stack (validate_params), then detects and records as
/// `options` says. Every file of out_dir (outputs, summary.json, figs/) is written into a
/// hidden sibling folder that then replaces out_dir as a whole (files there that are not
/// the previous result of the same kind, e.g. a user's or another --pair run's, are carried
/// over): a run killed at any point leaves out_dir holding the previous result or the new
/// one. The folder is replaced before the catalogue records the run, so a run in the
/// catalogue always has its summary.json in place. The run is one catalogue transaction,
/// with its seam lines on the catalogue's map layer (a geometryRadar.h5 that cannot be
/// used is a warning: the run is recorded without them).
/// With a catalogue, the stack's fingerprint (every pair's data digest) is taken before
/// detection, and only profiles of pairs whose data are unchanged are reused.
/// Throws pjd::Error.
DetectRun detect_and_record(const Stack& stack, const DetectParams& params, const RecordOptions& options,
                            const ProgressFn& progress = {});

}  // namespace pjd
