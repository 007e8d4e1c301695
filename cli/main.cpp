// pjd: thin front end. Parsing and printing here; all work is in libpjd.
#include <unistd.h>

#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "pjd/version.hpp"

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

int main(int argc, char** argv) {
  using namespace pjd::cli;
  CLI::App app{"pjd: find, measure and remove phase jumps at Sentinel-1 TOPS burst seams"};
  app.set_version_flag("--version", std::string("pjd ") + pjd::kVersion);
  app.require_subcommand(0, 1);
  app.fallthrough(false);

  std::map<CLI::App*, std::function<int()>> actions;
  auto& commands = registry();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    actions[sub] = c.setup(*sub);
  }
  CLI::App* help = app.add_subcommand("help", "Show help for pjd or for one subcommand");
  std::string help_topic;
  help->add_option("command", help_topic, "Subcommand to describe");

  // `pjd COMMAND [SUB] --help-json`: the command's options as JSON, without running it.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) != "--help-json") continue;
    const CLI::App* target = &app;
    std::string name = "pjd";
    for (int k = 1; k < i; ++k) {
      const CLI::App* next = nullptr;
      for (const CLI::App* sub : target->get_subcommands([](const CLI::App*) { return true; }))
        if (sub->get_name() == argv[k]) next = sub;
      if (!next) break;
      target = next;
      name += std::string(" ") + argv[k];
    }
    std::cout << help_json(*target, name).dump(2) << "\n";
    return 0;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {  // e.g. --help-json printed its document
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "pjd: " << e.what() << " (see 'pjd help')\n";
    return 2;
  }

  if (help->parsed() || app.get_subcommands().empty()) {
    if (!help_topic.empty()) {
      for (auto* sub : app.get_subcommands({})) {
        if (sub->get_name() == help_topic) {
          std::cout << sub->get_formatter()->make_help(sub, "pjd " + help_topic, CLI::AppFormatMode::Normal);
          return 0;
        }
      }
      std::cerr << "pjd: unknown command '" << help_topic << "'\n";
      return 2;
    }
    std::cout << app.get_formatter()->make_help(&app, "pjd", CLI::AppFormatMode::Normal);
    return app.get_subcommands().empty() && argc > 1 ? 2 : 0;
  }

  CLI::App* chosen = app.get_subcommands().front();
  try {
    return actions.at(chosen)();
  } catch (const pjd::Error& e) {
    std::cerr << "pjd " << chosen->get_name() << ": " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "pjd " << chosen->get_name() << ": " << e.what() << "\n";
    return 3;
  }
}
