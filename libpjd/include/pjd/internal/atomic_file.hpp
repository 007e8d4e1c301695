#pragma once
// Atomic output files: write under a temporary name in the target directory, rename
// over the target on commit(). A reader never sees a half-written file, and a failed
// run (exception, crash before commit) leaves the previous file untouched.
//
// RAII: an AtomicFile (or AtomicPath) that is destroyed without commit() removes its
// temporary file. Every writer in pjd goes through one of these two classes.
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace pjd {

/// A temporary path next to `target`: "<dir>/.<name>.tmp-<host>-<pid>-<n>". Unique within
/// the process and across processes and machines; the file itself is not created. The
/// first call for a directory removes the temporaries killed runs left there: this
/// host's whose process is gone, and any untouched for a day.
std::filesystem::path temporary_path_for(const std::filesystem::path& target);

/// A text/binary file written through a std::ofstream, renamed into place on commit().
class AtomicFile {
 public:
  /// Opens the temporary file. Throws pjd::Error (Io) naming the target when the
  /// directory does not exist or is not writable.
  explicit AtomicFile(std::filesystem::path target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  std::ostream& stream() { return out_; }
  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& temporary() const { return tmp_; }

  /// Flushes, closes and renames the temporary over the target. Throws pjd::Error (Io)
  /// on a write or rename failure (the temporary is then removed).
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

/// Writes `content` to `target` atomically.
void write_file_atomically(const std::filesystem::path& target, const std::string& content);

/// For writers that create the file themselves (GDAL drivers, HDF5): hands out a
/// temporary path, renames it over the target on commit(). The writer must have
/// closed the file before commit(). Uncommitted temporaries are removed on destruction
/// (with any GDAL/netCDF side files named "<temporary>.*").
class AtomicPath {
 public:
  explicit AtomicPath(std::filesystem::path target);
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;
  ~AtomicPath();

  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& temporary() const { return tmp_; }
  /// Renames the temporary over the target. Throws pjd::Error (Io) when the writer
  /// did not produce the temporary or the rename fails.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path tmp_;
  bool committed_ = false;
};

/// Runs `writer(temporary)`, which must create and close the file at that path (e.g.
/// GDAL: Create, write, close the dataset), then renames it over `target`. On any
/// exception the temporary is removed and the exception propagates.
void write_atomically_with(const std::filesystem::path& target,
                           const std::function<void(const std::filesystem::path& temporary)>& writer);

/// Creates `dir` (and parents) if needed. Throws pjd::Error (Io) naming it when it
/// cannot be created, is not a directory or is not writable.
void ensure_output_directory(const std::filesystem::path& dir);

/// A result folder replaced as a whole: the new result is written into a hidden sibling
/// folder (temporary_path_for(target): ".<name>.tmp-<host>-<pid>-<n>"), and commit() puts
/// it in place with one rename (an empty target: rename; an existing one: Linux's
/// renameat2(RENAME_EXCHANGE), then the old folder is removed). A process killed anywhere
/// leaves `target` holding the old folder or the new one, never a mix; what it leaves
/// behind is a temporary that the next temporary_path_for() in that directory removes.
///
/// Entries of the old folder that are not the old result's (the `owned` predicate says
/// which are, by path relative to the folder) are carried over into the new folder before
/// the exchange, as hard links (directories recreated, links copied as links), so that
/// nothing pjd did not write is ever deleted or moved away: a kill before the exchange
/// leaves them where they were, a kill after it finds them in the new folder. Entries
/// under `merged_dirs` (e.g. "figs") are judged one by one; any other directory that is
/// not owned is carried whole. Temporaries ".*.tmp-*" are never carried. Refused (pjd::Error
/// Data, naming the entry, before anything is moved): a foreign entry that cannot be
/// hard-linked (another file system, a FIFO, socket or device) or whose name the new
/// result uses.
///
/// When the folder cannot be replaced as a whole (its parent is not writable, it is a mount
/// point, it is or holds the current directory, or the file system cannot exchange two
/// folders), work() is `target` itself
/// (whole() is false): the caller writes into it directly and should write the file that
/// marks the result complete last; commit(kept) then removes the owned entries the new
/// result did not write.
class AtomicDirectory {
 public:
  using Owned = std::function<bool(const std::filesystem::path& relative)>;
  /// Creates the work folder (and `target`'s parents). Throws pjd::Error (Io) naming
  /// `target` when it is not a directory or cannot be written.
  AtomicDirectory(std::filesystem::path target, Owned owned, std::vector<std::string> merged_dirs = {});
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;
  /// Removes the work folder when commit() was not reached.
  ~AtomicDirectory();

  const std::filesystem::path& target() const { return target_; }
  /// Where the new result is written.
  const std::filesystem::path& work() const { return work_; }
  /// False when the result is written into `target` itself (see above); why().
  bool whole() const { return whole_; }
  const std::string& why_not_whole() const { return why_; }

  /// Puts the new folder in place (see above). `kept` (paths relative to the folder) is
  /// used only when !whole(). Throws pjd::Error; returns warnings (e.g. an entry that
  /// appeared in the old folder during the exchange and could not be moved back).
  std::vector<std::string> commit(const std::vector<std::filesystem::path>& kept = {});

 private:
  std::filesystem::path target_;
  std::filesystem::path work_;
  Owned owned_;
  std::vector<std::string> merged_;
  bool whole_ = true;
  bool existed_ = false;
  bool committed_ = false;
  std::string why_;
};

}  // namespace pjd
