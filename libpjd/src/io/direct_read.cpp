#include "io/direct_read.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
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

/// A damaged chunk index: what is wrong, for "dataset 'X': chunk index damaged: <what>".
struct Damaged {
  std::string what;
};

/// A byte range of the file that one object owns: a chunk or a B-tree node. Two must never
/// overlap, and none may overlap the superblock.
struct Extent {
  std::uint64_t begin = 0, end = 0;
  std::uint32_t dataset = 0;  ///< index in the checked datasets
  std::uint32_t kind = 0;     ///< 0 chunk, 1 B-tree node, 2 the superblock
  std::uint64_t index = 0;    ///< chunk index (row-major over the chunk grid) or node address
};

/// Walks a version 1 B-tree of raw-data chunks ("TREE", node type 1); calls
/// leaf(offsets, size, filter_mask, address) for every chunk. Every node must be a chunk
/// node of the level its parent implies (so a node that points back at itself or at an
/// ancestor cannot recur), hold at most 2K entries and lie inside the file; nodes are
/// appended to `nodes`.
template <typename Leaf>
void walk_btree(const View& v, const FileLayout& fl, std::uint64_t addr, std::size_t ndims, int expect_level,
                unsigned max_entries, std::vector<Extent>& nodes, std::uint32_t dataset, Leaf&& leaf) {
  const std::uint64_t at = fl.base + addr;
  const std::uint64_t key_size = 8 + 8 * ndims;  // chunk size, filter mask, offsets
  auto where = [&] { return "B-tree node at address " + std::to_string(addr); };
  try {
    if (v.uint(at, 4) != 0x45455254u) throw Damaged{where() + " has no TREE signature"};
    if (v.uint(at + 4, 1) != 1) throw Damaged{where() + " is not a chunk node"};
  } catch (const Bad&) {
    throw Damaged{where() + " lies outside the file"};
  }
  const auto level = static_cast<int>(v.uint(at + 5, 1));
  if (expect_level >= 0 && level != expect_level)
    throw Damaged{where() + " is at level " + std::to_string(level) + " below a node of level " +
                  std::to_string(expect_level + 1) + " (a cycle or a misplaced child)"};
  if (level > 32) throw Damaged{where() + " claims a depth of " + std::to_string(level)};
  const auto entries = v.uint(at + 6, 2);
  if (entries > max_entries)
    throw Damaged{where() + " claims " + std::to_string(entries) + " entries, at most " +
                  std::to_string(max_entries) + " fit"};
  const std::uint64_t node_end = at + 8 + 2 * fl.sizeof_addr + entries * (key_size + fl.sizeof_addr) + key_size;
  if (node_end > v.size) throw Damaged{where() + " runs past the end of the file"};
  nodes.push_back({at, node_end, dataset, 1, addr});
  std::uint64_t pos = at + 8 + 2 * fl.sizeof_addr;
  std::vector<std::uint64_t> off(ndims);
  for (std::uint64_t e = 0; e < entries; ++e) {
    const auto size = v.uint(pos, 4), mask = v.uint(pos + 4, 4);
    for (std::size_t i = 0; i < ndims; ++i) off[i] = v.uint(pos + 8 + 8 * i, 8);
    const auto child = v.uint(pos + key_size, fl.sizeof_addr);
    if (level == 0)
      leaf(off, size, mask, child);
    else
      walk_btree(v, fl, child, ndims, level - 1, max_entries, nodes, dataset, leaf);
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

/// One chunked dataset's index as parsed: where each chunk lies and how it is stored.
struct ParsedIndex {
  std::vector<std::size_t> shape, chunk, grid;  ///< per dimension (the element size not included)
  std::size_t elem_size = 0;
  std::uint64_t base = 0;             ///< file offset of HDF5 address 0
  int n_filters = 0;
  H5Z_filter_t filter0 = -1;          ///< the first filter, if any
  std::vector<std::uint64_t> offset;  ///< file offset of each chunk (row-major over grid)
  std::vector<std::uint32_t> size;    ///< stored bytes of each chunk
  std::vector<std::uint32_t> mask;    ///< filter mask of each chunk
};

/// The chunk with row-major index idx as "pair p, row r, column c" (its first cell).
std::string chunk_name(const ParsedIndex& ix, std::size_t idx) {
  std::vector<std::size_t> at(ix.grid.size());
  for (std::size_t i = ix.grid.size(); i-- > 0;) {
    at[i] = (idx % ix.grid[i]) * ix.chunk[i];
    idx /= ix.grid[i];
  }
  if (at.size() == 3)
    return "the chunk at pair " + std::to_string(at[0]) + ", row " + std::to_string(at[1]) + ", column " +
           std::to_string(at[2]);
  std::string s = "the chunk at (";
  for (std::size_t i = 0; i < at.size(); ++i) s += (i ? ", " : "") + std::to_string(at[i]);
  return s + ")";
}

/// The chunk index of dataset `dset` (opened from the file mapped as `v`), checked whole:
/// nullopt when it is not a version 1 B-tree under a version 1 object header (another
/// layout version, a contiguous or compact dataset: nothing pjd can check). Throws Damaged
/// for a cycle, a depth, a node or chunk outside the file, a chunk outside the grid or
/// given twice, a missing chunk, a stored size that cannot be the chunk's, or a filter mask
/// naming filters the dataset does not have. Appends the chunks and nodes to `extents`.
std::optional<ParsedIndex> parse_index(const View& v, const FileLayout& fl, unsigned max_entries, hid_t dset,
                                       std::uint32_t dataset, std::vector<Extent>& extents) {
  Handle space(H5Dget_space(dset)), dcpl(H5Dget_create_plist(dset)), type(H5Dget_type(dset));
  if (!space.valid() || !dcpl.valid() || !type.valid() || H5Pget_layout(dcpl) != H5D_CHUNKED) return std::nullopt;
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 1 || rank > 32) return std::nullopt;
  ParsedIndex ix;
  ix.base = fl.base;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), chunk(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  if (H5Pget_chunk(dcpl, rank, chunk.data()) != rank) return std::nullopt;
  ix.elem_size = H5Tget_size(type);
  ix.n_filters = H5Pget_nfilters(dcpl);
  if (ix.n_filters < 0 || ix.n_filters > 32) return std::nullopt;
  if (ix.n_filters > 0) {
    unsigned flags = 0;
    std::size_t nelmts = 0;
    ix.filter0 = H5Pget_filter2(dcpl, 0, &flags, &nelmts, nullptr, 0, nullptr, nullptr);
  }
  // The chunk count, before anything is sized by it: each chunk has its own entry in the
  // index (48 bytes or more) and at least one stored byte, so a file of S bytes holds
  // fewer than S chunks. A shape that declares more (or so many that the count overflows)
  // is refused (below, once the index is known to be one pjd parses), never allocated: a
  // 4 KB file could ask for terabytes.
  std::size_t n = 1;
  bool too_many = false, empty = false;
  for (int i = 0; i < rank; ++i) {
    if (chunk[i] == 0) return std::nullopt;
    ix.shape.push_back(dims[i]);
    ix.chunk.push_back(chunk[i]);
    ix.grid.push_back(dims[i] / chunk[i] + (dims[i] % chunk[i] != 0));
    const std::size_t g = ix.grid.back();
    if (g == 0) empty = true;
    if (g != 0 && n > v.size / g) too_many = true;  // n * g > file size (or overflows)
    n *= g;
  }
  if (empty) n = 0;  // an empty dimension: no chunk at all, whatever the others
  H5O_info_t oi;
  if (H5Oget_info2(dset, &oi, H5O_INFO_BASIC) < 0) return std::nullopt;
  ChunkLayout cl;
  try {
    cl = read_layout(v, fl, oi.addr);
  } catch (const Bad&) {
    return std::nullopt;  // another header or layout version
  }
  if (cl.dims.size() != static_cast<std::size_t>(rank) + 1) return std::nullopt;
  for (int i = 0; i < rank; ++i)
    if (cl.dims[i] != ix.chunk[i]) throw Damaged{"the layout message's chunk shape differs from the dataset's"};
  if (cl.dims[rank] != ix.elem_size) throw Damaged{"the layout message's element size differs from the type's"};
  if (too_many && !empty) {
    std::string shape;
    for (auto d : ix.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
    std::string in;
    for (auto c : ix.chunk) in += (in.empty() ? "" : " x ") + std::to_string(c);
    throw Damaged{"its shape " + shape + " in chunks of " + in + " needs more chunks than a file of " +
                  std::to_string(v.size) + " bytes can hold"};
  }
  std::uint64_t chunk_bytes = ix.elem_size;
  for (auto c : ix.chunk) chunk_bytes *= c;
  if (n == 0) return ix;
  const std::uint64_t undef = fl.sizeof_addr >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * fl.sizeof_addr)) - 1;
  if (cl.btree == undef) throw Damaged{"no chunk is stored (every value would read as the fill value)"};
  ix.offset.assign(n, 0);
  ix.size.assign(n, 0);
  ix.mask.assign(n, 0);
  std::vector<bool> seen(n);
  std::size_t found = 0;
  const std::uint64_t all_skipped = ix.n_filters >= 32 ? ~std::uint32_t{0} : (std::uint64_t{1} << ix.n_filters) - 1;
  try {
    walk_btree(v, fl, cl.btree, static_cast<std::size_t>(rank) + 1, -1, max_entries, extents, dataset,
               [&](const std::vector<std::uint64_t>& off, std::uint64_t size, std::uint64_t mask, std::uint64_t addr) {
                 std::size_t idx = 0;
                 for (int i = 0; i < rank; ++i) {
                   if (off[i] % ix.chunk[i] != 0 || off[i] / ix.chunk[i] >= ix.grid[i])
                     throw Damaged{"a chunk key names an offset outside the dataset or between chunks"};
                   idx = idx * ix.grid[i] + off[i] / ix.chunk[i];
                 }
                 if (off[rank] != 0) throw Damaged{"a chunk key's last offset is not 0"};
                 const std::string what = chunk_name(ix, idx);
                 if (seen[idx]) throw Damaged{what + " is listed twice"};
                 if (mask & ~all_skipped) throw Damaged{what + " has a filter mask naming filters the dataset does not have"};
                 if (size == 0) throw Damaged{what + " has a stored size of 0"};
                 // Stored unfiltered (no filter, or every filter skipped): exactly the chunk's bytes.
                 if (mask == all_skipped && size != chunk_bytes)
                   throw Damaged{what + " is stored unfiltered in " + std::to_string(size) + " bytes, not the chunk's " +
                                 std::to_string(chunk_bytes)};
                 const std::uint64_t at = fl.base + addr;
                 if (at > v.size || v.size - at < size) throw Damaged{what + " lies outside the file"};
                 seen[idx] = true;
                 ix.offset[idx] = at;
                 ix.size[idx] = static_cast<std::uint32_t>(size);
                 ix.mask[idx] = static_cast<std::uint32_t>(mask);
                 extents.push_back({at, at + size, dataset, 0, idx});
                 ++found;
               });
  } catch (const Bad&) {
    throw Damaged{"a B-tree node runs past the end of the file"};
  }
  if (found != n) {
    const std::size_t first = static_cast<std::size_t>(std::find(seen.begin(), seen.end(), false) - seen.begin());
    throw Damaged{std::to_string(n - found) + " of " + std::to_string(n) + " chunks are missing from the index (first: " +
                  chunk_name(ix, first) + ")"};
  }
  return ix;
}

