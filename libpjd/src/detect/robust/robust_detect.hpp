#pragma once
// detect_robust(): the robust method (share/docs/robust-method.md), streamed over the
// stack in one pass of blocks of pairs, like the published method; detect() dispatches here
// for params.method == "robust".
#include "pjd/detect.hpp"

namespace pjd {

/// `reuse`: per-pair profiles of an earlier run (published and segment profiles); those pairs
/// are not read, except for the columns around a cut between merged sub-swaths.
DetectResult detect_robust(const Stack& stack, const DetectParams& params, const ProgressFn& progress,
                           const ProfileCache* reuse = nullptr);

}  // namespace pjd
