#pragma once
// detect_robust(): the robust method (share/docs/robust-method.md), streamed over the
// stack in one pass of blocks of pairs, like the published method; detect() dispatches here
// for params.method == "robust".
#include "pjd/detect.hpp"

namespace pjd {

DetectResult detect_robust(const Stack& stack, const DetectParams& params, const ProgressFn& progress);

}  // namespace pjd
