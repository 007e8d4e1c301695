#pragma once
// Reading a JSON document from a file, with pjd's one-line errors (Data, naming the file).
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "pjd/error.hpp"
#include "pjd/internal/json_problem.hpp"

namespace pjd {

inline nlohmann::json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw_data(file.string(), "cannot be read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw_data(file.string(), "is not valid JSON: " + json_problem(e));
  }
}

}  // namespace pjd