/// The file's superblock and the parsing parameters (address sizes, user block, B-tree K).
struct FileFacts {
  FileLayout fl;
  unsigned max_entries = 64;
  Extent superblock;
};

std::optional<FileFacts> file_facts(hid_t fid, const View& v) {
  FileFacts f;
  Handle fcpl(H5Fget_create_plist(fid));
  std::size_t sa = 0, ss = 0;
  hsize_t ub = 0;
  unsigned ik = 0;
  if (!fcpl.valid() || H5Pget_sizes(fcpl, &sa, &ss) < 0 || H5Pget_userblock(fcpl, &ub) < 0 ||
      H5Pget_istore_k(fcpl, &ik) < 0)
    return std::nullopt;
  if (sa < 1 || sa > 8 || ss < 1 || ss > 8 || ik == 0) return std::nullopt;
  f.fl.sizeof_addr = static_cast<unsigned>(sa);
  f.fl.sizeof_size = static_cast<unsigned>(ss);
  f.fl.base = ub;
  f.max_entries = 2 * ik;
  // The superblock's own bytes: versions 0 and 1 end with the root group's symbol table
  // entry, versions 2 and 3 with a checksum.
  std::uint64_t sb = 0;
  try {
    const auto version = v.uint(ub + 8, 1);
    sb = version <= 1 ? 24 + (version == 1 ? 4 : 0) + 4 * sa + (2 * sa + 24) : 12 + 4 * sa + 4;
  } catch (const Bad&) {
    return std::nullopt;
  }
  f.superblock = {ub, ub + sb, 0, 2, 0};
  return f;
}

