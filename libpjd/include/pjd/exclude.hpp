#pragma once
// Handing a detection's exclusions back to MintPy:
//  - the smallbaselineApp template keys mintpy.network.excludeDate12 / excludeDate,
//    edited in place (every other line kept byte for byte);
//  - dropIfgram in inputs/ifgramStack.h5, with the original flags saved first in an
//    attribute of that dataset so that they can be restored, and MODIFICATION_TIME
//    touched as MintPy's modify_network does;
//  - a check that the pair network stays connected, naming the dates cut off and the
//    fewest excluded pairs to keep so that it does.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pjd/detect.hpp"

namespace pjd {

/// What a result asks to exclude.
struct ExclusionSet {
  std::vector<std::string> pairs;  ///< YYYYMMDD_yyyymmdd, sorted, unique
  std::vector<std::string> dates;  ///< YYYYMMDD, sorted, unique
  std::map<std::string, double> ramp_mm;  ///< ramp of each pair that has one (to prefer small ones)
};
/// result.excluded_pairs and (when `with_dates`) result.excluded_dates.
ExclusionSet exclusions_of(const DetectResult& result, bool with_dates = true);

// ---------------------------------------------------------------- template

inline constexpr const char* kExcludeDate12Key = "mintpy.network.excludeDate12";
inline constexpr const char* kExcludeDateKey = "mintpy.network.excludeDate";

struct TemplateEdit {
  std::string text;                       ///< the edited template
  bool changed = false;
  std::vector<std::string> pairs_added;   ///< entries new to excludeDate12
  std::vector<std::string> dates_added;   ///< entries new to excludeDate
  std::vector<std::string> keys_appended; ///< keys that were absent and were added at the end
  std::vector<std::string> diff;          ///< "-old" / "+new" lines
};

/// Sets both keys in template text (MintPy's read_template syntax: "key = value  # comment",
/// lines starting with #, % or ! are comments). Existing values are merged with the
/// set (union, sorted), or replaced when `replace`; "auto", "no" and "none" count as
/// empty, and an empty list is written as "auto". Each occurrence of a key is edited
/// in place, keeping its spacing and trailing comment; an absent key is appended.
/// Applying the same edit twice changes nothing the second time.
TemplateEdit edit_template(const std::string& text, const ExclusionSet& set, bool replace = false);

/// edit_template on a file (created when missing), written atomically unless `dry_run`.
/// Throws pjd::Error (Data when it cannot be read, Io when it cannot be written).
TemplateEdit update_template_file(const std::filesystem::path& file, const ExclusionSet& set, bool replace,
                                  bool dry_run);

// ---------------------------------------------------------------- network

struct NetworkCheck {
  std::size_t pairs_before = 0, pairs_after = 0;  ///< kept pairs
  std::size_t dates_before = 0, dates_after = 0;  ///< dates with a kept pair
  std::size_t components_before = 0, components_after = 0;
  /// Dates left without a kept pair: MintPy leaves them out of the time series.
  std::vector<std::string> dates_removed;
  /// Dates of the components other than the largest one after the change: their
  /// displacement is no longer tied to the rest (MintPy inverts with SVD and warns
  /// "the network is NOT fully connected").
  std::vector<std::string> dates_cut_off;
  /// Fewest excluded pairs to keep so that no component is added (fewest first, then
  /// the smallest ramps). Empty when the change does not disconnect the network.
  std::vector<std::string> pairs_to_keep;
  bool disconnects() const { return components_after > components_before; }
};

/// Checks the network of `pairs` (all pairs of a stack) kept by `kept` once `drop`
/// (names) is removed. `ramp_mm` ranks the candidates to keep (smaller first).
NetworkCheck check_network(const std::vector<std::string>& pairs, const std::vector<bool>& kept,
                           const std::vector<std::string>& drop, const std::map<std::string, double>& ramp_mm = {});

/// The stack's pairs that the set excludes: listed pairs and pairs with an excluded date.
std::vector<std::string> pairs_to_drop(const std::vector<std::string>& stack_pairs, const ExclusionSet& set);

// ---------------------------------------------------------------- dropIfgram

/// Name of the attribute of /dropIfgram holding the flags before the first --apply (JSON).
inline constexpr const char* kSavedDropAttribute = "PJD_ORIGINAL_DROPIFGRAM";

struct DropChange {
  std::filesystem::path file;
  std::vector<std::string> newly_dropped;    ///< pairs set to false now
  std::vector<std::string> already_dropped;  ///< asked for, already false
  std::vector<std::string> restored;         ///< --restore: pairs set back to true
  bool saved_original = false;               ///< the original flags were saved now
  bool changed = false;                      ///< the file was (or would be) modified
  NetworkCheck network;
};

/// Refuses (pjd::Error, Data, naming the file) a stack that cannot be written now: the
/// file is read-only, or another process holds it open (HDF5 file locking: open for
/// writing, or open for reading). `stack` is a MintPy directory or the file.
void check_stack_writable(const std::filesystem::path& stack);

/// Opens the stack for writing, refusing (pjd::Error, Data) when the file is read-only,
/// open for writing elsewhere, or open elsewhere at all (HDF5 file locking).
/// Sets dropIfgram to false for `drop` (never back to true), after saving the original
/// flags once in the attribute kSavedDropAttribute; touches MODIFICATION_TIME of every
/// interferogram dataset as MintPy's modify_network does. Refuses (Data) to disconnect
/// the network unless `force`. `dry_run` checks everything but writes nothing.
DropChange apply_drop(const std::filesystem::path& stack, const std::vector<std::string>& drop,
                      const std::map<std::string, double>& ramp_mm, bool force, bool dry_run);

/// Writes the saved flags back, removes the attribute and touches MODIFICATION_TIME.
/// Throws pjd::Error (Data) when nothing was saved or the saved pairs do not match.
DropChange restore_drop(const std::filesystem::path& stack, bool dry_run);

}  // namespace pjd
