#include "io/direct_read.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <stdexcept>

extern "C" {
#include <liblzf/lzf.h>
}

#include "io/h5util.hpp"
#include "pjd/error.hpp"

namespace pjd {

namespace {

using h5::Handle;

/// Bounds-checked little-endian reads from the mapped file; a read past its end throws
/// Bad, which open() turns into "not readable directly".
struct Bad {};
struct View {
  const unsigned char* p;
  std::uint64_t size;
  std::uint64_t uint(std::uint64_t at, unsigned bytes) const {
    if (bytes > 8 || at > size || size - at < bytes) throw Bad{};
    std::uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[at + i]) << (8 * i);
    return v;
  }
};

struct FileLayout {
  unsigned sizeof_addr = 8, sizeof_size = 8;
  std::uint64_t base = 0;  ///< file offset of HDF5 address 0 (after the user block)
};

/// The chunk index (B-tree) address and the chunk dimensions (then the element size), from
/// a version 1 object header whose Data Layout message is version 3, chunked.
struct ChunkLayout {
  std::uint64_t btree = 0;
  std::vector<std::uint64_t> dims;
};

ChunkLayout read_layout(const View& v, const FileLayout& fl, std::uint64_t ohdr) {
  const std::uint64_t at = fl.base + ohdr;
  if (v.uint(at, 1) != 1) throw Bad{};  // a version 2 header starts with "OHDR"
  // Message blocks: the one after the 16-byte prefix, then those continuations point to.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> blocks{{at + 16, v.uint(at + 8, 4)}};
  for (std::size_t k = 0; k < blocks.size() && k < 64; ++k) {
    std::uint64_t pos = blocks[k].first;
    const std::uint64_t end = pos + blocks[k].second;
    while (pos + 8 <= end) {
      const auto type = v.uint(pos, 2), size = v.uint(pos + 2, 2);
      const std::uint64_t data = pos + 8;
      if (type == 0x10) {  // continuation
        blocks.emplace_back(fl.base + v.uint(data, fl.sizeof_addr), v.uint(data + fl.sizeof_addr, fl.sizeof_size));
      } else if (type == 0x08) {  // data layout
        if (v.uint(data, 1) != 3 || v.uint(data + 1, 1) != 2) throw Bad{};
        const auto ndims = v.uint(data + 2, 1);
        ChunkLayout cl;
        cl.btree = v.uint(data + 3, fl.sizeof_addr);
        for (std::uint64_t i = 0; i < ndims; ++i) cl.dims.push_back(v.uint(data + 3 + fl.sizeof_addr + 4 * i, 4));
        return cl;
      }
      pos = data + size;
    }
  }
  throw Bad{};
}

/// Walks a version 1 B-tree of raw-data chunks ("TREE", node type 1); calls
/// leaf(offsets, size, filter_mask, address) for every chunk.
template <typename Leaf>
void walk_btree(const View& v, const FileLayout& fl, std::uint64_t addr, std::size_t ndims, int depth, Leaf&& leaf) {
  if (depth > 32) throw Bad{};
  const std::uint64_t at = fl.base + addr;
  if (v.uint(at, 4) != 0x45455254u || v.uint(at + 4, 1) != 1) throw Bad{};
  const auto level = v.uint(at + 5, 1);
  const auto entries = v.uint(at + 6, 2);
  const std::uint64_t key_size = 8 + 8 * ndims;  // chunk size, filter mask, offsets
  std::uint64_t pos = at + 8 + 2 * fl.sizeof_addr;
  std::vector<std::uint64_t> off(ndims);
  for (std::uint64_t e = 0; e < entries; ++e) {
    const auto size = v.uint(pos, 4), mask = v.uint(pos + 4, 4);
    for (std::size_t i = 0; i < ndims; ++i) off[i] = v.uint(pos + 8 + 8 * i, 8);
    const auto child = v.uint(pos + key_size, fl.sizeof_addr);
    if (level == 0) leaf(off, size, mask, child);
    else walk_btree(v, fl, child, ndims, depth + 1, leaf);
    pos += key_size + fl.sizeof_addr;
  }
}

/// The file mapped read-only while the index is parsed.
struct Mapping {
  void* p = MAP_FAILED;
  std::size_t size = 0;
  ~Mapping() {
    if (p != MAP_FAILED) munmap(p, size);
  }
};

}  // namespace

