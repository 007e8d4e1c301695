#pragma once
// Private GDAL helpers shared by the writers (netCDF outputs, overlays, catalogue).
#include <string>

namespace pjd::gdal {

/// Registers GDAL's drivers, once.
void init();

/// Silences GDAL's own error printing for a scope; pjd reports errors itself, one line
/// each, using last_message().
class Quiet {
 public:
  Quiet();
  ~Quiet();
  Quiet(const Quiet&) = delete;
  Quiet& operator=(const Quiet&) = delete;
};

/// GDAL's last error message, or "unknown GDAL error".
std::string last_message();

}  // namespace pjd::gdal
