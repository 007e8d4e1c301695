#include "pjd/stack.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <map>
#include <set>

#include "io/direct_read.hpp"
#include "io/h5util.hpp"
#include "pjd/error.hpp"

namespace pjd {

namespace fs = std::filesystem;
using h5::Handle;

// ---------------------------------------------------------------- dates, pairs

int days_from_yyyymmdd(const std::string& date) {
  int y = 0, m = 0, d = 0;
  auto bad = [&] { throw_data("", "malformed date '" + date + "' (expected YYYYMMDD)"); };
  if (date.size() != 8 || !std::all_of(date.begin(), date.end(), ::isdigit)) bad();
  std::from_chars(date.data(), date.data() + 4, y);
  std::from_chars(date.data() + 4, date.data() + 6, m);
  std::from_chars(date.data() + 6, date.data() + 8, d);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) bad();
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

int Pair::btemp_days() const { return days_from_yyyymmdd(sec) - days_from_yyyymmdd(ref); }

// ---------------------------------------------------------------- attributes

std::string Attributes::get(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

std::optional<double> Attributes::number(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  const std::string& s = it->second;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(*b))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(e[-1]))) --e;
  if (b < e && *b == '+') ++b;
  double v = 0;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e) return std::nullopt;
  return v;
}

std::string DatasetInfo::compression() const {
  for (const auto& f : filters)
    if (f != "shuffle" && f != "fletcher32") return f;
  return "none";
}

// ---------------------------------------------------------------- Stack

struct Stack::Impl {
  fs::path file;
  fs::path mintpy_dir;
  Handle fid;
  Attributes attrs;
  std::size_t length = 0, width = 0;
  std::vector<Pair> pairs;
  std::vector<bool> keep;
  std::map<std::string, DatasetInfo> datasets;
  std::map<std::string, Handle> open_sets;  // 3-D datasets kept open for reading

  [[noreturn]] void fail(const std::string& problem) const { throw_data(file.string(), problem); }
};

static std::string dtype_name(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  switch (cls) {
    case H5T_FLOAT: return size == 4 ? "float32" : size == 8 ? "float64" : "float" + std::to_string(size * 8);
    case H5T_INTEGER: {
      const bool sign = H5Tget_sign(type) == H5T_SGN_2;
      return std::string(sign ? "int" : "uint") + std::to_string(size * 8);
    }
    case H5T_STRING: return "string";
    case H5T_ENUM: return size == 1 ? "bool" : "enum";
    case H5T_COMPOUND: return "compound";
    default: return "other";
  }
}

static DatasetInfo describe(hid_t dset, const std::string& name) {
  DatasetInfo info;
  info.name = name;
  Handle type(H5Dget_type(dset));
  info.dtype = dtype_name(type);
  Handle space(H5Dget_space(dset));
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  info.shape.assign(dims.begin(), dims.end());
  Handle dcpl(H5Dget_create_plist(dset));
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(dims.size());
    H5Pget_chunk(dcpl, rank, chunk.data());
    info.chunk.assign(chunk.begin(), chunk.end());
  }
  info.filters = h5::filter_names(dcpl);
  return info;
}

/// Rows or columns no stack can have (a full-resolution Sentinel-1 IW frame has ~70000).
constexpr std::size_t kMaxSide = 1'000'000;

