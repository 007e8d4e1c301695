#pragma once
// Progress is a callback handed in by the caller (CLI bar, JSON lines, QGIS feedback).
#include <functional>
#include <string_view>

namespace pjd {

/// fraction in [0, 1]; stage is a short label such as "read" or "refine".
using ProgressFn = std::function<void(double fraction, std::string_view stage)>;

inline void report(const ProgressFn& fn, double fraction, std::string_view stage) {
  if (fn) fn(fraction, stage);
}

}  // namespace pjd
