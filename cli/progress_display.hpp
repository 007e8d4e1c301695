#pragma once
// Progress front ends for the CLI: the library reports (fraction, stage) through a
// pjd::ProgressFn; these turn it into something on stderr.
#include <cstdio>
#include <string>

#include "pjd/progress.hpp"

namespace pjd::cli {

/// A progress callback for `mode`:
///   "bar"  a bar redrawn in place on `out`, only when `out` is a terminal (else silent);
///   "json" one line per step, `{"progress": 0.42, "stage": "read"}`, flushed at once
///          (for QGIS and scripts; emitted when the value moves by >= 0.01, the stage
///          changes, or the work completes);
///   "none" (or "auto" on a non-terminal) an empty function.
/// "auto" means "bar" on a terminal and "none" otherwise. The callback is thread-safe.
/// Throws pjd::Error (Usage) for an unknown mode.
ProgressFn make_progress(const std::string& mode, std::FILE* out = stderr);

}  // namespace pjd::cli