std::unique_ptr<DirectReader> DirectReader::open(const std::filesystem::path& file,
                                                 const std::vector<std::string>& datasets) {
  if constexpr (std::endian::native != std::endian::little) return nullptr;
  h5::init_library();
  const std::string name = file.string();
  Handle fid(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!fid.valid()) return nullptr;
  FileLayout fl;
  {
    Handle fcpl(H5Fget_create_plist(fid));
    std::size_t sa = 0, ss = 0;
    hsize_t ub = 0;
    if (!fcpl.valid() || H5Pget_sizes(fcpl, &sa, &ss) < 0 || H5Pget_userblock(fcpl, &ub) < 0) return nullptr;
    if (sa < 1 || sa > 8 || ss < 1 || ss > 8) return nullptr;
    fl.sizeof_addr = static_cast<unsigned>(sa);
    fl.sizeof_size = static_cast<unsigned>(ss);
    fl.base = ub;
  }

  std::unique_ptr<DirectReader> r(new DirectReader);
  r->file_ = name;
  r->fd_ = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) return nullptr;
  struct stat st {};
  if (fstat(r->fd_, &st) != 0 || st.st_size <= 0) return nullptr;
  Mapping map;
  map.size = static_cast<std::size_t>(st.st_size);
  map.p = mmap(nullptr, map.size, PROT_READ, MAP_PRIVATE, r->fd_, 0);
  if (map.p == MAP_FAILED) return nullptr;
  const View v{static_cast<const unsigned char*>(map.p), map.size};

  for (const auto& dname : datasets) {
    Handle dset(H5Dopen2(fid, dname.c_str(), H5P_DEFAULT));
    if (!dset.valid()) return nullptr;
    Handle type(H5Dget_type(dset)), space(H5Dget_space(dset)), dcpl(H5Dget_create_plist(dset));
    if (H5Tequal(type, H5T_IEEE_F32LE) <= 0 || H5Sget_simple_extent_ndims(space) != 3 ||
        H5Pget_layout(dcpl) != H5D_CHUNKED)
      return nullptr;
    Dataset s;
    if (const int nf = H5Pget_nfilters(dcpl); nf == 1) {
      unsigned flags = 0;
      std::size_t nelmts = 0;
      if (H5Pget_filter2(dcpl, 0, &flags, &nelmts, nullptr, 0, nullptr, nullptr) != h5::kLzfFilter) return nullptr;
      s.lzf = true;
    } else if (nf != 0) {
      return nullptr;
    }
    hsize_t dims[3], chunk[3];
    H5Sget_simple_extent_dims(space, dims, nullptr);
    if (H5Pget_chunk(dcpl, 3, chunk) != 3) return nullptr;
    for (int i = 0; i < 3; ++i) {
      if (chunk[i] == 0 || dims[i] == 0) return nullptr;
      s.shape[i] = dims[i];
      s.chunk[i] = chunk[i];
      s.grid[i] = (dims[i] + chunk[i] - 1) / chunk[i];
    }
    const std::uint64_t chunk_bytes = 4ull * s.chunk[0] * s.chunk[1] * s.chunk[2];
    const std::size_t n = s.grid[0] * s.grid[1] * s.grid[2];
    s.offset.assign(n, 0);
    if (s.lzf) {
      s.size.assign(n, 0);
      s.raw.assign(n, 0);
    }
    std::size_t found = 0;
    try {
      H5O_info_t oi;
      if (H5Oget_info2(dset, &oi, H5O_INFO_BASIC) < 0) return nullptr;
      const ChunkLayout cl = read_layout(v, fl, oi.addr);
      if (cl.dims.size() != 4 || cl.dims[3] != 4) return nullptr;
      for (int i = 0; i < 3; ++i)
        if (cl.dims[i] != s.chunk[i]) return nullptr;
      std::vector<bool> seen(n);
      walk_btree(v, fl, cl.btree, 4, 0,
                 [&](const std::vector<std::uint64_t>& off, std::uint64_t size, std::uint64_t mask, std::uint64_t addr) {
                   std::size_t idx = 0;
                   for (int i = 0; i < 3; ++i) {
                     if (off[i] % s.chunk[i] != 0 || off[i] / s.chunk[i] >= s.grid[i]) throw Bad{};
                     idx = idx * s.grid[i] + off[i] / s.chunk[i];
                   }
                   const std::uint64_t at = fl.base + addr;
                   // Whole when stored unfiltered, inside the file; LZF (if any) the only filter.
                   const bool raw = !s.lzf || mask == 1;
                   if (mask > (s.lzf ? 1u : 0u) || size == 0 || (raw && size != chunk_bytes) || seen[idx] ||
                       at > v.size || v.size - at < size)
                     throw Bad{};
                   seen[idx] = true;
                   s.offset[idx] = at;
                   if (s.lzf) {
                     s.size[idx] = static_cast<std::uint32_t>(size);
                     s.raw[idx] = raw;
                   }
                   ++found;
                 });
    } catch (const Bad&) {
      return nullptr;
    }
    if (found != n) return nullptr;  // unallocated chunks read as fill values: HDF5's business
    // HDF5's own answer for the first, a middle and the last chunk must agree.
    for (std::size_t idx : {std::size_t{0}, n / 2, n - 1}) {
      hsize_t off[3];
      std::size_t rest = idx;
      for (int i = 2; i >= 0; --i) {
        off[i] = (rest % s.grid[i]) * s.chunk[i];
        rest /= s.grid[i];
      }
      unsigned mask = 0;
      haddr_t addr = 0;
      hsize_t size = 0;
      if (H5Dget_chunk_info_by_coord(dset, off, &mask, &addr, &size) < 0 || fl.base + addr != s.offset[idx] ||
          size != (s.lzf ? s.size[idx] : chunk_bytes))
        return nullptr;
    }
    if (!r->ds_.empty() && (!std::equal(s.shape, s.shape + 3, r->ds_[0].shape) || s.chunk[0] != r->ds_[0].chunk[0]))
      return nullptr;
    r->ds_.push_back(std::move(s));
  }
  return r;
}

