#include "gdal_util.hpp"

#include <gdal.h>

#include <mutex>

namespace pjd::gdal {

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
  });
}

}  // namespace pjd::gdal
