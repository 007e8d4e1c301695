#pragma once
// Printing pjd::Table results: aligned text for people, CSV and JSON for scripts.
#include <ostream>
#include <string>

#include "pjd/catalog.hpp"

namespace pjd::cli {

/// format: "text" | "csv" | "json".
void print_table(std::ostream& out, const Table& table, const std::string& format);

}  // namespace pjd::cli
