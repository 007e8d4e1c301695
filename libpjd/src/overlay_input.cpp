// summary.json -> DetectResult for the overlay (see overlay_input.hpp).
#include "overlay_input.hpp"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "pjd/error.hpp"
#include "pjd/overlay.hpp"

namespace fs = std::filesystem;

namespace pjd {

namespace {

const nlohmann::json& required(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw std::invalid_argument(std::string("missing key '") + key + "'");
  return j.at(key);
}

template <typename T>
T optional_value(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.is_object() || !j.contains(key) || j.at(key).is_null()) return fallback;
  return j.at(key).get<T>();
}

double optional_number(const nlohmann::json& j, const char* key) {
  return optional_value<double>(j, key, NAN);
}

}  // namespace

DetectResult result_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("not a JSON object");
  DetectResult r;
  r.schema_version = optional_value<int>(j, "schema_version", kDetectSchemaVersion);
  r.stack_file = required(j, "stack_file").get<std::string>();
  r.length = required(j, "length").get<std::size_t>();
  r.width = required(j, "width").get<std::size_t>();
  r.x0 = optional_value<std::size_t>(j, "x0", 0);
  r.x1 = optional_value<std::size_t>(j, "x1", 0);
  if (r.x1 == 0) r.x1 = r.width;
  if (r.length == 0 || r.width == 0) throw std::invalid_argument("length and width must be positive");
  if (r.x0 >= r.x1 || r.x1 > r.width)
    throw std::invalid_argument("analysed columns [" + std::to_string(r.x0) + ", " + std::to_string(r.x1) +
                                ") do not fit the width " + std::to_string(r.width));
  r.orbit_direction = optional_value<std::string>(j, "orbit_direction", "");
  r.platform = optional_value<std::string>(j, "platform", "");
  if (j.contains("params") && j.at("params").is_object()) {
    const auto& p = j.at("params");
    r.params.n_burst = optional_value<int>(p, "n_burst", 0);
    r.params.method = optional_value<std::string>(p, "method", r.params.method);
    r.params.pj_thr_mm = optional_value<double>(p, "pj_thr_mm", r.params.pj_thr_mm);
  }
  for (const auto& s : required(j, "seams")) {
    SeamRow seam;
    seam.row = required(s, "row").get<std::size_t>();
    seam.votes = optional_value<std::size_t>(s, "votes", 0);
    seam.median_grad_mm = optional_number(s, "median_grad_mm");
    if (seam.row >= r.length)
      throw std::invalid_argument("seam row " + std::to_string(seam.row) + " is outside the " +
                                  std::to_string(r.length) + " rows");
    if (!r.seams.empty() && seam.row <= r.seams.back().row)
      throw std::invalid_argument("seam rows are not in ascending order");
    r.seams.push_back(seam);
  }
  if (j.contains("pairs") && j.at("pairs").is_array()) {
    for (const auto& p : j.at("pairs")) {
      PairResult pr;
      pr.pair = optional_value<std::string>(p, "pair", "");
      if (p.contains("ramp_mm") && !p.at("ramp_mm").is_null()) pr.ramp_mm = p.at("ramp_mm").get<double>();
      pr.excluded = optional_value<bool>(p, "excluded", false);
      pr.skipped = optional_value<bool>(p, "skipped", false);
      r.pairs.push_back(pr);
    }
  }
  return r;
}

LoadedResult read_result_summary(const fs::path& result) {
  std::error_code ec;
  const fs::path file = fs::is_directory(result, ec) ? result / "summary.json" : result;
  const std::string name = file.string();
  if (!fs::exists(file, ec)) throw_data(name, "no such file (expected the summary.json of a pjd detect run)");
  std::ifstream in(file);
  if (!in) throw_data(name, "cannot open for reading");
  LoadedResult out;
  out.summary_file = file;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    out.result = result_from_json(j);
    if (j.contains("run_id") && j.at("run_id").is_string()) out.run_id = j.at("run_id").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw_data(name, std::string("malformed summary: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw_data(name, std::string("malformed summary: ") + e.what());
  }
  // The stack as written; a relative path that does not exist from here is taken
  // relative to the result directory.
  fs::path stack = out.result.stack_file;
  if (stack.is_relative() && !fs::exists(stack, ec)) stack = file.parent_path() / stack;
  out.stack_file = stack;
  return out;
}

fs::path geometry_path_for_stack_file(const fs::path& stack_file) {
  std::error_code ec;
  // A MintPy directory (holding inputs/) or the ifgramStack.h5 file itself.
  if (fs::is_directory(stack_file, ec)) return stack_file / "inputs" / "geometryRadar.h5";
  return fs::absolute(stack_file).parent_path() / "geometryRadar.h5";
}

}  // namespace pjd
