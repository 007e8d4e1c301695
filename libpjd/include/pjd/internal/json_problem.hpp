#pragma once
// nlohmann/json's exception text made readable: the "[json.exception.type_error.302] "
// identifier dropped, keeping what a user can act on ("parse error at line 3, column 1: ...").
#include <string>

#include <nlohmann/json.hpp>

namespace pjd {

inline std::string json_problem(const nlohmann::json::exception& e) {
  std::string text = e.what();
  if (text.rfind("[json.exception.", 0) == 0) {
    const auto end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

}  // namespace pjd
