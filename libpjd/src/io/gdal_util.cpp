#include "io/gdal_util.hpp"

#include <gdal.h>

#include <mutex>

namespace pjd::gdal {

void init() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

Quiet::Quiet() {
  CPLPushErrorHandler(CPLQuietErrorHandler);
  CPLErrorReset();
}

Quiet::~Quiet() { CPLPopErrorHandler(); }

std::string last_message() {
  const char* m = CPLGetLastErrorMsg();
  return (m && *m) ? std::string(m) : std::string("unknown GDAL error");
}

}  // namespace pjd::gdal
