#pragma once
// Subcommand registry: each cmd_*.cpp registers itself with PJD_COMMAND.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace pjd::cli {

struct Command {
  std::string name;
  std::string description;
  /// Declares the subcommand's options on `sub` and returns the action to run.
  std::function<std::function<int()>(CLI::App& sub)> setup;
};

std::vector<Command>& registry();

struct Registrar {
  explicit Registrar(Command c) { registry().push_back(std::move(c)); }
};

/// "auto" resolves to "bar" on a terminal and "none" otherwise.
std::string resolve_progress_mode(const std::string& mode);

/// The options of one (sub)command as JSON, for front ends that build forms from it
/// (the QGIS provider): name, flags, description, type, choices, default, required; and the
/// command's subcommands (name, description).
nlohmann::json help_json(const CLI::App& app, const std::string& command);

}  // namespace pjd::cli
