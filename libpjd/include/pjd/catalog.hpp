#pragma once
// The catalogue: every detection recorded in one SQLite file that is also a GeoPackage.
//
// Layout: db/layout_*.sql, applied in order inside one transaction (with foreign keys off
// meanwhile and checked before the commit). Opening an older catalogue to write upgrades
// it; a newer one is refused. The map layers (pjd_seams, pjd_bursts, pjd_footprint) are
// part of the layout since layout 5. Writes use WAL and a busy timeout so that several pjd
// processes can record into one catalogue at once. Nothing is written to a file (not even
// the switch to WAL) before it is known to be a pjd catalogue this pjd can use; a file that
// is not a regular file (a FIFO, a device) is refused without being opened. Mode::ReadOnly
// (the queries) never writes, never switches the journal mode and never upgrades the file:
// an older layout is upgraded in a copy in memory.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pjd/detect.hpp"
#include "pjd/stack.hpp"

struct sqlite3;

namespace pjd {

class Catalog;
namespace detail {
::sqlite3* raw_handle(Catalog& catalog);  // test hook, see catalog_internal.hpp
}

/// The newest catalogue layout this pjd knows.
int catalog_layout_version();

/// PJD_CATALOG, else $XDG_DATA_HOME/pjd/catalog.gpkg, else ~/.local/share/pjd/catalog.gpkg.
std::filesystem::path default_catalog_path();

/// How a stack is recognised (see db/layout_0001.sql and db/layout_0006.sql).
struct StackFingerprint {
  std::string identity;     ///< stable across moves and growth
  /// Changes when pairs are added, removed or rewritten, when a dropIfgram flag changes,
  /// and when any stored byte of any pair's unwrapPhase or coherence changes.
  std::string fingerprint;
  /// The pairs (stack order) and the digest of each one's stored data (16 hex digits):
  /// a stored profile is reused only for a pair whose digest is unchanged.
  std::vector<std::string> pair_names, pair_digests;
  /// The stack file's size, modification and change times and inode when the digests
  /// were taken: the fast "unchanged" pre-check (Catalog::find_unchanged_run).
  std::string file_stat;
};
/// Reads every stored byte of the pairs' unwrapPhase and coherence once (raw, never
/// decompressed; remembered for the process while the file's stat() is unchanged).
/// Throws pjd::Error (Data) naming the file when its data cannot be read.
StackFingerprint fingerprint_stack(const Stack& stack);

/// A result table: column names, rows of JSON scalars, and optional notes for people.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;
  std::vector<std::string> notes;
};

/// A run's features for one of the catalogue's map layers (pjd_seams, pjd_bursts,
/// pjd_footprint): the field names, and per feature its values (JSON scalars, in the order
/// of `fields`) and its geometry as a GeoPackage geometry blob (EPSG:4326, with envelope).
struct MapLayerRows {
  std::string table;
  std::vector<std::string> fields;
  struct Row {
    std::vector<nlohmann::json> values;
    std::vector<unsigned char> geometry;  ///< empty: NULL
  };
  std::vector<Row> rows;
};

/// The run's features for the catalogue's map layers `layers` ("seams", "bursts",
/// "footprint"), as Catalog::record_run stores them in the run's own transaction (the field
/// "run" is set there to the new run's id). Throws pjd::Error (Data) when the geometry does
/// not fit the result. Defined in geo/overlay.cpp (with the overlay files' layers, whose
/// fields these are).
std::vector<MapLayerRows> catalog_map_layers(const DetectResult& result, const Geometry& geometry,
                                             const std::vector<std::string>& layers, double tolerance_m = 1.0);

/// Labels a user may attach to a recorded run's stack, and what else the run records.
struct RunLabels {
  std::optional<std::string> project;
  std::optional<int> track;
  std::string summary_path;
  std::size_t n_pairs_reused = 0;
  /// The run's map features (catalog_map_layers), written in the run's transaction: a run
  /// that is visible has its seam lines on the map, and a failure writing them fails the run.
  std::vector<MapLayerRows> map_layers;
};

/// Filters for the across-projects bad-dates query.
struct BadDateFilter {
  std::optional<std::string> platform;
  std::optional<std::string> orbit;  ///< "ASCENDING"/"DESCENDING" (or asc/desc)
  std::optional<int> track;
  std::optional<std::string> from;   ///< YYYYMMDD inclusive
  std::optional<std::string> to;     ///< YYYYMMDD inclusive
};