/// The attributes pjd computes with, checked where they are read: a value out of its
/// physical range is refused naming the attribute (a cast of NaN or 1e30 to an integer
/// is undefined, and a wavelength of inf gives ramps of 0 mm).
static void check_attributes(const Attributes& attrs, const std::string& file) {
  struct Rule {
    const char* key;
    double lo, hi;
    bool whole;
    const char* what;
  };
  static const Rule rules[] = {
      {"LENGTH", 1, double(kMaxSide), true, "a whole number of rows"},
      {"WIDTH", 1, double(kMaxSide), true, "a whole number of columns"},
      {"WAVELENGTH", 1e-3, 1.0, false, "a radar wavelength in metres (Sentinel-1: 0.0555)"},
      {"ALOOKS", 1, 10000, true, "a whole number of azimuth looks"},
      {"RLOOKS", 1, 10000, true, "a whole number of range looks"},
      {"trackNumber", 0, 100000, true, "a whole relative orbit number"},
      {"TRACK", 0, 100000, true, "a whole relative orbit number"},  // the other keys the catalogue reads the track from
      {"relative_orbit", 0, 100000, true, "a whole relative orbit number"},
      {"relativeOrbit", 0, 100000, true, "a whole relative orbit number"},
      {"number_of_bursts", 1, 1000, true, "a whole number of bursts"},
  };
  for (const auto& r : rules) {
    if (!attrs.has(r.key)) continue;
    const auto v = attrs.number(r.key);
    if (!v || !std::isfinite(*v) || *v < r.lo || *v > r.hi || (r.whole && *v != std::floor(*v))) {
      std::ostringstream range;
      range << r.lo << " to " << r.hi;
      throw_data(file, "attribute " + std::string(r.key) + " is '" + attrs.get(r.key) + "', expected " + r.what + " (" +
                           range.str() + ")");
    }
  }
}

