#pragma once
// Private: reads pairs of chunked float32 datasets (uncompressed or LZF) straight from the
// file with pread, from any thread.
//
// Why not only HDF5: the serial HDF5 library runs one call at a time, so one thread reads
// for all workers; it reads whole chunks (each holding several pairs) into a block that
// the workers then fetch back from memory. Read pair by pair here, each worker gets its
// own pair straight from the page cache into buffers still in cache when it computes.
// Why the chunk index is parsed here: in HDF5 1.10 (Debian 12) the only public ways to
// learn where a chunk lies (H5Dget_chunk_info*) walk the whole chunk index on every call,
// O(chunks^2) for a stack (0.23 s per dataset of the benchmark stack); H5Dchunk_iter, a
// one-pass walk, arrives in 1.14. The version 1 B-tree that h5py and MintPy write is read
// once, and checked against HDF5's own answer. LZF chunks (h5py's filter, what MintPy
// writes) are decompressed here with liblzf, by every worker, a row of chunks at a time
// (read_group). Anything else (other filters, another index, another type)
// gives nullptr, and the caller reads through HDF5; a damaged index is an error
// for both (check_chunk_indexes, called when a Stack opens).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace pjd {

/// Checks the chunk indexes of `datasets` of `file` (each a version 1 B-tree, as h5py and
/// MintPy write them) and throws pjd::Error (Data) naming the file, the dataset and what is
/// wrong when one is damaged: a node that points back up the tree (a cycle), a depth or an
/// entry count no node can have, a node or chunk outside the file, a chunk outside the
/// dataset or listed twice, a missing chunk, a stored size that cannot be the chunk's, a
/// filter mask naming filters the dataset does not have, or two chunks, nodes or the
/// superblock sharing bytes. HDF5 must never be handed such a file: it recurses without
/// bound on a cycle and reads past its buffers on a short chunk. Indexes pjd cannot parse
/// (other layout versions) and datasets that are not chunked are not checked.
void check_chunk_indexes(const std::filesystem::path& file, const std::vector<std::string>& datasets);

class DirectReader {
 public:
  /// A reader of `datasets` (rank 3: pairs, rows, columns; float32 little-endian, chunked,
  /// no filter or only LZF, every chunk allocated, all of one shape) of `file`, or nullptr
  /// when they cannot be read directly. Throws as check_chunk_indexes() when an index is
  /// damaged. Calls HDF5: call it where HDF5 may be called.
  static std::unique_ptr<DirectReader> open(const std::filesystem::path& file,
                                            const std::vector<std::string>& datasets);
  ~DirectReader();
  DirectReader(const DirectReader&) = delete;
  DirectReader& operator=(const DirectReader&) = delete;

  /// Reads pair p of dataset d (the index in `datasets`), columns [x0, x1), into out
  /// (rows x (x1 - x0) float32). Thread-safe; `stage` is the caller's scratch. Throws a
  /// data error naming the file when the file ends early.
  void read_pair(std::size_t d, std::size_t p, std::size_t x0, std::size_t x1, float* out,
                 std::vector<float>& stage) const;
  /// True when a dataset is LZF-compressed: then read whole chunks, with read_group.
  bool compressed() const;
  /// Pairs per chunk (the first dimension of the chunks, checked equal across datasets).
  std::size_t group_pairs() const { return ds_.empty() ? 1 : ds_[0].chunk[0]; }
  /// Reads the pairs [g * group_pairs(), ...) of dataset d (at most group_pairs(), fewer at
  /// the end of the stack), columns [x0, x1), into out (pair after pair, rows x (x1 - x0)
  /// each), decompressing each chunk once. Thread-safe; `buf` and `chunk` are scratch.
  void read_group(std::size_t d, std::size_t g, std::size_t x0, std::size_t x1, float* out,
                  std::vector<char>& buf, std::vector<float>& chunk) const;
  /// Rows per band: a band is the rows [band * band_rows, ...) of one row of chunks.
  std::size_t band_rows(std::size_t d) const;
  /// Reads band `band` of pair p of dataset d, columns [x0, x1), into out (its rows x
  /// (x1 - x0); the last band may have fewer rows).
  void read_band(std::size_t d, std::size_t p, std::size_t band, std::size_t x0, std::size_t x1, float* out,
                 std::vector<float>& stage) const;

 private:
  struct Dataset {
    std::string name;
    std::size_t shape[3] = {0, 0, 0};
    std::size_t chunk[3] = {1, 1, 1};
    std::size_t grid[3] = {0, 0, 0};    ///< chunks along each dimension
    std::vector<std::uint64_t> offset;  ///< file offset of chunk (pc, rc, xc)
    bool lzf = false;
    std::vector<std::uint32_t> size;    ///< stored bytes of each chunk (LZF)
    std::vector<std::uint8_t> raw;      ///< 1: stored without the filter (LZF skipped)
  };
  DirectReader() = default;
  void read_exactly(void* buf, std::size_t bytes, std::uint64_t at) const;

  std::string file_;
  int fd_ = -1;
  std::vector<Dataset> ds_;
};

}  // namespace pjd