DirectReader::~DirectReader() {
  if (fd_ >= 0) ::close(fd_);
}

void DirectReader::read_exactly(void* buf, std::size_t bytes, std::uint64_t at) const {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t got = pread(fd_, static_cast<char*>(buf) + done, bytes - done, static_cast<off_t>(at + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw_data(file_, got < 0 ? std::string("read failed: ") + std::strerror(errno)
                                : std::string("unexpected end of file (truncated?)"));
    done += static_cast<std::size_t>(got);
  }
}

std::size_t DirectReader::band_rows(std::size_t d) const { return ds_[d].chunk[1]; }

bool DirectReader::compressed() const {
  return std::any_of(ds_.begin(), ds_.end(), [](const Dataset& s) { return s.lzf; });
}

void DirectReader::read_group(std::size_t d, std::size_t g, std::size_t x0, std::size_t x1, float* out,
                              std::vector<char>& buf, std::vector<float>& chunk) const {
  const Dataset& s = ds_[d];
  const std::size_t cp = s.chunk[0], cr = s.chunk[1], cx = s.chunk[2];
  const std::size_t rows = s.shape[1], cols = x1 - x0, plane = rows * cols;
  const std::size_t np = std::min(cp, s.shape[0] - g * cp), chunk_bytes = 4 * cp * cr * cx;
  chunk.resize(cp * cr * cx);
  for (std::size_t rc = 0; rc < s.grid[1]; ++rc) {
    const std::size_t r0 = rc * cr, nr = std::min(cr, rows - r0);
    for (std::size_t xc = x0 / cx; xc < (x1 + cx - 1) / cx; ++xc) {
      const std::size_t idx = (g * s.grid[1] + rc) * s.grid[2] + xc;
      if (!s.lzf || s.raw[idx]) {
        read_exactly(chunk.data(), chunk_bytes, s.offset[idx]);
      } else {
        buf.resize(s.size[idx]);
        read_exactly(buf.data(), buf.size(), s.offset[idx]);
        if (lzf_decompress(buf.data(), static_cast<unsigned>(buf.size()), chunk.data(),
                           static_cast<unsigned>(chunk_bytes)) != chunk_bytes)
          throw_data(file_, "an LZF chunk does not decompress to its size (damaged file?)");
      }
      const std::size_t xa = std::max(x0, xc * cx), xb = std::min(x1, (xc + 1) * cx);
      for (std::size_t pi = 0; pi < np; ++pi)
        for (std::size_t i = 0; i < nr; ++i)
          std::memcpy(out + pi * plane + (r0 + i) * cols + (xa - x0), chunk.data() + (pi * cr + i) * cx + (xa - xc * cx),
                      4 * (xb - xa));
    }
  }
}

void DirectReader::read_band(std::size_t d, std::size_t p, std::size_t band, std::size_t x0, std::size_t x1,
                             float* out, std::vector<float>& stage) const {
  const Dataset& s = ds_[d];
  if (s.lzf) throw std::logic_error("DirectReader::read_band on an LZF dataset: use read_group");
  const std::size_t cp = s.chunk[0], cr = s.chunk[1], cx = s.chunk[2];
  const std::size_t pc = p / cp, pi = p % cp;
  const std::size_t r0 = band * cr, nr = std::min(cr, s.shape[1] - r0), cols = x1 - x0;
  if (stage.size() < cr * cx) stage.resize(cr * cx);
  for (std::size_t xc = x0 / cx; xc < (x1 + cx - 1) / cx; ++xc) {
    const std::size_t xa = std::max(x0, xc * cx), xb = std::min(x1, (xc + 1) * cx);
    // The pair's rows of this chunk are one run of bytes: read it whole (one contiguous
    // copy from the page cache), then place its rows.
    const std::uint64_t at = s.offset[(pc * s.grid[1] + band) * s.grid[2] + xc] + 4ull * pi * cr * cx;
    read_exactly(stage.data(), 4 * nr * cx, at);
    for (std::size_t i = 0; i < nr; ++i)
      std::memcpy(out + i * cols + (xa - x0), stage.data() + i * cx + (xa - xc * cx), 4 * (xb - xa));
  }
}

void DirectReader::read_pair(std::size_t d, std::size_t p, std::size_t x0, std::size_t x1, float* out,
                             std::vector<float>& stage) const {
  const Dataset& s = ds_[d];
  for (std::size_t band = 0; band < s.grid[1]; ++band)
    read_band(d, p, band, x0, x1, out + band * s.chunk[1] * (x1 - x0), stage);
}

}  // namespace pjd
