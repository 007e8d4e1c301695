#include "help_json.hpp"

#include <iostream>

namespace pjd::cli {

nlohmann::json options_as_json(const CLI::App& app) {
  nlohmann::json opts = nlohmann::json::array();
  for (const CLI::Option* o : app.get_options()) {
    const std::string single = o->get_single_name();
    if (single == "help" || single == "help-json" || single == "help-all") continue;
    nlohmann::json j;
    std::vector<std::string> names;
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    j["name"] = o->get_positional() ? o->get_name(true, false) : (o->get_lnames().empty() ? single : "--" + o->get_lnames().front());
    j["names"] = names;
    j["positional"] = o->get_positional() && !o->nonpositional();
    j["required"] = o->get_required();
    j["flag"] = o->get_items_expected_max() == 0;
    j["expected"] = o->get_items_expected_max() >= CLI::detail::expected_max_vector_size ? -1 : o->get_items_expected_max();
    j["type"] = o->get_type_name();
    j["default"] = o->get_default_str();
    j["description"] = o->get_description();
    opts.push_back(std::move(j));
  }
  return {{"command", app.get_name()}, {"description", app.get_description()}, {"options", opts}};
}

void add_help_json(CLI::App& sub) {
  sub.add_flag_callback(
      "--help-json",
      [&sub]() {
        std::cout << options_as_json(sub).dump(2) << "\n";
        throw CLI::Success();
      },
      "Print the options as JSON and exit");
}

}  // namespace pjd::cli
