// Per-pair digests of a stack's stored bytes (see pair_digest.hpp).
#include "io/pair_digest.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <utility>

#include "io/h5util.hpp"
#include "pjd/error.hpp"
#include "pjd/stack.hpp"

namespace pjd {

namespace fs = std::filesystem;
using h5::Handle;

namespace {

constexpr std::uint64_t kBasis = 1469598103934665603ull;
constexpr std::uint64_t kPrime = 1099511628211ull;

/// FNV-1a over 8-byte words, in four interleaved lanes (so the multiplications of one
/// lane do not wait for those of the others): a few GB/s, far faster than the file is
/// read. Each add() hashes its bytes as one piece (words across the lanes, the tail
/// word zero-padded), so a digest depends on how the bytes were cut into pieces; the
/// pieces here are fixed by the dataset's layout, which is hashed too.
class WordHash {
 public:
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    std::uint64_t w[4];
    for (; i + 32 <= n; i += 32) {
      std::memcpy(w, p + i, 32);
      for (int k = 0; k < 4; ++k) lane_[k] = (lane_[k] ^ w[k]) * kPrime;
    }
    for (; i + 8 <= n; i += 8) {
      std::memcpy(w, p + i, 8);
      lane_[0] = (lane_[0] ^ w[0]) * kPrime;
    }
    if (i < n) {
      w[0] = 0;
      std::memcpy(w, p + i, n - i);
      lane_[1] = (lane_[1] ^ w[0]) * kPrime;
    }
    bytes_ += n;
    lane_[2] = (lane_[2] ^ n) * kPrime;  // the piece's length: cuts are part of the digest
  }
  void add_word(std::uint64_t v) { add(&v, sizeof v); }
  void add(const std::string& s) {
    add(s.data(), s.size());
    add_word(0x1f);
  }
  std::uint64_t final() const {
    std::uint64_t h = kBasis;
    for (const std::uint64_t l : lane_) h = (h ^ l) * kPrime;
    h = (h ^ bytes_) * kPrime;
    // A final mix (SplitMix64's), so that every input bit reaches every output bit.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
  }

