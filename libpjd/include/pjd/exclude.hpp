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
/// A symbolic link is followed: the file it points to is edited (the link stays), keeping
/// that file's permission bits. Every check comes before anything is written; refused
/// with pjd::Error (Data, naming the file): a template that is not a regular file (a FIFO,
/// a directory, a device), a link to nothing, a file that is not text (NUL bytes, an HDF5
/// file), or one of `inputs` (the stack, summary.json: files of the same run). Io when it
/// cannot be written.
TemplateEdit update_template_file(const std::filesystem::path& file, const ExclusionSet& set, bool replace,
                                  bool dry_run, const std::vector<std::filesystem::path>& inputs = {});

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
  std::vector<std::string> warnings;         ///< e.g. a dataset whose MODIFICATION_TIME could not be touched
};

/// Refuses (pjd::Error, Data, naming the file) a stack that cannot be written now: the
/// file is not a regular, non-empty HDF5 file, is read-only, or another process holds it
/// open (HDF5 file locking: open for writing, or open for reading). Writes nothing: the
/// file is never opened for writing here. `stack` is a MintPy directory or the file.
void check_stack_writable(const std::filesystem::path& stack);

/// The pairs and dropIfgram flags of a stack.
struct StackFlags {
  std::filesystem::path file;      ///< the ifgramStack.h5 file
  std::vector<std::string> pairs;  ///< YYYYMMDD_yyyymmdd, in stack order
  std::vector<bool> keep;          ///< dropIfgram (true = kept)
};

/// Reads the pairs and dropIfgram of a stack (a MintPy directory or the file), read-only.
/// Refuses (pjd::Error, Data, naming the file and the dataset) a file that is not a regular,
/// non-empty HDF5 file, a stack without dropIfgram, a dropIfgram that is not one flag per pair
/// (shape (pairs,)), and, when `boolean_only`, one that is not boolean (an h5py bool, or an
/// integer dataset holding only 0 and 1): --apply and --restore could not bring back values
/// such as 0.5, NaN or 2 bit for bit.
StackFlags read_stack_flags(const std::filesystem::path& stack, bool boolean_only);

/// Sets dropIfgram to false for `drop` (never back to true), after saving the original
/// flags once in the attribute kSavedDropAttribute; touches MODIFICATION_TIME of every
/// interferogram dataset as MintPy's modify_network does. Every check (read_stack_flags with
/// boolean_only, check_stack_writable, the saved flags, the network: refused (Data) when it
/// would be disconnected, unless `force`) is made on the file opened read-only; the file is
/// opened for writing only once they pass. The saved flags are flushed to disk (H5Fflush,
/// fsync) before dropIfgram changes, so that a process killed at any point leaves either the
/// flags unchanged or a saved copy that --restore brings back. `dry_run` checks everything
/// but writes nothing.
DropChange apply_drop(const std::filesystem::path& stack, const std::vector<std::string>& drop,
                      const std::map<std::string, double>& ramp_mm, bool force, bool dry_run);

/// Writes the saved flags back (flushed to disk), then removes the attribute, and touches
/// MODIFICATION_TIME; a restore killed between the two is finished by running it again.
/// Throws pjd::Error (Data) when nothing was saved, the saved copy is malformed or its pairs
/// do not match; the same checks as apply_drop come before any write.
DropChange restore_drop(const std::filesystem::path& stack, bool dry_run);

}  // namespace pjd
