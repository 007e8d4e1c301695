#include "table_output.hpp"

#include <algorithm>

namespace pjd::cli {
namespace {

std::string cell_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void print_table(std::ostream& out, const Table& t, const std::string& format) {
  if (format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : t.rows) {
      nlohmann::json o = nlohmann::json::object();
      for (std::size_t c = 0; c < t.columns.size(); ++c) o[t.columns[c]] = r[c];
      rows.push_back(std::move(o));
    }
    nlohmann::json doc = {{"columns", t.columns}, {"rows", rows}};
    if (!t.notes.empty()) doc["notes"] = t.notes;
    out << doc.dump(2) << "\n";
    return;
  }
  if (format == "csv") {
    for (std::size_t c = 0; c < t.columns.size(); ++c) out << (c ? "," : "") << csv_escape(t.columns[c]);
    out << "\n";
    for (const auto& r : t.rows) {
      for (std::size_t c = 0; c < r.size(); ++c) out << (c ? "," : "") << csv_escape(cell_text(r[c]));
      out << "\n";
    }
    return;
  }
  for (const auto& n : t.notes) out << n << "\n";
  std::vector<std::size_t> w(t.columns.size());
  for (std::size_t c = 0; c < t.columns.size(); ++c) w[c] = t.columns[c].size();
  for (const auto& r : t.rows)
    for (std::size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], cell_text(r[c]).size());
  auto line = [&](auto get) {
    std::string s;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      std::string v = get(c);
      if (c + 1 < t.columns.size()) v.resize(w[c], ' ');
      s += (c ? "  " : "") + v;
    }
    out << s << "\n";
  };
  line([&](std::size_t c) { return t.columns[c]; });
  line([&](std::size_t c) { return std::string(w[c], '-'); });
  for (const auto& r : t.rows) line([&](std::size_t c) { return cell_text(r[c]); });
  if (t.rows.empty()) out << "(none)\n";
}

}  // namespace pjd::cli
