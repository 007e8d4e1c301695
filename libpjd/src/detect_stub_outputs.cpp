// TEMPORARY (branch `outputs`): stand-ins for detect() and to_json(), which are being
// written in another branch. They let the outputs/CLI code link. Delete at merge.
#include "pjd/detect.hpp"
#include "pjd/error.hpp"

namespace pjd {

DetectResult detect(const Stack& stack, const DetectParams& params, const ProgressFn&) {
  validate_params(stack, params);
  throw Error(ErrorKind::Data, stack.file().string(), "detect() is not implemented in this build (stub)");
}

nlohmann::json to_json(const DetectResult&) {
  throw Error(ErrorKind::Data, "", "to_json() is not implemented in this build (stub)");
}

}  // namespace pjd
