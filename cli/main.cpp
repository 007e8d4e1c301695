// pjd: thin front end. Parsing and printing here; all work is in libpjd.
#include <iostream>
#include <map>
#include <new>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "pjd/internal/json_problem.hpp"
#include "pjd/version.hpp"

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
  } catch (const nlohmann::json::exception& e) {
    // A JSON document the library did not name (each reader names its file; this is the last resort).
    std::cerr << "pjd " << chosen->get_name() << ": malformed JSON: " << pjd::json_problem(e) << "\n";
    return 3;
  } catch (const std::bad_alloc&) {
    std::cerr << "pjd " << chosen->get_name()
              << ": out of memory: the input's declared size (LENGTH x WIDTH of one pair) needs more memory than "
                 "this machine can give\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "pjd " << chosen->get_name() << ": " << e.what() << "\n";
    return 3;
  }
}
