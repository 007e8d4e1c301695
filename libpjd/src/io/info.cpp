#include "pjd/info.hpp"

namespace pjd {

nlohmann::json describe(const Stack& stack) {
  nlohmann::json j;
  const auto dates = stack.dates();
  j["file"] = stack.file().string();
  j["n_pairs"] = stack.n_pairs();
  j["n_dates"] = dates.size();
  std::size_t kept = 0;
  for (bool k : stack.keep()) kept += k ? 1 : 0;
  j["n_pairs_kept"] = kept;
  j["first_date"] = dates.empty() ? "" : dates.front();
  j["last_date"] = dates.empty() ? "" : dates.back();
  j["length"] = stack.length();
  j["width"] = stack.width();
  auto wl = stack.attributes().number("WAVELENGTH");
  j["wavelength_m"] = wl ? nlohmann::json(*wl) : nlohmann::json(nullptr);
  j["orbit_direction"] = stack.orbit_direction();
  j["platform"] = stack.platform();
  j["alooks"] = stack.alooks();
  j["rlooks"] = stack.rlooks();
  j["geocoded"] = stack.geocoded();
  j["dates"] = dates;
  auto& pairs = j["pairs"] = nlohmann::json::array();
  for (const auto& p : stack.pairs()) pairs.push_back(p.name());
  auto& ds = j["datasets"] = nlohmann::json::object();
  for (const auto& [name, info] : stack.datasets()) {
    ds[name] = {{"dtype", info.dtype},
                {"shape", info.shape},
                {"chunk", info.chunk.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.chunk)},
                {"compression", info.compression()},
                {"filters", info.filters}};
  }
  j["attributes"] = stack.attributes().all();
  return j;
}

}  // namespace pjd
