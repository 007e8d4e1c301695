#include "catalog/sqlite_util.hpp"

#include <cmath>

#include "pjd/error.hpp"

namespace pjd::sql {

void fail(sqlite3* db, const std::string& file, const std::string& what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  std::string reason;
  switch (code & 0xff) {
    case SQLITE_FULL: reason = "the disk is full"; break;
    case SQLITE_READONLY: reason = "the catalogue is read-only (file or directory permissions)"; break;
    case SQLITE_CANTOPEN: reason = "cannot open the file"; break;
    case SQLITE_NOTADB: reason = "not a catalogue (not an SQLite database)"; break;
    case SQLITE_CORRUPT: reason = "the catalogue is damaged"; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: reason = "the catalogue stayed locked by another process"; break;
    case SQLITE_IOERR: reason = "input/output error"; break;
    default: reason = db ? sqlite3_errmsg(db) : "unknown error"; break;
  }
  throw Error(ErrorKind::Data, file, what + ": " + reason);
}

Statement::Statement(sqlite3* db, const std::string& file, const std::string& sql) : db_(db), file_(file) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail(db, file, "cannot prepare query");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  if (std::isnan(v))
    sqlite3_bind_null(stmt_, i);
  else
    sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int i, std::optional<double> v) { return v ? bind(i, *v) : bind_null(i); }
Statement& Statement::bind(int i, std::optional<std::string> v) { return v ? bind(i, *v) : bind_null(i); }
Statement& Statement::bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bind_null(i); }
Statement& Statement::bind_blob(int i, const std::vector<unsigned char>& v) {
  sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, file_, "query failed");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::real(int col) const { return is_null(col) ? NAN : sqlite3_column_double(stmt_, col); }
std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
}
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::vector<unsigned char> Statement::blob(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
}
nlohmann::json Statement::value(int col) const {
  switch (sqlite3_column_type(stmt_, col)) {
    case SQLITE_NULL: return nullptr;
    case SQLITE_INTEGER: return int64(col);
    case SQLITE_FLOAT: return sqlite3_column_double(stmt_, col);
    default: return text(col);
  }
}
int Statement::columns() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int col) const { return sqlite3_column_name(stmt_, col); }

void exec(sqlite3* db, const std::string& file, const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    sqlite3_free(msg);
    fail(db, file, "catalogue update failed");
  }
}

}  // namespace pjd::sql
