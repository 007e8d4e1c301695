#pragma once
// Private SQLite helpers: RAII statement, typed binding, errors as pjd::Error.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pjd::sql {

/// Raises pjd::Error naming the file; SQLITE_FULL, SQLITE_READONLY and friends are
/// turned into plain words.
[[noreturn]] void fail(sqlite3* db, const std::string& file, const std::string& what);

class Statement {
 public:
  Statement(sqlite3* db, const std::string& file, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, std::size_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  Statement& bind(int i, double v);  ///< NaN binds NULL
  Statement& bind(int i, const std::string& v);
  Statement& bind(int i, const char* v) { return bind(i, std::string(v)); }
  Statement& bind(int i, std::optional<double> v);
  Statement& bind(int i, std::optional<std::string> v);
  Statement& bind(int i, std::optional<std::int64_t> v);
  Statement& bind_blob(int i, const std::vector<unsigned char>& v);
  Statement& bind_null(int i);

  /// Steps once; true when a row is available.
  bool step();
  /// Steps to completion (for statements without results).
  void run();
  void reset();

  std::int64_t int64(int col) const;
  double real(int col) const;  ///< NULL -> NaN
  std::string text(int col) const;
  bool is_null(int col) const;
  std::vector<unsigned char> blob(int col) const;
  /// The column as a JSON scalar (null, integer, real, string).
  nlohmann::json value(int col) const;
  int columns() const;
  std::string column_name(int col) const;

 private:
  sqlite3* db_;
  std::string file_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// Executes SQL without results (may hold several statements).
void exec(sqlite3* db, const std::string& file, const std::string& sql);

}  // namespace pjd::sql