/// Two extents that overlap (sorted by start), named.
void check_overlaps(std::vector<Extent>& ex, const std::vector<std::string>& names,
                    const std::vector<ParsedIndex>& parsed) {
  std::sort(ex.begin(), ex.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  auto name = [&](const Extent& e) {
    if (e.kind == 2) return std::string("the superblock");
    if (e.kind == 1) return "the B-tree node at address " + std::to_string(e.index) + " of '" + names[e.dataset] + "'";
    return chunk_name(parsed[e.dataset], e.index) + " of '" + names[e.dataset] + "'";
  };
  for (std::size_t i = 1; i < ex.size(); ++i) {
    // The extent reaching furthest so far overlaps ex[i] if it ends after ex[i] starts.
    if (ex[i].begin < ex[i - 1].end) {
      const Extent& a = ex[i - 1].kind == 0 && ex[i].kind != 0 ? ex[i - 1] : ex[i];
      const Extent& b = &a == &ex[i] ? ex[i - 1] : ex[i];
      throw std::make_pair(a.dataset, name(a) + " overlaps " + name(b) + " (file bytes " + std::to_string(ex[i].begin) +
                                          " to " + std::to_string(std::min(ex[i].end, ex[i - 1].end)) + ")");
    }
    if (ex[i].end < ex[i - 1].end) std::swap(ex[i], ex[i - 1]);  // keep the furthest-reaching last
  }
}

/// Parses and checks the indexes of `datasets` of the open file `fid`, mapped as `v`.
/// Throws a data error naming the file and the dataset when one is damaged.
std::vector<std::optional<ParsedIndex>> checked_indexes(hid_t fid, const std::string& file, const View& v,
                                                        const std::vector<std::string>& datasets) {
  std::vector<std::optional<ParsedIndex>> out(datasets.size());
  const auto facts = file_facts(fid, v);
  if (!facts) return out;
  std::vector<Extent> ex{facts->superblock};
  std::vector<ParsedIndex> parsed(datasets.size());
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    Handle dset(H5Dopen2(fid, datasets[d].c_str(), H5P_DEFAULT));
    if (!dset.valid()) continue;
    try {
      out[d] = parse_index(v, facts->fl, facts->max_entries, dset, static_cast<std::uint32_t>(d), ex);
    } catch (const Damaged& e) {
      throw_data(file, "dataset '" + datasets[d] + "': chunk index damaged: " + e.what);
    }
    if (out[d]) parsed[d] = *out[d];
  }
  try {
    check_overlaps(ex, datasets, parsed);
  } catch (const std::pair<std::uint32_t, std::string>& e) {
    throw_data(file, "dataset '" + datasets[e.first] + "': chunk index damaged: " + e.second);
  }
  return out;
}

