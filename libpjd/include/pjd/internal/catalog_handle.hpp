#pragma once
// Test hooks into the catalogue (not part of the public API).
#include <sqlite3.h>

#include <filesystem>

#include "pjd/catalog.hpp"

namespace pjd::detail {
/// Creates a catalogue holding only layouts 1..layout (to test upgrades).
void create_catalog_at_layout(const std::filesystem::path& file, int layout);
/// The catalogue's SQLite connection.
sqlite3* raw_handle(Catalog& catalog);
}  // namespace pjd::detail
