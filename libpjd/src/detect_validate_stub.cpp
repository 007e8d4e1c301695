// TEMPORARY stub so the detect branch links: the real validate_params lives in
// detect_validate.cpp (another branch). The lead drops this file when merging.
#include <algorithm>

#include "pjd/detect.hpp"

namespace pjd {

DetectParams validate_params(const Stack& /*stack*/, const DetectParams& params) {
  DetectParams p = params;
  if (p.sub_x && p.sub_x->first > p.sub_x->second) std::swap(p.sub_x->first, p.sub_x->second);
  return p;
}

}  // namespace pjd
