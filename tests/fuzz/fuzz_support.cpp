#include "fuzz_support.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace pjd_fuzz {

namespace {

fs::path scratch_dir() {
  static const fs::path dir = [] {
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::path();
    if (base.empty()) {
      const char* t = std::getenv("TMPDIR");
      base = t && *t ? fs::path(t) : fs::path("/tmp");
    }
    fs::path d = base / ("pjd_fuzz." + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

/// Removes the scratch directory when the fuzzer exits normally.
struct Cleanup {
  fs::path dir;
  ~Cleanup() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

}  // namespace

fs::path write_input(const std::uint8_t* data, std::size_t size, const std::string& name) {
  static Cleanup cleanup{scratch_dir()};
  const fs::path p = cleanup.dir / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) finding("cannot write the scratch file " + p.string());
  return p;
}

void check_hdf5_closed(const char* after) {
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0)
    finding(std::to_string(open) + " HDF5 object(s) still open after " + after + " returned");
}

void finding(const std::string& what) {
  std::fprintf(stderr, "pjd fuzz finding: %s\n", what.c_str());
  std::abort();
}

}  // namespace pjd_fuzz
