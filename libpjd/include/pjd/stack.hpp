#pragma once
// Reading MintPy interferogram stacks (inputs/ifgramStack.h5) in radar coordinates.
//
// A Stack keeps the file open and reads 3-D datasets in blocks of pairs, aligned to
// the dataset's chunk depth, optionally restricted to columns [x0, x1).
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pjd {

/// One interferogram: reference and secondary dates as YYYYMMDD.
struct Pair {
  std::string ref;
  std::string sec;
  /// "YYYYMMDD_yyyymmdd", MintPy's date12 name.
  std::string name() const { return ref + "_" + sec; }
  /// Temporal baseline in days (sec - ref).
  int btemp_days() const;
};

/// Days since 1970-01-01 of a YYYYMMDD string; throws pjd::Error on a malformed date.
int days_from_yyyymmdd(const std::string& date);

/// MintPy attributes: strings, with numbers parsed on request.
class Attributes {
 public:
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  std::string get(const std::string& key, const std::string& fallback = "") const;
  /// The value parsed as a number, if present and numeric.
  std::optional<double> number(const std::string& key) const;
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

/// What a dataset is and how it is stored.
struct DatasetInfo {
  std::string name;
  std::string dtype;                 ///< "float32", "int16", "bool", "string", ...
  std::vector<std::size_t> shape;
  std::vector<std::size_t> chunk;    ///< empty when contiguous
  std::vector<std::string> filters;  ///< e.g. {"shuffle", "gzip"} or {"lzf"}
  /// "none", "gzip", "lzf", ... : the compressing filter, if any.
  std::string compression() const;
};

class Stack {
 public:
  /// Opens a MintPy directory (holding inputs/ifgramStack.h5) or the file itself.
  /// Throws pjd::Error (Data) naming the file and the problem.
  static Stack open(const std::filesystem::path& path);

  Stack(Stack&&) noexcept;
  Stack& operator=(Stack&&) noexcept;
  ~Stack();

  const std::filesystem::path& file() const;
  /// The MintPy directory: the parent of inputs/, or the file's own directory.
  const std::filesystem::path& mintpy_dir() const;

  const Attributes& attributes() const;
  std::size_t n_pairs() const;
  std::size_t length() const;  ///< rows (azimuth)
  std::size_t width() const;   ///< columns (range)
  double wavelength_m() const;
  std::string orbit_direction() const;  ///< "ASCENDING", "DESCENDING" or "" when unknown
  std::string platform() const;
  int alooks() const;  ///< 1 when the attribute is missing
  int rlooks() const;
  bool geocoded() const;  ///< Y_FIRST present

  const std::vector<Pair>& pairs() const;
  /// dropIfgram as stored: true = the pair is kept by MintPy. All true when absent.
  const std::vector<bool>& keep() const;
  /// Sorted unique acquisition dates.
  std::vector<std::string> dates() const;
  /// Index of a pair name, or nullopt.
  std::optional<std::size_t> pair_index(const std::string& name) const;

  /// Every dataset in the file, by name.
  const std::map<std::string, DatasetInfo>& datasets() const;
  bool has_dataset(const std::string& name) const;
  /// Number of pairs per chunk of a 3-D dataset (1 when contiguous).
  std::size_t chunk_depth(const std::string& dataset) const;
  /// A block size in pairs for reading `datasets` together: a multiple of the largest
  /// chunk depth, holding about `target_bytes` of float32 per block (at least one chunk).
  std::size_t block_pairs(const std::vector<std::string>& datasets, std::size_t ncols,
                          std::size_t target_bytes = 256u << 20) const;

  /// Reads pairs [p0, p1) and columns [x0, x1) of a 3-D dataset as float32 into `out`,
  /// laid out (pair, row, column). `out` must hold (p1-p0)*length*(x1-x0) floats.
  void read(const std::string& dataset, std::size_t p0, std::size_t p1, std::size_t x0,
            std::size_t x1, float* out) const;
  /// Convenience: one pair, all columns.
  std::vector<float> read_pair(const std::string& dataset, std::size_t pair) const;

 private:
  struct Impl;
  explicit Stack(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// latitude/longitude of inputs/geometryRadar.h5 (degrees), row-major (length x width).
struct Geometry {
  std::filesystem::path file;
  std::size_t length = 0;
  std::size_t width = 0;
  Attributes attributes;
  std::vector<float> latitude_deg;
  std::vector<float> longitude_deg;
};

/// Reads a geometryRadar.h5 file. Throws pjd::Error naming the file and the problem.
Geometry read_geometry(const std::filesystem::path& file);
/// geometryRadar.h5 next to a stack's ifgramStack.h5.
std::filesystem::path geometry_path_for(const Stack& stack);

}  // namespace pjd
