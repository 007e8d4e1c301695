#pragma once
// Private: what every detection method puts in its result before the work starts.
#include <filesystem>

#include "pjd/detect.hpp"

namespace pjd {

/// A result holding the (validated) parameters, the stack's identity and the analysed
/// columns [x0, x1).
inline DetectResult begin_result(const Stack& stack, const DetectParams& params) {
  DetectResult res;
  res.params = params;
  res.stack_file = std::filesystem::weakly_canonical(std::filesystem::absolute(stack.file())).string();
  res.length = stack.length();
  res.width = stack.width();
  res.n_pairs_stack = stack.n_pairs();
  res.orbit_direction = stack.orbit_direction();
  res.platform = stack.platform();
  res.wavelength_m = stack.wavelength_m();
  const auto dates = stack.dates();
  if (!dates.empty()) {
    res.first_date = dates.front();
    res.last_date = dates.back();
  }
  res.x0 = params.sub_x ? params.sub_x->first : 0;
  res.x1 = params.sub_x ? params.sub_x->second : stack.width();
  return res;
}

}  // namespace pjd
