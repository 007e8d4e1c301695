#pragma once
// Subcommand registry: each cmd_*.cpp registers itself with PJD_COMMAND.
#include <CLI/CLI.hpp>

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

}  // namespace pjd::cli
