// Reading a pjd detect result directory back (see pjd/outputs.hpp).
#include <nlohmann/json.hpp>

#include "core/json_file.hpp"
#include "pjd/outputs.hpp"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "pjd/error.hpp"
#include "pjd/detect.hpp"

namespace fs = std::filesystem;

namespace pjd {

LoadedResult read_result_summary(const fs::path& result) {
  std::error_code ec;
  const fs::path file = fs::is_directory(result, ec) ? result / "summary.json" : result;
  const std::string name = file.string();
  if (!fs::exists(file, ec)) throw_data(name, "no such file (expected the summary.json of a pjd detect run)");
  if (!fs::is_regular_file(file, ec)) throw_data(name, "not a regular file (expected the summary.json of a pjd detect run)");
  std::ifstream in(file);
  if (!in) throw_data(name, "cannot open for reading");
  LoadedResult out;
  out.summary_file = file;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    out.result = result_from_json(j, name);
    if (j.contains("run_id") && j.at("run_id").is_string()) out.run_id = j.at("run_id").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw_data(name, "malformed summary: " + json_problem(e));
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
