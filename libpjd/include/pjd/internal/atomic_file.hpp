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

}  // namespace pjd
