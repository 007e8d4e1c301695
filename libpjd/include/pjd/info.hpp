#pragma once
// A stack's description as a JSON document (what `pjd info` prints).
#include <nlohmann/json.hpp>

#include "pjd/stack.hpp"

namespace pjd {

/// Keys: n_pairs, n_dates, n_pairs_kept, first_date, last_date, length, width,
/// wavelength_m, orbit_direction, platform, alooks, rlooks, geocoded, dates, pairs,
/// datasets {name: {dtype, shape, chunk, compression, filters}}, attributes, file.
nlohmann::json describe(const Stack& stack);

}  // namespace pjd
