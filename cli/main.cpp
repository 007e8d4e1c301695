// pjd: thin front end. Parsing and printing here; all work is in libpjd.
#include <unistd.h>

#include <iostream>
#include <map>

#include "command.hpp"
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
          std::cout << sub->help();
          return 0;
        }
      }
      std::cerr << "pjd: unknown command '" << help_topic << "'\n";
      return 2;
    }
    std::cout << app.help();
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
