#pragma once
// Machine-readable option listing (`pjd <command> --help-json`), so that front ends
// such as the QGIS provider can build their forms from the declaration in the CLI.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace pjd::cli {

/// {"command", "description", "options": [{"name", "names", "positional", "required",
/// "flag", "expected", "type", "default", "choices"?, "description"}]}. Help flags and
/// --help-json itself are left out.
nlohmann::json options_as_json(const CLI::App& app);

/// Adds a --help-json flag to `sub`; it prints options_as_json(sub) and exits 0 (through
/// CLI::Success, so required options are not checked).
void add_help_json(CLI::App& sub);

}  // namespace pjd::cli