static herr_t collect_names(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

static std::vector<std::string> read_date_pairs(hid_t fid, const std::string& file, std::size_t& n) {
  Handle dset(H5Dopen2(fid, "date", H5P_DEFAULT));
  if (!dset.valid()) throw_data(file, "missing dataset 'date'");
  Handle type(H5Dget_type(dset));
  Handle space(H5Dget_space(dset));
  if (H5Tget_class(type) != H5T_STRING) throw_data(file, "dataset 'date' is not a string array");
  if (H5Sget_simple_extent_ndims(space) != 2) throw_data(file, "dataset 'date' must have rank 2 (pairs, 2)");
  hsize_t dims[2];
  H5Sget_simple_extent_dims(space, dims, nullptr);
  if (dims[1] != 2) throw_data(file, "dataset 'date' must have shape (pairs, 2)");
  if (dims[0] > 1'000'000)
    throw_data(file, "dataset 'date' declares " + std::to_string(dims[0]) + " pairs, more than any stack holds (1000000)");
  n = dims[0];
  std::vector<std::string> out;
  out.reserve(n * 2);
  if (H5Tis_variable_str(type) > 0) {
    Handle mtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(mtype, H5T_VARIABLE);
    std::vector<char*> buf(n * 2, nullptr);
    if (n > 0 && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw_data(file, "cannot read dataset 'date'");
    for (char* s : buf) out.emplace_back(s ? s : "");
    if (n > 0) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf.data());
  } else {
    const std::size_t sz = H5Tget_size(type);
    Handle mtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(mtype, sz);
    H5Tset_strpad(mtype, H5T_STR_NULLPAD);
    std::vector<char> buf(n * 2 * sz);
    if (n > 0 && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw_data(file, "cannot read dataset 'date'");
    for (std::size_t i = 0; i < n * 2; ++i) {
      std::string s(buf.data() + i * sz, sz);
      s.resize(std::strlen(s.c_str()));
      out.push_back(std::move(s));
    }
  }
  return out;
}

Stack Stack::open(const fs::path& path) {
  h5::init_library();
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  fs::path file = path;
  if (fs::is_directory(path, ec)) {
    file = path / "inputs" / "ifgramStack.h5";
    if (!fs::exists(file, ec)) {
      if (fs::exists(path / "ifgramStack.h5", ec))
        file = path / "ifgramStack.h5";
      else
        throw_data(path.string(), "no inputs/ifgramStack.h5 in this directory");
    }
  } else if (!fs::exists(path, ec)) {
    throw_data(path.string(), "no such file or directory");
  }
  impl->file = file;
  const fs::path parent = fs::absolute(file).parent_path();
  impl->mintpy_dir = parent.filename() == "inputs" ? parent.parent_path() : parent;

  const std::string fname = file.string();
  // A FIFO or device would block the first read: only regular files are opened.
  if (!fs::is_regular_file(file, ec)) impl->fail("not a regular file (a FIFO, device or socket cannot be a stack)");
  if (const int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC); fd < 0)
    impl->fail(std::string("cannot open for reading: ") + std::strerror(errno));
  else
    ::close(fd);
  if (!h5::is_hdf5(fname)) impl->fail("not an HDF5 file");
  impl->fid = Handle(H5Fopen(fname.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!impl->fid.valid()) impl->fail("cannot open as HDF5 (truncated or damaged file?)");

  for (const auto& name : h5::attribute_names(impl->fid))
    impl->attrs.set(name, h5::read_string_attribute(impl->fid, name));
  const std::string ftype = impl->attrs.get("FILE_TYPE");
  if (!ftype.empty() && ftype != "ifgramStack")
    impl->fail("FILE_TYPE is '" + ftype + "', expected 'ifgramStack'");

  std::vector<std::string> names;
  if (H5Literate(impl->fid, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_names, &names) < 0)
    impl->fail("cannot list the file's datasets (truncated or damaged file?)");
  for (const auto& name : names) {
    H5O_info_t oinfo;
    if (H5Oget_info_by_name2(impl->fid, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        oinfo.type != H5O_TYPE_DATASET)
      continue;
    Handle dset(H5Dopen2(impl->fid, name.c_str(), H5P_DEFAULT));
    if (!dset.valid()) impl->fail("cannot open dataset '" + name + "'");
    impl->datasets.emplace(name, describe(dset, name));
  }
  // Every chunk index checked before HDF5 walks one (reading 'date', dropIfgram, the data).
  {
    std::vector<std::string> chunked;
    for (const auto& [name, info] : impl->datasets)
      if (!info.chunk.empty()) chunked.push_back(name);
    check_chunk_indexes(file, chunked);
  }

  // Pairs.
  std::size_t n = 0;
  const auto dates = read_date_pairs(impl->fid, fname, n);
  if (n == 0) impl->fail("empty stack: no pairs in 'date'");
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < n; ++i) {
    Pair p{dates[2 * i], dates[2 * i + 1]};
    long ref = 0, sec = 0;
    try {
      ref = days_from_yyyymmdd(p.ref);
      sec = days_from_yyyymmdd(p.sec);
    } catch (const Error& e) {
      impl->fail("pair " + std::to_string(i) + " of 'date': " + e.problem());
    }
    // An interferogram's reference date comes before its secondary date (MintPy's order).
    if (ref >= sec)
      impl->fail("pair " + std::to_string(i) + " of 'date' is " + p.ref + "_" + p.sec + ": " +
                 (ref == sec ? "both dates are the same day" : "the reference date is after the secondary date"));
    if (const auto [it, fresh] = seen.emplace(p.name(), i); !fresh)
      impl->fail("pair " + std::to_string(i) + " of 'date' (" + p.name() + ") repeats pair " + std::to_string(it->second));
    impl->pairs.push_back(std::move(p));
  }

  // dropIfgram (true = keep).
  impl->keep.assign(n, true);
  if (impl->datasets.count("dropIfgram")) {
    const auto& info = impl->datasets.at("dropIfgram");
    if (info.shape.size() != 1 || info.shape[0] != n) {
      std::string shape;
      for (auto d : info.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      impl->fail("dataset 'dropIfgram' has shape (" + shape + "), expected (" + std::to_string(n) + ",): one flag per pair");
    }
    Handle dset(H5Dopen2(impl->fid, "dropIfgram", H5P_DEFAULT));
    std::vector<signed char> buf(n);
    Handle mtype(H5Tcopy(H5T_NATIVE_SCHAR));
    Handle ftype(H5Dget_type(dset));
    herr_t st;
    if (H5Tget_class(ftype) == H5T_ENUM) {
      // h5py bool: enum over int8 with FALSE=0, TRUE=1. Read the base integers.
      Handle base(H5Tget_super(ftype));
      Handle etype(H5Tenum_create(H5T_NATIVE_SCHAR));
      signed char v0 = 0, v1 = 1;
      H5Tenum_insert(etype, "FALSE", &v0);
      H5Tenum_insert(etype, "TRUE", &v1);
      st = H5Dread(dset, etype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    } else {
      st = H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    }
    if (st < 0) impl->fail("cannot read dataset 'dropIfgram'");
    for (std::size_t i = 0; i < n; ++i) impl->keep[i] = buf[i] != 0;
  }

  // Dimensions: attributes first, checked against the datasets.
  if (!impl->datasets.count("unwrapPhase")) impl->fail("missing dataset 'unwrapPhase'");
  const auto& unw = impl->datasets.at("unwrapPhase");
  if (unw.shape.size() != 3)
    impl->fail("dataset 'unwrapPhase' has rank " + std::to_string(unw.shape.size()) + ", expected 3 (pairs, rows, columns)");
  check_attributes(impl->attrs, impl->file.string());
  auto attr_len = impl->attrs.number("LENGTH");
  auto attr_wid = impl->attrs.number("WIDTH");
  impl->length = attr_len ? static_cast<std::size_t>(*attr_len) : unw.shape[1];
  impl->width = attr_wid ? static_cast<std::size_t>(*attr_wid) : unw.shape[2];
  if (impl->length > kMaxSide || impl->width > kMaxSide)
    impl->fail("dataset 'unwrapPhase' declares " + std::to_string(unw.shape[1]) + " x " + std::to_string(unw.shape[2]) +
               " cells per pair, more than " + std::to_string(kMaxSide) + " rows or columns");
  for (const auto& [name, info] : impl->datasets) {
    if (info.shape.size() != 3) continue;
    if (info.shape[0] != n || info.shape[1] != impl->length || info.shape[2] != impl->width)
      impl->fail("dimension mismatch: dataset '" + name + "' is " + std::to_string(info.shape[0]) + " x " +
                 std::to_string(info.shape[1]) + " x " + std::to_string(info.shape[2]) + ", expected " +
                 std::to_string(n) + " pairs x LENGTH " + std::to_string(impl->length) + " x WIDTH " +
                 std::to_string(impl->width));
  }
  for (const char* name : {"unwrapPhase", "coherence"}) {
    auto it = impl->datasets.find(name);
    if (it == impl->datasets.end()) continue;
    const auto& dt = it->second.dtype;
    if (dt.rfind("float", 0) != 0 && dt.rfind("int", 0) != 0 && dt.rfind("uint", 0) != 0)
      impl->fail("dataset '" + std::string(name) + "' has dtype " + dt + ", expected float32");
  }
  if (impl->length == 0 || impl->width == 0) impl->fail("empty stack: LENGTH or WIDTH is 0");
  return Stack(std::move(impl));
}

Stack::Stack(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Stack::Stack(Stack&&) noexcept = default;
Stack& Stack::operator=(Stack&&) noexcept = default;
Stack::~Stack() = default;

const fs::path& Stack::file() const { return impl_->file; }
const fs::path& Stack::mintpy_dir() const { return impl_->mintpy_dir; }
const Attributes& Stack::attributes() const { return impl_->attrs; }
std::size_t Stack::n_pairs() const { return impl_->pairs.size(); }
std::size_t Stack::length() const { return impl_->length; }
std::size_t Stack::width() const { return impl_->width; }

double Stack::wavelength_m() const {
  auto w = impl_->attrs.number("WAVELENGTH");
  if (!w || *w <= 0) throw_data(impl_->file.string(), "missing or invalid WAVELENGTH attribute");
  return *w;
}

std::string Stack::orbit_direction() const {
  std::string o = impl_->attrs.get("ORBIT_DIRECTION");
  std::transform(o.begin(), o.end(), o.begin(), ::toupper);
  if (o.rfind("A", 0) == 0) return "ASCENDING";
  if (o.rfind("D", 0) == 0) return "DESCENDING";
  return "";
}

std::string Stack::platform() const { return impl_->attrs.get("PLATFORM"); }
int Stack::alooks() const { return static_cast<int>(impl_->attrs.number("ALOOKS").value_or(1)); }
int Stack::rlooks() const { return static_cast<int>(impl_->attrs.number("RLOOKS").value_or(1)); }
bool Stack::geocoded() const { return impl_->attrs.has("Y_FIRST"); }
const std::vector<Pair>& Stack::pairs() const { return impl_->pairs; }
const std::vector<bool>& Stack::keep() const { return impl_->keep; }

std::vector<std::string> Stack::dates() const {
  std::set<std::string> s;
  for (const auto& p : impl_->pairs) {
    s.insert(p.ref);
    s.insert(p.sec);
  }
  return {s.begin(), s.end()};
}

std::optional<std::size_t> Stack::pair_index(const std::string& name) const {
  for (std::size_t i = 0; i < impl_->pairs.size(); ++i)
    if (impl_->pairs[i].name() == name) return i;
  return std::nullopt;
}

const std::map<std::string, DatasetInfo>& Stack::datasets() const { return impl_->datasets; }
bool Stack::has_dataset(const std::string& name) const { return impl_->datasets.count(name) > 0; }

std::size_t Stack::chunk_depth(const std::string& dataset) const {
  auto it = impl_->datasets.find(dataset);
  if (it == impl_->datasets.end()) throw_data(impl_->file.string(), "missing dataset '" + dataset + "'");
  return it->second.chunk.empty() ? 1 : it->second.chunk[0];
}

std::size_t Stack::block_pairs(const std::vector<std::string>& datasets, std::size_t ncols,
                               std::size_t target_bytes) const {
  std::size_t depth = 1;
  for (const auto& d : datasets) depth = std::max(depth, chunk_depth(d));
  const std::size_t per_pair = std::max<std::size_t>(1, impl_->length * ncols * 4 * datasets.size());
  std::size_t chunks = std::max<std::size_t>(1, target_bytes / (per_pair * depth));
  return std::min(depth * chunks, std::max<std::size_t>(n_pairs(), 1));
}

void Stack::read(const std::string& dataset, std::size_t p0, std::size_t p1, std::size_t x0,
                 std::size_t x1, float* out) const {
  const std::string fname = impl_->file.string();
  auto info = impl_->datasets.find(dataset);
  if (info == impl_->datasets.end()) impl_->fail("missing dataset '" + dataset + "'");
  if (info->second.shape.size() != 3)
    impl_->fail("dataset '" + dataset + "' has rank " + std::to_string(info->second.shape.size()) + ", expected 3");
  if (p0 >= p1 || p1 > n_pairs() || x0 >= x1 || x1 > width())
    throw Error(ErrorKind::Usage, fname,
                "read of '" + dataset + "' out of range: pairs " + std::to_string(p0) + ":" + std::to_string(p1) +
                    ", columns " + std::to_string(x0) + ":" + std::to_string(x1));
  auto& dset = impl_->open_sets[dataset];
  if (!dset.valid()) {
    dset = Handle(H5Dopen2(impl_->fid, dataset.c_str(), H5P_DEFAULT));
    if (!dset.valid()) impl_->fail("cannot open dataset '" + dataset + "'");
  }
  Handle fspace(H5Dget_space(dset));
  const hsize_t start[3] = {p0, 0, x0};
  const hsize_t count[3] = {p1 - p0, length(), x1 - x0};
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr);
  // A memory dataspace of the same 3-D shape keeps HDF5 on its fast path.
  Handle mspace(H5Screate_simple(3, count, nullptr));
  if (H5Dread(dset, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, out) < 0) {
    // The index was checked when the stack opened: what fails is the data or a filter.
    const auto& filters = info->second.filters;
    const bool lzf = std::find(filters.begin(), filters.end(), "lzf") != filters.end();
    const std::string why = lzf && !h5::lzf_available() ? "the LZF filter (hdf5-plugin-lzf) is not available"
                            : filters.empty()           ? "the file is truncated or damaged"
                                                        : "a chunk does not decompress (damaged compressed data)";
    impl_->fail("dataset '" + dataset + "': cannot read pairs " + std::to_string(p0) + ":" + std::to_string(p1) + ": " +
                why);
  }
}

std::vector<float> Stack::read_pair(const std::string& dataset, std::size_t pair) const {
  std::vector<float> out(length() * width());
  read(dataset, pair, pair + 1, 0, width(), out.data());
  return out;
}

// ---------------------------------------------------------------- geometry

fs::path geometry_path_for(const Stack& stack) {
  return fs::absolute(stack.file()).parent_path() / "geometryRadar.h5";
}

static std::vector<float> read_2d(hid_t fid, const std::string& file, const std::string& name,
                                  std::size_t& length, std::size_t& width) {
  Handle dset(H5Dopen2(fid, name.c_str(), H5P_DEFAULT));
  if (!dset.valid()) throw_data(file, "missing dataset '" + name + "'");
  Handle space(H5Dget_space(dset));
  if (H5Sget_simple_extent_ndims(space) != 2)
    throw_data(file, "dataset '" + name + "' must have rank 2 (rows, columns)");
  hsize_t dims[2];
  H5Sget_simple_extent_dims(space, dims, nullptr);
  if (length == 0) {
    length = dims[0];
    width = dims[1];
  } else if (dims[0] != length || dims[1] != width) {
    throw_data(file, "dimension mismatch: dataset '" + name + "' is " + std::to_string(dims[0]) + " x " +
                         std::to_string(dims[1]) + ", expected " + std::to_string(length) + " x " + std::to_string(width));
  }
  Handle type(H5Dget_type(dset));
  if (H5Tget_class(type) != H5T_FLOAT) throw_data(file, "dataset '" + name + "' is not floating point");
  std::vector<float> out(dims[0] * dims[1]);
  if (H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw_data(file, "cannot read dataset '" + name + "' (truncated file?)");
  return out;
}

Geometry read_geometry(const fs::path& file) {
  h5::init_library();
  Geometry g;
  g.file = file;
  const std::string fname = file.string();
  std::error_code ec;
  if (!fs::exists(file, ec)) throw_data(fname, "no such file");
  if (!fs::is_regular_file(file, ec)) throw_data(fname, "not a regular file (a FIFO, device or socket cannot be a geometry)");
  if (const int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC); fd < 0)
    throw_data(fname, std::string("cannot open for reading: ") + std::strerror(errno));
  else
    ::close(fd);
  if (!h5::is_hdf5(fname)) throw_data(fname, "not an HDF5 file");
  Handle fid(H5Fopen(fname.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!fid.valid()) throw_data(fname, "cannot open as HDF5 (truncated or damaged file?)");
  for (const auto& name : h5::attribute_names(fid)) g.attributes.set(name, h5::read_string_attribute(fid, name));
  // The same rule as for the stack: a damaged chunk index is refused before HDF5 walks it.
  {
    std::vector<std::string> chunked;
    for (const char* name : {"latitude", "longitude"}) {
      if (H5Lexists(fid, name, H5P_DEFAULT) <= 0) continue;
      Handle dset(H5Dopen2(fid, name, H5P_DEFAULT));
      if (!dset.valid()) continue;  // read_2d names it
      Handle plist(H5Dget_create_plist(dset));
      if (plist.valid() && H5Pget_layout(plist) == H5D_CHUNKED) chunked.emplace_back(name);
    }
    check_chunk_indexes(file, chunked);
  }
  g.latitude_deg = read_2d(fid, fname, "latitude", g.length, g.width);
  g.longitude_deg = read_2d(fid, fname, "longitude", g.length, g.width);
  // NaN and (0, 0) are MintPy's no-data; a finite value off the globe is a damaged file,
  // never a position (the map would draw it, or PROJ refuse it as if the CRS were wrong).
  const auto check_range = [&](const std::vector<float>& v, const char* name, float lo, float hi) {
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (!std::isfinite(v[k]) ? std::isinf(v[k]) : (v[k] < lo || v[k] > hi)) {
        std::ostringstream msg;
        msg << "dataset '" << name << "' holds " << v[k] << " at row " << k / g.width << ", column " << k % g.width
            << ": not a " << name << " in degrees (" << lo << " to " << hi << "; NaN for no data)";
        throw_data(fname, msg.str());
      }
    }
  };
  check_range(g.latitude_deg, "latitude", -90.0f, 90.0f);
  check_range(g.longitude_deg, "longitude", -180.0f, 360.0f);
  return g;
}

}  // namespace pjd