/// The file open for HDF5 and mapped, for the index checks.
struct MappedFile {
  Handle fid;
  int fd = -1;
  Mapping map;
  ~MappedFile() {
    if (fd >= 0) ::close(fd);
  }
  bool open(const std::string& name) {
    fid = Handle(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!fid.valid()) return false;
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (fstat(fd, &st) != 0 || st.st_size <= 0) return false;
    map.size = static_cast<std::size_t>(st.st_size);
    map.p = mmap(nullptr, map.size, PROT_READ, MAP_PRIVATE, fd, 0);
    return map.p != MAP_FAILED;
  }
  View view() const { return {static_cast<const unsigned char*>(map.p), map.size}; }
};

}  // namespace

void check_chunk_indexes(const std::filesystem::path& file, const std::vector<std::string>& datasets) {
  h5::init_library();
  MappedFile mf;
  if (!mf.open(file.string())) return;  // the caller's own open reports what is wrong
  checked_indexes(mf.fid, file.string(), mf.view(), datasets);
}

std::unique_ptr<DirectReader> DirectReader::open(const std::filesystem::path& file,
                                                 const std::vector<std::string>& datasets) {
  if constexpr (std::endian::native != std::endian::little) return nullptr;
  h5::init_library();
  const std::string name = file.string();
  MappedFile mf;
  if (!mf.open(name)) return nullptr;
  // A damaged index throws here: never read, by either path.
  const auto parsed = checked_indexes(mf.fid, name, mf.view(), datasets);

  std::unique_ptr<DirectReader> r(new DirectReader);
  r->file_ = name;
  r->fd_ = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) return nullptr;
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    if (!parsed[d]) return nullptr;
    const ParsedIndex& ix = *parsed[d];
    Handle dset(H5Dopen2(mf.fid, datasets[d].c_str(), H5P_DEFAULT));
    if (!dset.valid()) return nullptr;
    Handle type(H5Dget_type(dset));
    if (H5Tequal(type, H5T_IEEE_F32LE) <= 0 || ix.shape.size() != 3) return nullptr;
    Dataset s;
    s.name = datasets[d];
    if (ix.n_filters == 1 && ix.filter0 == h5::kLzfFilter)
      s.lzf = true;
    else if (ix.n_filters != 0)
      return nullptr;
    // A chunk above HDF5's own limit (4 GB) is not read here: each worker would hold one.
    if (ix.chunk[0] > (std::uint64_t{1} << 30) / ix.chunk[1] / ix.chunk[2]) return nullptr;
    for (int i = 0; i < 3; ++i) {
      if (ix.shape[i] == 0) return nullptr;
      s.shape[i] = ix.shape[i];
      s.chunk[i] = ix.chunk[i];
      s.grid[i] = ix.grid[i];
    }
    s.offset = ix.offset;
    if (s.lzf) {
      s.size = ix.size;
      s.raw.resize(ix.mask.size());
      for (std::size_t i = 0; i < ix.mask.size(); ++i) s.raw[i] = ix.mask[i] == 1;
    }
    // HDF5's own answer for the first, a middle and the last chunk must agree.
    const std::size_t n = s.offset.size();
    const std::uint64_t chunk_bytes = 4ull * s.chunk[0] * s.chunk[1] * s.chunk[2];
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
      if (H5Dget_chunk_info_by_coord(dset, off, &mask, &addr, &size) < 0 || ix.base + addr != s.offset[idx] ||
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
          throw_data(file_, "dataset '" + s.name + "': the chunk at pair " + std::to_string(g * cp) + ", row " +
                                std::to_string(r0) + ", column " + std::to_string(xc * cx) +
                                " does not decompress to its " + std::to_string(chunk_bytes) + " bytes (damaged LZF data)");
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
