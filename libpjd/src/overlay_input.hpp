#pragma once
// Private: a DetectResult from a summary.json document (just the fields the overlay
// needs). To be replaced by detect's own from_json once it exists.
#include <nlohmann/json.hpp>

#include "pjd/detect.hpp"

namespace pjd {

/// Reads schema_version, stack_file, length, width, x0, x1, orbit_direction, platform,
/// params {n_burst, method, pj_thr_mm}, seams [{row, votes, median_grad_mm}] and pairs
/// [{pair, ramp_mm, excluded, skipped}]. Only stack_file, length, width and seams are
/// required; x1 missing or 0 means the full width; null numbers mean "not available".
/// Throws nlohmann::json::exception on wrong types and std::invalid_argument for a
/// missing required key or an impossible value.
DetectResult result_from_json(const nlohmann::json& j);

}  // namespace pjd
