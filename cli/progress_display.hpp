#pragma once
// Terminal progress for long-running subcommands: a bar or JSON lines on stderr.
#include <string>

#include "pjd/progress.hpp"

namespace pjd::cli {

/// A ProgressFn for a resolved mode: "bar" draws a bar on stderr, "json" prints
/// {"progress": 0.42, "stage": "simulate"} lines on stderr, "none" (or anything else)
/// returns an empty function. Call finish_progress(mode) once the work is done.
ProgressFn make_progress_display(const std::string& mode);
/// Ends the bar's line (bar mode only).
void finish_progress(const std::string& mode);

}  // namespace pjd::cli
