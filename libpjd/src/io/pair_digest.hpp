#pragma once
// Private: what a stack's stored data are, pair by pair, for the catalogue (which results
// may be reused, and whether a stack is unchanged).
//
// A pair's digest is a 64-bit hash of the bytes the file stores for that pair in the
// datasets detection reads (unwrapPhase and coherence; connectComponent and the others
// are never read by detect, so they are not part of it), read with HDF5 as stored:
//   - chunked without filters: each chunk read raw (H5Dread_chunk, no decompression and no
//     type conversion) and the pair's own slice of it hashed, so a pair's digest depends on
//     its own values only (and on the chunk shape);
//   - chunked with filters (LZF, gzip, ...): each chunk's compressed bytes hashed once; a pair's
//     digest is that of the chunks holding it (all pairs of a chunk change together) and of
//     its place in them;
//   - contiguous: the pair's bytes, read in the file's own type.
// The dataset's type, rows and columns (not the number of pairs: a grown stack keeps its
// old pairs' digests), layout, chunk shape and filters are part of it. Any change to a
// pair's stored data changes its digest (up to 64-bit hash collisions); the cost is
// reading the stored bytes once, never decompressing them.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pjd {

class Stack;

/// What stat() says of a file: the catalogue's fast "unchanged since" pre-check.
struct FileStat {
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  /// "size=... mtime_ns=... ctime_ns=... ino=... dev=...": equal keys = the same file,
  /// unchanged (a write changes mtime and ctime; ctime cannot be set back by a user).
  std::string key() const;
};
/// stat() of `file`; throws pjd::Error (Data) naming it when it cannot be read.
FileStat file_stat(const std::filesystem::path& file);

/// One digest per pair of the stack, in stack order (see above). Digests of a file whose
/// stat() is unchanged are remembered for the life of the process (audit asks, then
/// detect asks again). Throws pjd::Error (Data) naming the file and the dataset when the
/// stored data cannot be read.
std::vector<std::uint64_t> pair_digests(const Stack& stack);

/// A digest as 16 hexadecimal digits.
std::string digest_hex(std::uint64_t digest);

}  // namespace pjd
