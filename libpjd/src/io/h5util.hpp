#pragma once
// Private HDF5 helpers: RAII handles, string attributes, library set-up.
#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

namespace pjd::h5 {

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  operator hid_t() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  void reset() noexcept;

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Silences HDF5's own error printing and makes the LZF plugin findable.
/// Safe to call many times; does the work once.
void init_library();

/// True when the LZF filter (h5py's, id 32000) can be used for reading and writing.
bool lzf_available();

/// True when the file starts with the HDF5 signature.
bool is_hdf5(const std::string& path);

/// Reads a scalar string attribute (fixed or variable length) of an object.
std::string read_string_attribute(hid_t obj, const std::string& name);

/// Names of all attributes of an object.
std::vector<std::string> attribute_names(hid_t obj);

/// Writes a scalar variable-length UTF-8 string attribute, as h5py does for str.
void write_string_attribute(hid_t obj, const std::string& name, const std::string& value);

/// The filter names of a dataset creation property list: "gzip", "shuffle", "lzf", ...
std::vector<std::string> filter_names(hid_t dcpl);

/// Filter id of h5py's LZF filter (registered by the hdf5-plugin-lzf plugin).
inline constexpr H5Z_filter_t kLzfFilter = 32000;

/// h5py's chunk guess (h5py/_hl/filters.py guess_chunk), for datasets we create.
std::vector<hsize_t> guess_chunk(const std::vector<hsize_t>& shape, std::size_t type_size);

}  // namespace pjd::h5
