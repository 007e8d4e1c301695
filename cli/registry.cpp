// The subcommand registry and the helpers every command shares (--help-json, progress mode).
#include <unistd.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "pjd/catalog.hpp"

namespace pjd::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

std::string resolve_progress_mode(const std::string& mode) {
  if (mode != "auto") return mode;
  return isatty(STDERR_FILENO) ? "bar" : "none";
}

/// The options of one (sub)command as JSON, for front ends that build forms from it
/// (the QGIS provider): name, flags, description, type, choices, default, required; and the
/// command's subcommands (name, description).
nlohmann::json help_json(const CLI::App& app, const std::string& command) {
  nlohmann::json opts = nlohmann::json::array();
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_lnames().size() == 1 && (o->get_lnames()[0] == "help" || o->get_lnames()[0] == "help-json")) continue;
    nlohmann::json j;
    std::string name = o->get_positional() ? o->get_name() : (o->get_lnames().empty() ? o->get_snames().front() : o->get_lnames().front());
    j["name"] = name;
    j["positional"] = o->get_positional();
    j["flags"] = nlohmann::json::array();
    for (const auto& l : o->get_lnames()) j["flags"].push_back("--" + l);
    for (const auto& sn : o->get_snames()) j["flags"].push_back("-" + sn);
    j["description"] = o->get_description();
    std::string type = o->get_type_name();
    nlohmann::json choices = nullptr;
    if (auto b = type.find(":{"); b != std::string::npos) {
      choices = nlohmann::json::array();
      std::string list = type.substr(b + 2, type.find('}', b) - b - 2);
      std::stringstream ss(list);
      std::string item;
      while (std::getline(ss, item, ',')) choices.push_back(item);
      type = type.substr(0, b);
    }
    const bool flag = o->get_expected_min() == 0;
    j["type"] = flag ? "FLAG" : type;
    j["choices"] = choices;
    j["default"] = o->get_default_str().empty() ? nlohmann::json(nullptr) : nlohmann::json(o->get_default_str());
    // The catalogue's default depends on the environment: give the path it resolves to now.
    if (name == "catalog" && j["default"].is_null()) j["default"] = pjd::default_catalog_path().string();
    j["required"] = o->get_required();
    j["count"] = flag ? 0 : o->get_expected_max() >= 1 << 20 ? -1 : o->get_expected_max();
    opts.push_back(std::move(j));
  }
  nlohmann::json subs = nlohmann::json::array();
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    subs.push_back({{"name", sub->get_name()}, {"description", sub->get_description()}});
  return {{"command", command}, {"description", app.get_description()}, {"options", opts}, {"subcommands", subs}};
}

}  // namespace pjd::cli