/// Checks, before any work, that a run of `stack` can be recorded as it stands: the
/// values the catalogue stores from the stack's attributes (trackNumber, TRACK,
/// relative_orbit, relativeOrbit: whole numbers 0-100000; ALOOKS, RLOOKS: 1-10000;
/// WAVELENGTH > 0) and its pairs (each once, two different days), and the labels
/// (track 1-100000). Throws pjd::Error naming the stack file and the attribute or pair
/// (Data), or the label (Usage). record_run calls it too.
void check_recordable(const Stack& stack, const RunLabels& labels = {});

class Catalog {
 public:
  enum class Mode { ReadWrite, ReadOnly };
  /// Opens (creating it when missing, in ReadWrite mode) and upgrades the catalogue.
  /// ReadOnly: reads only (works for a user without write access to the file or its
  /// directory; an older layout is read through an upgraded copy in memory).
  /// Throws pjd::Error: not a catalogue, newer layout, read-only file, disk full...
  static Catalog open(const std::filesystem::path& file, Mode mode = Mode::ReadWrite);

  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  const std::filesystem::path& file() const;
  int layout_version() const;

  /// Records a finished run, with its stack, pairs, seams, dates, in one transaction.
  /// Returns the run id. `fingerprint`: the stack's fingerprint taken before detection
  /// (the data the result was computed from); computed here when null.
  std::int64_t record_run(const Stack& stack, const DetectResult& result, const RunLabels& labels = {},
                          const StackFingerprint* fingerprint = nullptr);

  /// Stack id known for this identity, if any.
  std::optional<std::int64_t> find_stack(const std::string& identity) const;
  /// The latest run of a stack with exactly this fingerprint and method, if any.
  std::optional<std::int64_t> find_run(const std::string& fingerprint, const std::string& method) const;
  /// The latest run with this method of this stack as it is now, if any: a run recorded
  /// from this very file with its size, modification and change times and inode unchanged
  /// (no data read), else a run with the stack's fingerprint (every pair's data digested,
  /// see fingerprint_stack).
  std::optional<std::int64_t> find_unchanged_run(const Stack& stack, const std::string& method) const;
  /// The burst count of the latest run of the stack with this identity that found seams
  /// (n_burst >= 2), to hand to a new run as its --n-burst. A robust run that found no seam
  /// is recorded with n_burst 1; that is never offered (it is no burst count to force on the
  /// published method), and an earlier run's count is offered instead, if any.
  std::optional<int> previous_n_burst(const std::string& identity) const;

  /// Stored per-pair profiles of a stack for the given analysis columns and cmin, whatever
  /// the stack's data are now (to look at them; for reuse, take the overload below).
  ProfileCache load_profiles(std::int64_t stack_id, std::size_t x0, std::size_t x1, double cmin) const;
  /// The stored profiles that are still valid for the stack as `now` describes it, ready to
  /// hand to detect() for an incremental run: only pairs whose data digest is the one
  /// stored with the profile (profiles stored before layout 6 have none and are never
  /// reused); the robust segment profiles likewise.
  ProfileCache load_profiles(std::int64_t stack_id, std::size_t x0, std::size_t x1, double cmin,
                             const StackFingerprint& now) const;

  /// A recorded run as a DetectResult (parameters, stack identity, pairs, seams, dates,
  /// warnings, and the stored profiles of its pairs when present). Throws Usage for an
  /// unknown run.
  DetectResult load_result(std::int64_t run_id) const;

  // Queries (read-only).
  Table stacks() const;
  Table runs(std::optional<std::int64_t> stack_id = {}) const;
  Table pairs(std::int64_t run_id, bool excluded_only = false) const;
  Table seams(std::int64_t run_id) const;
  Table dates(std::int64_t run_id) const;
  Table history(std::int64_t stack_id) const;
  Table bad_dates(const BadDateFilter& filter) const;
  Table compare(std::int64_t run_a, std::int64_t run_b) const;

  /// Deletes a run (or a stack with all its runs) in one transaction. Returns rows deleted (0 = unknown id).
  int forget_run(std::int64_t run_id);
  int forget_stack(std::int64_t stack_id);

  /// Resolves a stack given as id, identity, or path (as recorded). Throws Usage when unknown.
  std::int64_t resolve_stack(const std::string& key) const;

  struct Impl;  ///< opaque
  friend ::sqlite3* detail::raw_handle(Catalog&);

 private:
  explicit Catalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pjd
