#include "io/h5util.hpp"

#include <H5PLpublic.h>

extern "C" {
#include <liblzf/lzf.h>
}

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace pjd::h5 {

void Handle::reset() noexcept {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
  id_ = H5I_INVALID_HID;
}

static bool lzf_works = false;

bool lzf_available() {
  init_library();
  return lzf_works && H5Zfilter_avail(kLzfFilter) > 0;
}

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    // Debian 12's hdf5-plugin-lzf (3.7.0-8) leaves lzf_compress/lzf_decompress
    // unresolved and does not depend on liblzf: it only loads when the process
    // already holds those symbols. This round trip through liblzf makes every
    // program linked with libpjd load liblzf, so the plugin resolves.
    const char probe[] = "pjd lzf probe, pjd lzf probe, pjd lzf probe";
    char packed[128], unpacked[128];
    const unsigned n = lzf_compress(probe, sizeof probe, packed, sizeof packed);
    lzf_works = n > 0 && lzf_decompress(packed, n, unpacked, sizeof unpacked) == sizeof probe &&
                std::memcmp(probe, unpacked, sizeof probe) == 0;
    // Debian's hdf5-plugin-lzf installs the filter here; HDF5's built-in default
    // plugin path may not include it, and HDF5_PLUGIN_PATH may be unset.
    if (std::getenv("HDF5_PLUGIN_PATH") == nullptr) {
      for (const char* dir : {"/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins",
                              "/usr/lib/aarch64-linux-gnu/hdf5/serial/plugins",
                              "/usr/lib/hdf5/serial/plugins"}) {
        std::error_code ec;
        if (std::filesystem::is_directory(dir, ec)) H5PLappend(dir);
      }
    }
  });
}

bool is_hdf5(const std::string& path) {
  // The signature sits at offset 0, 512, 1024, ... (user block); check the usual ones.
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  for (std::streamoff off : {0, 512, 1024, 2048}) {
    unsigned char buf[8] = {};
    in.clear();
    in.seekg(off);
    if (!in.read(reinterpret_cast<char*>(buf), 8)) return false;
    if (std::memcmp(buf, sig, 8) == 0) return true;
  }
  return false;
}

std::string read_string_attribute(hid_t obj, const std::string& name) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) return {};
  Handle ftype(H5Aget_type(attr));
  if (H5Tget_class(ftype) != H5T_STRING) {
    // Numeric attribute (some writers store numbers natively): format it.
    Handle space(H5Aget_space(attr));
    if (H5Sget_simple_extent_npoints(space) != 1) return {};
    double v = 0;
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, &v) < 0) return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  if (H5Tis_variable_str(ftype) > 0) {
    Handle mtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    char* value = nullptr;
    if (H5Aread(attr, mtype, &value) < 0 || value == nullptr) return {};
    std::string out(value);
    Handle space(H5Aget_space(attr));
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, &value);
    return out;
  }
  const std::size_t size = H5Tget_size(ftype);
  std::string out(size, '\0');
  Handle mtype(H5Tcopy(H5T_C_S1));
  H5Tset_size(mtype, size);
  H5Tset_strpad(mtype, H5T_STR_NULLPAD);
  if (H5Aread(attr, mtype, out.data()) < 0) return {};
  out.resize(std::strlen(out.c_str()));
  return out;
}

static herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

std::vector<std::string> attribute_names(hid_t obj) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &names);
  return names;
}

void write_string_attribute(hid_t obj, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR));
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
  const char* ptr = value.c_str();
  H5Awrite(attr, type, &ptr);
}

std::vector<std::string> filter_names(hid_t dcpl) {
  std::vector<std::string> out;
  const int n = H5Pget_nfilters(dcpl);
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0;
    size_t nelmts = 0;
    unsigned config = 0;
    char name[64] = {};
    H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nelmts, nullptr,
                                     sizeof name, name, &config);
    switch (id) {
      case H5Z_FILTER_DEFLATE: out.emplace_back("gzip"); break;
      case H5Z_FILTER_SHUFFLE: out.emplace_back("shuffle"); break;
      case H5Z_FILTER_FLETCHER32: out.emplace_back("fletcher32"); break;
      case H5Z_FILTER_SZIP: out.emplace_back("szip"); break;
      case kLzfFilter: out.emplace_back("lzf"); break;
      default: out.emplace_back(name[0] ? name : "filter-" + std::to_string(id)); break;
    }
  }
  return out;
}

std::vector<hsize_t> guess_chunk(const std::vector<hsize_t>& shape, std::size_t type_size) {
  constexpr double kBase = 16.0 * 1024, kMin = 8.0 * 1024, kMax = 1024.0 * 1024;
  std::vector<double> chunks;
  for (hsize_t s : shape) chunks.push_back(s == 0 ? 1024.0 : static_cast<double>(s));
  auto product = [&] {
    double p = 1;
    for (double c : chunks) p *= c;
    return p;
  };
  const double dset_size = product() * static_cast<double>(type_size);
  double target = kBase * std::pow(2.0, std::log10(dset_size / (1024.0 * 1024)));
  target = std::min(kMax, std::max(kMin, target));
  for (std::size_t idx = 0;; ++idx) {
    const double bytes = product() * static_cast<double>(type_size);
    if ((bytes < target || std::abs(bytes - target) / target < 0.5) && bytes < kMax) break;
    if (product() == 1) break;
    double& c = chunks[idx % chunks.size()];
    c = std::ceil(c / 2.0);
  }
  std::vector<hsize_t> out;
  for (double c : chunks) out.push_back(static_cast<hsize_t>(c));
  return out;
}

}  // namespace pjd::h5