 private:
  std::uint64_t lane_[4] = {kBasis, kBasis ^ 1, kBasis ^ 2, kBasis ^ 3};
  std::uint64_t bytes_ = 0;
};

[[noreturn]] void fail(const std::string& file, const std::string& dataset, const std::string& problem) {
  throw_data(file, "dataset '" + dataset + "': " + problem);
}

/// Adds each pair's stored bytes of one dataset to `pairs` (one hash per pair).
void digest_dataset(hid_t fid, const std::string& file, const std::string& name, std::size_t n_pairs,
                    std::vector<WordHash>& pairs) {
  Handle d(H5Dopen2(fid, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) fail(file, name, "cannot open it");
  Handle type(H5Dget_type(d));
  Handle space(H5Dget_space(d));
  Handle dcpl(H5Dget_create_plist(d));
  if (!type.valid() || !space.valid() || !dcpl.valid()) fail(file, name, "cannot read its description");
  const std::size_t es = H5Tget_size(type);
  hsize_t dims[3] = {0, 0, 0};
  if (H5Sget_simple_extent_ndims(space) != 3 || H5Sget_simple_extent_dims(space, dims, nullptr) != 3)
    fail(file, name, "is not 3-D (pairs, rows, columns)");
  if (dims[0] != n_pairs) fail(file, name, "has " + std::to_string(dims[0]) + " pairs, 'date' has " + std::to_string(n_pairs));
  if (es == 0) fail(file, name, "has an element size of 0");

  // What the bytes mean: type, plane shape, layout, filters.
  WordHash head;
  head.add(name);
  head.add_word(static_cast<std::uint64_t>(H5Tget_class(type)));
  head.add_word(es);
  head.add_word(static_cast<std::uint64_t>(H5Tget_order(type)));
  head.add_word(dims[1]);  // rows and columns, not the number of pairs: a grown stack keeps
  head.add_word(dims[2]);  // the digests of its old pairs
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  head.add_word(static_cast<std::uint64_t>(layout));
  const int n_filters = layout == H5D_CHUNKED ? H5Pget_nfilters(dcpl) : 0;
  for (int f = 0; f < n_filters; ++f) {
    unsigned flags = 0;
    std::size_t nelem = 0;
    head.add_word(static_cast<std::uint64_t>(H5Pget_filter2(dcpl, static_cast<unsigned>(f), &flags, &nelem, nullptr,
                                                            0, nullptr, nullptr)));
  }

  const std::size_t plane = static_cast<std::size_t>(dims[1] * dims[2]) * es;
  std::vector<unsigned char> buf;
  if (layout != H5D_CHUNKED) {
    // Contiguous (or compact): the pair's bytes in the file's own type (no conversion).
    head.add_word(0);
    const std::uint64_t h = head.final();
    buf.resize(plane);
    for (std::size_t p = 0; p < n_pairs; ++p) {
      const hsize_t start[3] = {p, 0, 0}, count[3] = {1, dims[1], dims[2]};
      Handle fspace(H5Scopy(space));
      Handle mspace(H5Screate_simple(3, count, nullptr));
      if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
          H5Dread(d, type, mspace, fspace, H5P_DEFAULT, buf.data()) < 0)
        fail(file, name, "cannot read pair " + std::to_string(p) + " (truncated file?)");
      pairs[p].add_word(h);
      pairs[p].add(buf.data(), buf.size());
    }
    return;
  }

  hsize_t chunk[3] = {1, 1, 1};
  if (H5Pget_chunk(dcpl, 3, chunk) != 3 || chunk[0] == 0 || chunk[1] == 0 || chunk[2] == 0)
    fail(file, name, "has no valid chunk shape");
  for (const hsize_t v : chunk) head.add_word(v);
  const std::uint64_t h = head.final();
  const std::size_t slice = static_cast<std::size_t>(chunk[1] * chunk[2]) * es;  // one pair of one chunk
  const std::size_t chunk_bytes = slice * chunk[0];
  const hsize_t grid[3] = {(dims[0] + chunk[0] - 1) / chunk[0], (dims[1] + chunk[1] - 1) / chunk[1],
                           (dims[2] + chunk[2] - 1) / chunk[2]};
  for (hsize_t pc = 0; pc < grid[0]; ++pc) {
    const std::size_t p0 = static_cast<std::size_t>(pc * chunk[0]);
    const std::size_t p1 = std::min<std::size_t>(n_pairs, p0 + chunk[0]);
    for (std::size_t p = p0; p < p1; ++p) pairs[p].add_word(h);
    for (hsize_t rc = 0; rc < grid[1]; ++rc)
      for (hsize_t xc = 0; xc < grid[2]; ++xc) {
        const hsize_t offset[3] = {pc * chunk[0], rc * chunk[1], xc * chunk[2]};
        const std::string where = "chunk (" + std::to_string(offset[0]) + ", " + std::to_string(offset[1]) + ", " +
                                  std::to_string(offset[2]) + ")";
        hsize_t stored = 0;
        if (H5Dget_chunk_storage_size(d, offset, &stored) < 0) fail(file, name, "cannot find " + where);
        if (stored == 0) fail(file, name, where + " is not stored (a missing chunk)");
        if (stored > (hsize_t(1) << 32)) fail(file, name, where + " has an impossible stored size");
        buf.resize(static_cast<std::size_t>(stored));
        std::uint32_t mask = 0;
        if (H5Dread_chunk(d, H5P_DEFAULT, offset, &mask, buf.data()) < 0)
          fail(file, name, "cannot read " + where + " (truncated file?)");
        if (n_filters == 0 && mask == 0 && buf.size() == chunk_bytes) {
          // Stored as the values are: each pair hashes its own slice.
          for (std::size_t p = p0; p < p1; ++p) pairs[p].add(buf.data() + (p - p0) * slice, slice);
        } else {
          // Compressed: the chunk as a whole, for every pair in it, with the pair's place.
          WordHash c;
          c.add_word(mask);
          c.add(buf.data(), buf.size());
          const std::uint64_t ch = c.final();
          for (std::size_t p = p0; p < p1; ++p) {
            pairs[p].add_word(ch);
            pairs[p].add_word(p - p0);
          }
        }
      }
  }
}

std::vector<std::uint64_t> compute(const Stack& stack) {
  h5::init_library();
  const std::string file = stack.file().string();
  Handle fid(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!fid.valid()) throw_data(file, "cannot open as HDF5 to check its data");
  const std::size_t n = stack.n_pairs();
  std::vector<WordHash> pairs(n);
  for (const char* name : {"unwrapPhase", "coherence"}) {
    if (!stack.has_dataset(name)) {
      for (auto& p : pairs) p.add(std::string("no ") + name);
      continue;
    }
    digest_dataset(fid, file, name, n, pairs);
  }
  std::vector<std::uint64_t> out(n);
  for (std::size_t p = 0; p < n; ++p) out[p] = pairs[p].final();
  return out;
}

/// Digests of the last few files, by path and stat key.
struct Cache {
  std::mutex mu;
  std::list<std::pair<std::string, std::vector<std::uint64_t>>> entries;  // most recent first
};
Cache& cache() {
  static Cache c;
  return c;
}

std::int64_t ns_of(const struct timespec& t) { return std::int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }

}  // namespace

std::string FileStat::key() const {
  return "size=" + std::to_string(size) + " mtime_ns=" + std::to_string(mtime_ns) + " ctime_ns=" +
         std::to_string(ctime_ns) + " ino=" + std::to_string(ino) + " dev=" + std::to_string(dev);
}

FileStat file_stat(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw_data(file.string(), std::string("cannot stat: ") + std::strerror(errno));
  FileStat s;
  s.dev = static_cast<std::uint64_t>(st.st_dev);
  s.ino = static_cast<std::uint64_t>(st.st_ino);
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = ns_of(st.st_mtim);
  s.ctime_ns = ns_of(st.st_ctim);
  return s;
}

std::vector<std::uint64_t> pair_digests(const Stack& stack) {
  std::error_code ec;
  const fs::path canon = fs::weakly_canonical(fs::absolute(stack.file(), ec), ec);
  const std::string before = file_stat(stack.file()).key();
  const std::string key = canon.string() + "\n" + before + "\n" + std::to_string(stack.n_pairs());
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lk(c.mu);
    for (auto it = c.entries.begin(); it != c.entries.end(); ++it)
      if (it->first == key) {
        c.entries.splice(c.entries.begin(), c.entries, it);
        return it->second;
      }
  }
  auto digests = compute(stack);
  // Remembered only when the file did not change while it was read.
  if (file_stat(stack.file()).key() == before) {
    std::lock_guard<std::mutex> lk(c.mu);
    c.entries.emplace_front(key, digests);
    while (c.entries.size() > 16) c.entries.pop_back();
  }
  return digests;
}

std::string digest_hex(std::uint64_t digest) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(digest));
  return buf;
}

}  // namespace pjd
