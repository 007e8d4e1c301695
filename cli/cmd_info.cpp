// pjd info STACK [--format text|json]
#include <iostream>

#include "command.hpp"
#include "options.hpp"
#include "pjd/info.hpp"

namespace pjd::cli {
namespace {

void print_text(const nlohmann::json& j) {
  auto& o = std::cout;
  o << "file:            " << j["file"].get<std::string>() << "\n"
    << "pairs:           " << j["n_pairs"] << " (" << j["n_pairs_kept"] << " kept by dropIfgram)\n"
    << "dates:           " << j["n_dates"] << " (" << j["first_date"].get<std::string>() << " to "
    << j["last_date"].get<std::string>() << ")\n"
    << "size:            " << j["length"] << " rows x " << j["width"] << " columns\n"
    << "wavelength_m:    " << (j["wavelength_m"].is_null() ? std::string("unknown") : j["wavelength_m"].dump()) << "\n"
    << "orbit direction: " << (j["orbit_direction"].get<std::string>().empty() ? "unknown" : j["orbit_direction"].get<std::string>()) << "\n"
    << "platform:        " << j["platform"].get<std::string>() << "\n"
    << "looks:           " << j["alooks"] << " azimuth x " << j["rlooks"] << " range\n"
    << "coordinates:     " << (j["geocoded"].get<bool>() ? "geocoded" : "radar") << "\n"
    << "datasets:\n";
  for (const auto& [name, d] : j["datasets"].items()) {
    std::string shape, chunk = "contiguous";
    for (const auto& s : d["shape"]) shape += (shape.empty() ? "" : " x ") + s.dump();
    if (!d["chunk"].is_null()) {
      chunk.clear();
      for (const auto& s : d["chunk"]) chunk += (chunk.empty() ? "" : " x ") + s.dump();
    }
    char line[256];
    std::snprintf(line, sizeof line, "  %-18s %-8s %-22s chunk %-16s %s\n", name.c_str(),
                  d["dtype"].get<std::string>().c_str(), shape.c_str(), chunk.c_str(),
                  d["compression"].get<std::string>().c_str());
    o << line;
  }
}

const Registrar reg{{"info", "Describe a MintPy stack: pairs, dates, size, geometry, datasets",
                     [](CLI::App& sub) {
                       auto stack = std::make_shared<std::string>();
                       auto format = std::make_shared<std::string>("text");
                       sub.add_option("STACK", *stack, "MintPy directory or inputs/ifgramStack.h5")->required();
                       add_format_option(sub, *format, {"text", "json"});
                       return [stack, format]() {
                         const auto j = describe(Stack::open(*stack));
                         if (*format == "json")
                           std::cout << j.dump(2) << "\n";
                         else
                           print_text(j);
                         return 0;
                       };
                     }}};

}  // namespace
}  // namespace pjd::cli
