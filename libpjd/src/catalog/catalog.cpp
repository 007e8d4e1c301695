#include "pjd/catalog.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "pjd/internal/catalog_handle.hpp"
#include "io/gdal_util.hpp"
#include "pjd/error.hpp"
#include "pjd/version.hpp"
#include "catalog/sqlite_util.hpp"
#include "core/time_util.hpp"
#include "io/pair_digest.hpp"

namespace pjd {

namespace detail {
const std::vector<std::string_view>& catalog_layouts();  // generated from db/layout_*.sql
}

namespace fs = std::filesystem;
using sql::Statement;

int catalog_layout_version() { return static_cast<int>(detail::catalog_layouts().size()); }

fs::path default_catalog_path() {
  if (const char* env = std::getenv("PJD_CATALOG"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return fs::path(xdg) / "pjd" / "catalog.gpkg";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".local" / "share" / "pjd" / "catalog.gpkg";
}

// ---------------------------------------------------------------- fingerprints

namespace {

/// FNV-1a, 64 bits: a stable, non-cryptographic content hash.
struct Fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  }
  void add(const std::string& s) {
    add(s.data(), s.size());
    add("\x1f", 1);
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
};

std::vector<float> sample_column(const Stack& stack, std::size_t pair) {
  const std::size_t col = stack.width() / 2;
  std::vector<float> v(stack.length());
  stack.read("unwrapPhase", pair, pair + 1, col, col + 1, v.data());
  return v;
}


std::vector<unsigned char> pack(const void* data, std::size_t bytes) {
  std::size_t out_size = 0;
  void* out = CPLZLibDeflate(data, bytes, 6, nullptr, 0, &out_size);
  if (!out) throw Error(ErrorKind::Io, "", "cannot compress a profile");
  std::vector<unsigned char> v(static_cast<unsigned char*>(out), static_cast<unsigned char*>(out) + out_size);
  VSIFree(out);
  return v;
}

template <class T>
std::vector<T> unpack(const std::vector<unsigned char>& blob, std::size_t n) {
  std::vector<T> out(n);
  std::size_t got = 0;
  if (n > 0 && (!CPLZLibInflate(blob.data(), blob.size(), out.data(), n * sizeof(T), &got) || got != n * sizeof(T)))
    throw Error(ErrorKind::Data, "", "a stored profile is damaged");
  return out;
}

/// A pair's row counts as stored in counts_cts: little-endian int16 while every count fits
/// (what every catalogue held before counts could exceed 32767, bit for bit), else int32.
/// The width is told by the inflated size (2 or 4 bytes a row), so no layout change.
std::vector<unsigned char> pack_counts(const std::int32_t* counts, std::size_t n) {
  const bool narrow = std::all_of(counts, counts + n, [](std::int32_t c) {
    return c >= std::numeric_limits<std::int16_t>::min() && c <= std::numeric_limits<std::int16_t>::max();
  });
  if (!narrow) return pack(counts, n * sizeof(std::int32_t));
  std::vector<std::int16_t> v(counts, counts + n);
  return pack(v.data(), n * sizeof(std::int16_t));
}

std::vector<std::int32_t> unpack_counts(const std::vector<unsigned char>& blob, std::size_t n) {
  std::vector<std::int32_t> out(n);
  if (n == 0) return out;
  std::size_t got = 0;
  if (!CPLZLibInflate(blob.data(), blob.size(), out.data(), n * sizeof(std::int32_t), &got))
    throw Error(ErrorKind::Data, "", "a stored profile is damaged");
  if (got == n * sizeof(std::int32_t)) return out;
  if (got != n * sizeof(std::int16_t)) throw Error(ErrorKind::Data, "", "a stored profile is damaged");
  // int16 values in the first 2n bytes: widen in place from the end.
  const auto* narrow = reinterpret_cast<const unsigned char*>(out.data());
  for (std::size_t i = n; i-- > 0;) {
    std::int16_t v;
    std::memcpy(&v, narrow + i * sizeof v, sizeof v);
    out[i] = v;
  }
  return out;
}

constexpr const char* kTrackKeys[] = {"trackNumber", "TRACK", "relative_orbit", "relativeOrbit"};
constexpr double kMaxTrack = 100000;  // relative orbits: Sentinel-1 has 175

/// The relative orbit the stack's attributes give (the first of kTrackKeys that is a whole
/// number >= 1), if any. check_recordable() refuses the values that are numbers but no track.
std::optional<int> track_of(const Attributes& a) {
  for (const char* key : kTrackKeys)
    if (auto v = a.number(key); v && std::isfinite(*v) && *v >= 1 && *v <= kMaxTrack && *v == std::floor(*v))
      return static_cast<int>(*v);
  return std::nullopt;
}

}  // namespace

namespace {

/// The identity, computed as it always was (so that catalogues keep recognising their
/// stacks): dimensions, key attributes, the first pair and a sample of its values.
Fnv identity_hash(const Stack& stack) {
  Fnv id;
  const auto& a = stack.attributes();
  id.add(std::to_string(stack.length()));
  id.add(std::to_string(stack.width()));
  for (const char* key : {"WAVELENGTH", "ORBIT_DIRECTION", "PLATFORM", "ALOOKS", "RLOOKS", "beam_swath",
                          "STARTING_RANGE", "trackNumber"})
    id.add(a.get(key));
  id.add(stack.pairs().front().name());
  const auto first = sample_column(stack, 0);
  id.add(first.data(), first.size() * sizeof(float));
  return id;
}

}  // namespace

void check_recordable(const Stack& stack, const RunLabels& labels) {
  const std::string file = stack.file().string();
  const auto& a = stack.attributes();
  auto bad = [&](const std::string& key, const std::string& expected) {
    throw Error(ErrorKind::Data, file,
                "attribute " + key + " is '" + a.get(key) + "', expected " + expected + " (the catalogue stores it)");
  };
  // What pjd_stacks stores: track (> 0 or unknown), looks (> 0), wavelength (> 0).
  for (const char* key : kTrackKeys) {
    if (!a.has(key)) continue;
    const auto v = a.number(key);
    if (!v) continue;  // not a number (e.g. 'T123'): not taken as a track
    if (!std::isfinite(*v) || *v < 0 || *v > kMaxTrack || *v != std::floor(*v))
      bad(key, "a whole relative orbit number (0 to 100000; 0 = unknown)");
  }
  for (const char* key : {"ALOOKS", "RLOOKS"}) {
    if (!a.has(key)) continue;
    const auto v = a.number(key);
    if (!v || !std::isfinite(*v) || *v < 1 || *v > 10000 || *v != std::floor(*v))
      bad(key, "a whole number of looks (1 to 10000)");
  }
  if (a.has("WAVELENGTH")) {
    const auto v = a.number("WAVELENGTH");
    if (!v || !std::isfinite(*v) || *v <= 0) bad("WAVELENGTH", "a positive radar wavelength in metres");
  }
  // What pjd_run_pairs stores: each pair once (UNIQUE (run_id, pair)), dated YYYYMMDD.
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < stack.n_pairs(); ++i) {
    const auto& p = stack.pairs()[i];
    const std::string name = p.name();
    if (p.ref.size() != 8 || p.sec.size() != 8)
      throw Error(ErrorKind::Data, file, "pair " + std::to_string(i) + " of 'date' (" + name + ") is not YYYYMMDD_yyyymmdd");
    if (p.ref == p.sec)
      throw Error(ErrorKind::Data, file,
                  "pair " + std::to_string(i) + " of 'date' is " + name + ": both dates are the same day");
    const auto [it, fresh] = seen.emplace(name, i);
    if (!fresh)
      throw Error(ErrorKind::Data, file,
                  "pair " + std::to_string(i) + " of 'date' (" + name + ") repeats pair " + std::to_string(it->second) +
                      " (the catalogue records each pair once per run)");
  }
  if (labels.track && (*labels.track < 1 || *labels.track > kMaxTrack))
    throw Error(ErrorKind::Usage, file,
                "--track must be a relative orbit number from 1 to 100000, got " + std::to_string(*labels.track));
}

StackFingerprint fingerprint_stack(const Stack& stack) {
  const Fnv id = identity_hash(stack);
  // The fingerprint: the identity, every pair with its dropIfgram flag and the digest of
  // its stored data (io/pair_digest.hpp), so that any change to any pair's data changes it.
  StackFingerprint out;
  out.file_stat = file_stat(stack.file()).key();  // before the data are read
  const auto digests = pair_digests(stack);
  Fnv fp = id;
  fp.add("pair digests 1");  // layout 6's fingerprint, never equal to an older one
  out.pair_names.reserve(stack.n_pairs());
  out.pair_digests.reserve(stack.n_pairs());
  for (std::size_t i = 0; i < stack.n_pairs(); ++i) {
    out.pair_names.push_back(stack.pairs()[i].name());
    out.pair_digests.push_back(digest_hex(digests[i]));
    fp.add(out.pair_names.back());
    fp.add(stack.keep()[i] ? "1" : "0");
    fp.add(out.pair_digests.back());
  }
  out.identity = id.hex();
  out.fingerprint = fp.hex();
  return out;
}

namespace {

/// Pair name -> digest of its data now; "" for a name the stack holds twice with different
/// data (never reused).
std::map<std::string, std::string> digest_map(const StackFingerprint& fp) {
  std::map<std::string, std::string> m;
  for (std::size_t i = 0; i < fp.pair_names.size() && i < fp.pair_digests.size(); ++i) {
    auto [it, fresh] = m.emplace(fp.pair_names[i], fp.pair_digests[i]);
    if (!fresh && it->second != fp.pair_digests[i]) it->second.clear();
  }
  return m;
}

}  // namespace

// ---------------------------------------------------------------- opening

struct Catalog::Impl {
  fs::path file;
  sqlite3* db = nullptr;
  int layout = 0;
  bool read_only = false;

  ~Impl() {
    if (db) sqlite3_close_v2(db);
  }
  std::string name() const { return file.string(); }
  [[noreturn]] void fail(const std::string& what) const { sql::fail(db, name(), what); }
  void exec(const std::string& s) const { sql::exec(db, name(), s); }
  Statement stmt(const std::string& s) const { return Statement(db, name(), s); }

  /// BEGIN IMMEDIATE ... COMMIT, rolled back on any exception.
  template <class F>
  void transaction(F&& body) {
    exec("BEGIN IMMEDIATE");
    try {
      body();
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  int read_layout() const {
    Statement s = stmt("SELECT value FROM pjd_metadata WHERE key = 'layout_version'");
    if (!s.step()) throw Error(ErrorKind::Data, name(), "not a pjd catalogue (no layout version)");
    const std::string v = s.text(0);
    int n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1)
      throw Error(ErrorKind::Data, name(), "not a pjd catalogue (layout version '" + v + "')");
    return n;
  }

  bool has_table(const std::string& table) const {
    Statement s = stmt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
    s.bind(1, table).step();
    return s.int64(0) > 0;
  }
  bool has_column(const std::string& table, const std::string& column) const {
    Statement s = stmt("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
    s.bind(1, table).bind(2, column).step();
    return s.int64(0) > 0;
  }

  /// Before layout 5 the map layers were made by GDAL on the first overlay, and those made
  /// before layout 4 have no subswath field: layout 5 declares the layers (CREATE TABLE IF
  /// NOT EXISTS, so it leaves existing ones as they are), and this gives the old ones the field.
  void complete_old_map_layers() {
    for (const char* table : {"pjd_seams", "pjd_bursts"})
      if (has_table(table) && !has_column(table, "subswath"))
        exec(std::string("ALTER TABLE \"") + table + "\" ADD COLUMN \"subswath\" TEXT");
  }

  /// Applies layouts (from, to] and records the version. Caller holds a transaction, with
  /// foreign keys off (layouts may rebuild a table; see upgrade()).
  void apply_layouts(int from, int to) {
    const auto& layouts = detail::catalog_layouts();
    for (int v = from + 1; v <= to; ++v) {
      if (v == 5) complete_old_map_layers();
      exec(std::string(layouts[static_cast<std::size_t>(v - 1)]));
    }
    Statement s = stmt(
        "INSERT INTO pjd_metadata (key, value) VALUES ('layout_version', ?1) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.bind(1, std::to_string(to)).run();
  }

  /// Raises pjd::Error (Data) when any row points at a parent that is not there.
  void check_foreign_keys() const {
    Statement s = stmt("PRAGMA foreign_key_check");
    std::string found;
    std::size_t n = 0;
    while (s.step()) {
      if (++n <= 5)
        found += (found.empty() ? "" : ", ") + s.text(0) + " row " + s.text(1) + " (no " + s.text(2) + " row)";
    }
    if (n > 0)
      throw Error(ErrorKind::Data, name(),
                  "the upgrade would leave " + std::to_string(n) + " row(s) without their parent: " + found +
                      (n > 5 ? ", ..." : "") + "; the catalogue is left as it was");
  }

  /// Upgrades to layout `to` in one transaction. Foreign keys are off meanwhile (a
  /// PRAGMA that has no effect inside a transaction), so that a layout rebuilding a
  /// parent table (DROP TABLE) does not cascade deletes into its children; every
  /// reference is checked before the commit, and foreign keys are on again after.
  void upgrade(int to) {
    exec("PRAGMA foreign_keys = OFF");
    try {
      transaction([&] {
        const int now = read_layout();  // another process may have upgraded meanwhile
        if (now < to) {
          apply_layouts(now, to);
          check_foreign_keys();
        }
      });
    } catch (...) {
      sqlite3_exec(db, "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
      throw;
    }
    exec("PRAGMA foreign_keys = ON");
    layout = to;
  }
};

namespace {

bool is_sqlite(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char head[16] = {};
  in.read(head, 16);
  return in.gcount() == 16 && std::memcmp(head, "SQLite format 3\0", 16) == 0;
}

/// How a connection reads the file: to write, to read (taking SQLite's shared locks, as
/// other processes may be writing), or as a file nobody changes meanwhile (no locks, no
/// -wal or -shm file made: SQLite's immutable=1).
enum class Access { ReadWrite, ReadOnly, Immutable };

/// "file:/abs/path" with everything but unreserved characters percent-encoded.
std::string sqlite_uri(const fs::path& file) {
  std::error_code ec;
  const std::string abs = fs::absolute(file, ec).string();
  std::string out = "file:";
  for (const unsigned char c : abs) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    }
  }
  return out;
}

/// The envelope [minx, maxx, miny, maxy] of a GeoPackage geometry blob, from its header or
/// else its WKB; false when it is not one. `empty`: the geometry is empty.
bool blob_envelope(const unsigned char* b, int n, double env[4], bool& empty) {
  if (!b || n < 8 || b[0] != 'G' || b[1] != 'P') return false;
  const int flags = b[3];
  const int kind = (flags >> 1) & 7;
  static constexpr int kEnvelopeBytes[] = {0, 32, 48, 48, 64};
  if (kind > 4) return false;
  empty = (flags & 0x10) != 0;
  if (empty) return true;
  const int header = 8 + kEnvelopeBytes[kind];
  if (n < header) return false;
  if (kind >= 1 && (flags & 1) != 0) {  // little-endian envelope (what GDAL and pjd write)
    std::memcpy(env, b + 8, 32);
    return true;
  }
  OGRGeometry* g = nullptr;
  if (OGRGeometryFactory::createFromWkb(b + header, nullptr, &g, n - header) != OGRERR_NONE || !g) return false;
  empty = g->IsEmpty();
  OGREnvelope e;
  g->getEnvelope(&e);
  OGRGeometryFactory::destroyGeometry(g);
  env[0] = e.MinX;
  env[1] = e.MaxX;
  env[2] = e.MinY;
  env[3] = e.MaxY;
  return true;
}

/// ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY, ST_MaxY of GeoPackage geometry blobs: what the
/// map layers' R-tree triggers call (GDAL defines them on its own connections), so that
/// pjd's connection writes a run's map features in the run's own transaction.
void st_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto which = reinterpret_cast<std::intptr_t>(sqlite3_user_data(ctx));
  double env[4];
  bool empty = false;
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB ||
      !blob_envelope(static_cast<const unsigned char*>(sqlite3_value_blob(argv[0])), sqlite3_value_bytes(argv[0]), env,
                     empty)) {
    sqlite3_result_null(ctx);
  } else if (which == 0) {
    sqlite3_result_int(ctx, empty ? 1 : 0);
  } else if (empty) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_double(ctx, env[which - 1]);
  }
}

void add_st_functions(sqlite3* db) {
  const char* names[] = {"ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"};
  for (std::intptr_t i = 0; i < 5; ++i)
    sqlite3_create_function_v2(db, names[i], 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, reinterpret_cast<void*>(i),
                               st_function, nullptr, nullptr, nullptr);
}

sqlite3* open_db(const fs::path& file, Access access) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_FULLMUTEX;
  std::string name = file.string();
  switch (access) {
    case Access::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Access::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Access::Immutable:
      flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
      name = sqlite_uri(file) + "?immutable=1";
      break;
  }
  if (sqlite3_open_v2(name.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    throw Error(ErrorKind::Data, file.string(), "cannot open the catalogue: " + msg);
  }
  sqlite3_busy_timeout(db, 60000);
  sqlite3_extended_result_codes(db, 1);
  add_st_functions(db);
  return db;
}

/// Checks what is at `file` without opening it as a database: false when nothing is
/// there; throws pjd::Error (Data) for a directory, a FIFO or another non-regular file
/// (never opened, so never waited on), an empty file, or a file that is not SQLite.
bool existing_catalogue_file(const fs::path& file) {
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (st.type() == fs::file_type::not_found) return false;
  if (ec) throw Error(ErrorKind::Data, file.string(), "cannot access the catalogue: " + ec.message());
  if (fs::is_directory(st)) throw Error(ErrorKind::Data, file.string(), "is a directory, not a catalogue");
  if (!fs::is_regular_file(st))
    throw Error(ErrorKind::Data, file.string(),
                "is not a regular file (a FIFO, socket or device), not a catalogue");
  if (fs::file_size(file, ec) == 0 && !ec)
    throw Error(ErrorKind::Data, file.string(),
                "is an empty file, not a catalogue (remove it, and pjd creates a new catalogue there)");
  if (!is_sqlite(file)) throw Error(ErrorKind::Data, file.string(), "not a catalogue (not an SQLite/GeoPackage file)");
  return true;
}

/// What an existing SQLite file holds, read without changing a byte of it.
struct Probe {
  bool pjd = false;  ///< has pjd_metadata
  int layout = 0;
};

Probe probe_with(const fs::path& file, Access access) {
  Catalog::Impl impl;
  impl.file = file;
  impl.db = open_db(file, access);
  Probe p;
  p.pjd = impl.has_table("pjd_metadata");
  if (p.pjd) p.layout = impl.read_layout();
  return p;
}

/// Is the file a pjd catalogue, and of which layout? Read first as immutable (no lock, no
/// -wal or -shm file made next to a file that may not be ours), then, when that cannot
/// tell (a write under way, or a write-ahead log with content), with SQLite's locks.
Probe identify(const fs::path& file) {
  try {
    const Probe p = probe_with(file, Access::Immutable);
    std::error_code ec;
    const auto wal = fs::file_size(file.string() + "-wal", ec);
    if (p.pjd || ec || wal == 0) return p;
  } catch (const Error&) {
  }
  return probe_with(file, Access::ReadOnly);
}

/// Creates a new catalogue at `file`: a GeoPackage made by GDAL at a temporary name,
/// filled with every layout in one transaction, then linked into place (never over an
/// existing file, so two processes creating it at once both end up using one).
void create_catalog(const fs::path& file, int layout) {
  gdal::init();
  gdal::Quiet quiet;
  std::error_code ec;
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path(), ec);
  std::mt19937_64 rng(std::random_device{}());
  const fs::path tmp = file.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000);
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  if (!drv) throw Error(ErrorKind::Io, file.string(), "GDAL has no GPKG driver");
  GDALDataset* ds = drv->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (!ds) {
    throw Error(ErrorKind::Io, file.string(),
                "cannot create the catalogue: " + gdal::last_message());
  }
  GDALClose(ds);
  try {
    Catalog::Impl impl;
    impl.file = tmp;
    impl.db = open_db(tmp, Access::ReadWrite);
    impl.transaction([&] {
      impl.apply_layouts(0, layout);
    });
  } catch (const Error& e) {
    fs::remove(tmp, ec);
    throw Error(ErrorKind::Io, file.string(), e.problem());
  }
  if (::link(tmp.c_str(), file.c_str()) != 0 && errno != EEXIST) {
    const std::string why = std::strerror(errno);
    fs::remove(tmp, ec);
    throw Error(ErrorKind::Io, file.string(), "cannot create the catalogue: " + why);
  }
  fs::remove(tmp, ec);
}

[[noreturn]] void refuse_newer(const fs::path& file, int layout) {
  throw Error(ErrorKind::Data, file.string(),
              "catalogue layout " + std::to_string(layout) + " is newer than this pjd knows (" +
                  std::to_string(catalog_layout_version()) + "); use a newer pjd");
}

[[noreturn]] void refuse_foreign(const fs::path& file) {
  throw Error(ErrorKind::Data, file.string(),
              "not a pjd catalogue (an SQLite file without pjd_metadata table; left as it was)");
}

/// True when an SQLite error means that a read-only connection could not set up its
/// shared memory (no -shm file and no right to make one, or a read-only one).
bool cannot_share(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || code == SQLITE_IOERR_SHMOPEN ||
         code == SQLITE_IOERR_SHMSIZE || code == SQLITE_IOERR_SHMMAP || code == SQLITE_PERM;
}

/// The read-only connection of a query. A catalogue that nobody is writing (no -wal or
/// -journal file next to it: a writer in WAL mode keeps its -wal file while connected) is
/// read as immutable, which makes no file next to it: SQLite's read-only connections would
/// otherwise leave -wal and -shm files behind, owned by the reader and with the
/// catalogue's mode bits, which can lock its owner out of writing. A catalogue being
/// written is read with SQLite's locks and the writer's -shm file, so that the query sees
/// what writers committed; when that shared memory cannot be used (no right to it), as
/// immutable too.
sqlite3* open_for_queries(const fs::path& file) {
  std::error_code ec;
  const bool in_use = fs::exists(file.string() + "-wal", ec) || fs::exists(file.string() + "-journal", ec);
  if (!in_use) return open_db(file, Access::Immutable);
  sqlite3* db = open_db(file, Access::ReadOnly);
  const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return db;
  const int code = sqlite3_extended_errcode(db);
  if (!cannot_share(code)) {
    try {
      sql::fail(db, file.string(), "cannot read the catalogue");
    } catch (...) {
      sqlite3_close_v2(db);
      throw;
    }
  }
  sqlite3_close_v2(db);
  return open_db(file, Access::Immutable);
}

/// Copies the catalogue into memory (the file only read) and upgrades the copy, so that an
/// older catalogue can be queried without writing it.
void upgrade_in_memory(Catalog::Impl& impl, int to) {
  sqlite3* mem = nullptr;
  if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    sqlite3_close_v2(mem);
    throw Error(ErrorKind::Io, impl.name(), "cannot make a copy in memory to read an older catalogue layout");
  }
  sqlite3_extended_result_codes(mem, 1);
  add_st_functions(mem);
  sqlite3_backup* b = sqlite3_backup_init(mem, "main", impl.db, "main");
  const int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    const std::string why = sqlite3_errmsg(mem);
    sqlite3_close_v2(mem);
    throw Error(ErrorKind::Data, impl.name(), "cannot read the catalogue to query its older layout: " + why);
  }
  sqlite3_close_v2(impl.db);
  impl.db = mem;
  impl.exec("PRAGMA foreign_keys = ON");
  impl.upgrade(to);
}

}  // namespace

Catalog Catalog::open(const fs::path& file, Mode mode) {
  auto impl = std::make_unique<Impl>();
  impl->file = file;
  impl->read_only = mode == Mode::ReadOnly;
  const int current = catalog_layout_version();

  if (impl->read_only) {
    // Queries: never a write, never a journal-mode switch, never an upgrade of the file.
    if (!existing_catalogue_file(file)) throw Error(ErrorKind::Data, file.string(), "no catalogue here yet");
    impl->db = open_for_queries(file);
    if (!impl->has_table("pjd_metadata")) refuse_foreign(file);
    impl->exec("PRAGMA foreign_keys = ON");
    impl->layout = impl->read_layout();
    if (impl->layout > current) refuse_newer(file, impl->layout);
    if (impl->layout < current) upgrade_in_memory(*impl, current);
    return Catalog(std::move(impl));
  }

  if (!existing_catalogue_file(file)) create_catalog(file, current);
  existing_catalogue_file(file);  // what another process may have put there first
  // Nothing is written (not even the switch to WAL) before the file is known to be a pjd
  // catalogue this pjd can use.
  const Probe probe = identify(file);
  if (!probe.pjd) refuse_foreign(file);
  if (probe.layout > current) refuse_newer(file, probe.layout);
  struct stat st {};
  const bool no_write_bits = ::stat(file.c_str(), &st) == 0 && (st.st_mode & 0222) == 0;
  if (no_write_bits || ::access(file.c_str(), W_OK) != 0)
    throw Error(ErrorKind::Data, file.string(), "the catalogue is read-only (no write permission)");
  impl->db = open_db(file, Access::ReadWrite);
  impl->exec("PRAGMA foreign_keys = ON");
  {
    Statement wal = impl->stmt("PRAGMA journal_mode = WAL");
    wal.step();
  }
  impl->layout = impl->read_layout();
  if (impl->layout > current) refuse_newer(file, impl->layout);
  if (impl->layout < current) impl->upgrade(current);
  return Catalog(std::move(impl));
}

void detail::create_catalog_at_layout(const fs::path& file, int layout) { create_catalog(file, layout); }
sqlite3* detail::raw_handle(Catalog& catalog) { return catalog.impl_->db; }

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

const fs::path& Catalog::file() const { return impl_->file; }
int Catalog::layout_version() const { return impl_->layout; }

// ---------------------------------------------------------------- recording

namespace {

nlohmann::json stats_json(const PairResult& r) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"btemp_days", r.btemp_days},        {"coh_median", num(r.coh_median)},
          {"coh_mean", num(r.coh_mean)},       {"coh_std", num(r.coh_std)},
          {"grad_median_mm", num(r.grad_median_mm)}, {"grad_mean_mm", num(r.grad_mean_mm)},
          {"grad_std_mm", num(r.grad_std_mm)}, {"skipped", r.skipped}};
}

double json_num(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

}  // namespace

namespace {

std::string quote_id(const std::string& name) {
  std::string q = "\"";
  for (const char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// The map layers a catalogue has (of pjd_seams, pjd_bursts, pjd_footprint).
std::vector<std::string> map_tables(const Catalog::Impl& impl) {
  std::vector<std::string> t;
  for (const char* name : {"pjd_seams", "pjd_bursts", "pjd_footprint"})
    if (impl.has_table(name) && impl.has_column(name, "run")) t.push_back(name);
  return t;
}

/// Writes a run's features into one map layer (inside the caller's transaction), replacing
/// any the layer holds for this run id, and widens the layer's extent in gpkg_contents.
void write_map_layer(const Catalog::Impl& impl, const MapLayerRows& layer, std::int64_t run_id) {
  const std::string& t = layer.table;
  if (!impl.has_table(t))
    throw Error(ErrorKind::Data, impl.name(),
                "the catalogue has no map layer '" + t + "' (a damaged or foreign catalogue layout)");
  std::string geom;
  {
    Statement g = impl.stmt("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?1");
    g.bind(1, t);
    if (!g.step()) throw Error(ErrorKind::Data, impl.name(), "the catalogue's map layer '" + t + "' has no geometry column");
    geom = g.text(0);
  }
  std::string missing;
  for (const auto& f : layer.fields)
    if (!impl.has_column(t, f)) missing += (missing.empty() ? "'" : ", '") + f + "'";
  if (!missing.empty())
    throw Error(ErrorKind::Data, impl.name(),
                "the catalogue's map layer '" + t + "' has no field " + missing + " (a damaged or foreign catalogue layout)");
  const std::string run = std::to_string(run_id);
  Statement del = impl.stmt("DELETE FROM " + quote_id(t) + " WHERE run = ?1");
  del.bind(1, run).run();
  std::string cols = quote_id(geom), marks = "?1";
  for (std::size_t i = 0; i < layer.fields.size(); ++i) {
    cols += ", " + quote_id(layer.fields[i]);
    marks += ", ?" + std::to_string(i + 2);
  }
  Statement ins = impl.stmt("INSERT INTO " + quote_id(t) + " (" + cols + ") VALUES (" + marks + ")");
  double ext[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
  for (const auto& row : layer.rows) {
    ins.reset();
    if (row.geometry.empty()) {
      ins.bind_null(1);
    } else {
      ins.bind_blob(1, row.geometry);
      double env[4];
      bool empty = true;
      if (blob_envelope(row.geometry.data(), static_cast<int>(row.geometry.size()), env, empty) && !empty) {
        ext[0] = std::min(ext[0], env[0]);
        ext[1] = std::max(ext[1], env[1]);
        ext[2] = std::min(ext[2], env[2]);
        ext[3] = std::max(ext[3], env[3]);
      }
    }
    for (std::size_t i = 0; i < layer.fields.size() && i < row.values.size(); ++i) {
      const int idx = static_cast<int>(i + 2);
      const auto& v = row.values[i];
      if (layer.fields[i] == "run")
        ins.bind(idx, run);
      else if (v.is_null())
        ins.bind_null(idx);
      else if (v.is_boolean())
        ins.bind(idx, v.get<bool>());
      else if (v.is_number_integer())
        ins.bind(idx, v.get<std::int64_t>());
      else if (v.is_number())
        ins.bind(idx, v.get<double>());
      else
        ins.bind(idx, v.is_string() ? v.get<std::string>() : v.dump());
    }
    ins.run();
  }
  Statement up = impl.stmt(
      "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
      "min_x = CASE WHEN ?1 IS NULL THEN min_x ELSE min(coalesce(min_x, ?1), ?1) END, "
      "max_x = CASE WHEN ?2 IS NULL THEN max_x ELSE max(coalesce(max_x, ?2), ?2) END, "
      "min_y = CASE WHEN ?3 IS NULL THEN min_y ELSE min(coalesce(min_y, ?3), ?3) END, "
      "max_y = CASE WHEN ?4 IS NULL THEN max_y ELSE max(coalesce(max_y, ?4), ?4) END WHERE table_name = ?5");
  const bool any = ext[0] <= ext[1];
  for (int k = 0; k < 4; ++k) up.bind(k + 1, any ? ext[k] : NAN);  // NaN binds NULL
  up.bind(5, t).run();
}

}  // namespace

std::int64_t Catalog::record_run(const Stack& stack, const DetectResult& result, const RunLabels& labels,
                                 const StackFingerprint* fingerprint) {
  if (impl_->read_only) throw Error(ErrorKind::Usage, impl_->name(), "catalogue opened read-only");
  check_recordable(stack, labels);  // before the transaction: name the attribute, not a constraint
  const StackFingerprint fp = fingerprint ? *fingerprint : fingerprint_stack(stack);
  const auto digests = digest_map(fp);
  auto digest_of = [&](const std::string& pair) {
    const auto it = digests.find(pair);
    return it == digests.end() || it->second.empty() ? std::optional<std::string>() : it->second;
  };
  const std::string now = iso_utc();
  const double total_s = result.timings_s.count("total") ? result.timings_s.at("total") : 0.0;
  const auto finished = std::chrono::system_clock::now();
  const auto started = finished - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                      std::chrono::duration<double>(total_s));
  const auto dates = stack.dates();
  std::int64_t run_id = 0;
  impl_->transaction([&] {
    // The stack, by identity.
    std::int64_t stack_id = 0;
    {
      Statement find = impl_->stmt("SELECT id FROM pjd_stacks WHERE identity = ?1");
      find.bind(1, fp.identity);
      if (find.step()) stack_id = find.int64(0);
    }
    const auto track = labels.track ? labels.track : track_of(stack.attributes());
    const std::string swath = stack.attributes().get("beam_swath");
    if (stack_id == 0) {
      Statement ins = impl_->stmt(
          "INSERT INTO pjd_stacks (identity, fingerprint, path, project, platform, orbit_direction, track, "
          "subswath, length, width, wavelength_m, alooks, rlooks, n_pairs, first_date, last_date, created_utc, "
          "updated_utc) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?17)");
      ins.bind(1, fp.identity).bind(2, fp.fingerprint).bind(3, fs::weakly_canonical(fs::absolute(stack.file())).string());
      ins.bind(4, labels.project).bind(5, stack.platform()).bind(6, stack.orbit_direction());
      ins.bind(7, track ? std::optional<std::int64_t>(*track) : std::nullopt);
      ins.bind(8, swath.empty() ? std::optional<std::string>() : swath);
      ins.bind(9, stack.length()).bind(10, stack.width()).bind(11, result.wavelength_m);
      ins.bind(12, stack.alooks()).bind(13, stack.rlooks()).bind(14, stack.n_pairs());
      ins.bind(15, dates.front()).bind(16, dates.back()).bind(17, now);
      ins.run();
      stack_id = sqlite3_last_insert_rowid(impl_->db);
    } else {
      Statement up = impl_->stmt(
          "UPDATE pjd_stacks SET fingerprint = ?2, path = ?3, project = coalesce(?4, project), "
          "track = coalesce(?5, track), n_pairs = ?6, first_date = ?7, last_date = ?8, updated_utc = ?9 "
          "WHERE id = ?1");
      up.bind(1, stack_id).bind(2, fp.fingerprint).bind(3, fs::weakly_canonical(fs::absolute(stack.file())).string());
      up.bind(4, labels.project).bind(5, track ? std::optional<std::int64_t>(*track) : std::nullopt);
      up.bind(6, stack.n_pairs()).bind(7, dates.front()).bind(8, dates.back()).bind(9, now);
      up.run();
    }

    // The run.
    {
      Statement ins = impl_->stmt(
          "INSERT INTO pjd_runs (stack_id, fingerprint, method, params_json, n_burst, x0, x1, pj_thr_mm, "
          "software_version, started_utc, finished_utc, duration_s, status, warnings_json, n_pairs, "
          "n_pairs_reused, summary_path, stack_file_stat) "
          "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)");
      ins.bind(1, stack_id).bind(2, fp.fingerprint).bind(3, result.params.method);
      // Stored as found: a robust run that saw no seam reports 1 burst (layout 5 allows it;
      // n_burst_source says that no seam was found).
      ins.bind(4, params_to_json(result.params).dump()).bind(5, result.params.n_burst);
      ins.bind(6, result.x0).bind(7, result.x1).bind(8, result.params.pj_thr_mm);
      ins.bind(9, std::string(kVersion)).bind(10, iso_utc(started)).bind(11, iso_utc(finished)).bind(12, total_s);
      ins.bind(13, result.warnings.empty() ? "complete" : "warnings");
      ins.bind(14, nlohmann::json(result.warnings).dump()).bind(15, result.pairs.size());
      ins.bind(16, labels.n_pairs_reused);
      ins.bind(17, labels.summary_path.empty() ? std::optional<std::string>() : labels.summary_path);
      ins.bind(18, fp.file_stat.empty() ? std::optional<std::string>() : fp.file_stat);
      ins.run();
      run_id = sqlite3_last_insert_rowid(impl_->db);
    }

    Statement pair_ins = impl_->stmt(
        "INSERT INTO pjd_run_pairs (run_id, pair, ref_date, sec_date, btemp_days, coh_median, coh_mean, "
        "coh_std, grad_median_mm, grad_mean_mm, grad_std_mm, skipped, ramp_mm, excluded) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    for (const auto& p : result.pairs) {
      pair_ins.reset();
      pair_ins.bind(1, run_id).bind(2, p.pair).bind(3, p.pair.substr(0, 8)).bind(4, p.pair.substr(9, 8));
      pair_ins.bind(5, p.btemp_days).bind(6, p.coh_median).bind(7, p.coh_mean).bind(8, p.coh_std);
      pair_ins.bind(9, p.grad_median_mm).bind(10, p.grad_mean_mm).bind(11, p.grad_std_mm);
      pair_ins.bind(12, p.skipped).bind(13, p.ramp_mm).bind(14, p.excluded);
      pair_ins.run();
    }
    // Test hook: hold the transaction open here, so a test can kill the process mid-recording.
    if (const char* delay = std::getenv("PJD_TEST_RECORD_DELAY_MS")) {
      std::fprintf(stderr, "pjd: test hook: pausing inside the recording transaction\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(delay)));
    }
    Statement seam_ins = impl_->stmt(
        "INSERT INTO pjd_run_seams (run_id, seam_index, row, votes, median_grad_mm, warning) "
        "VALUES (?1,?2,?3,?4,?5,?6)");
    for (std::size_t i = 0; i < result.seams.size(); ++i) {
      seam_ins.reset();
      seam_ins.bind(1, run_id).bind(2, i).bind(3, result.seams[i].row).bind(4, result.seams[i].votes);
      seam_ins.bind(5, result.seams[i].median_grad_mm).bind(6, !result.warnings.empty());
      seam_ins.run();
    }
    // Robust runs: per-seam signed jumps per pair, per-date misregistration, the burst-count decision.
    if (result.params.method == "robust") {
      auto arr = [](const std::vector<double>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (double x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
        return a.dump();
      };
      Statement up = impl_->stmt(
          "UPDATE pjd_run_pairs SET seam_jump_mm_json = ?3, seam_jump_sigma_mm_json = ?4, ramp_sigma_mm = ?5 "
          "WHERE run_id = ?1 AND pair = ?2");
      for (const auto& p : result.pairs) {
        up.reset();
        up.bind(1, run_id).bind(2, p.pair).bind(3, arr(p.seam_jump_mm)).bind(4, arr(p.seam_jump_sigma_mm));
        up.bind(5, p.ramp_sigma_mm);
        up.run();
      }
      Statement dins = impl_->stmt(
          "INSERT INTO pjd_run_dates (run_id, date, misreg_px, sigma_px, jump_mm, jump_sigma_mm, n_pairs, excluded) "
          "VALUES (?1,?2,?3,?4,?5,?6,?7,?8)");
      for (const auto& d : result.dates) {
        dins.reset();
        dins.bind(1, run_id).bind(2, d.date).bind(3, d.misreg_px).bind(4, d.sigma_px).bind(5, d.jump_mm);
        dins.bind(6, d.jump_sigma_mm).bind(7, d.n_pairs).bind(8, d.excluded);
        dins.run();
      }
      Statement src = impl_->stmt("UPDATE pjd_runs SET n_burst_source = ?2, subswaths_json = ?3 WHERE id = ?1");
      nlohmann::json sw = nlohmann::json::array();
      for (const auto& x : result.subswaths)
        sw.push_back({{"name", x.name}, {"x0", x.x0}, {"x1", x.x1}, {"n_burst", x.n_burst},
                      {"seam_spacing_rows", std::isfinite(x.seam_spacing_rows) ? nlohmann::json(x.seam_spacing_rows)
                                                                                : nlohmann::json(nullptr)},
                      {"jump_rad_per_px", std::isfinite(x.jump_rad_per_px) ? nlohmann::json(x.jump_rad_per_px)
                                                                            : nlohmann::json(nullptr)}});
      src.bind(1, run_id).bind(2, result.n_burst_source).bind(3, sw.dump()).run();
      Statement seam_sw = impl_->stmt("UPDATE pjd_run_seams SET subswath = ?3 WHERE run_id = ?1 AND seam_index = ?2");
      for (std::size_t i = 0; i < result.seams.size(); ++i) {
        seam_sw.reset();
        seam_sw.bind(1, run_id).bind(2, i).bind(3, result.seams[i].subswath).run();
      }
    }
    // The run's features on the map layers.
    for (const auto& layer : labels.map_layers) write_map_layer(*impl_, layer, run_id);
    Statement date_ins = impl_->stmt("INSERT INTO pjd_run_excluded_dates (run_id, date) VALUES (?1, ?2)");
    for (const auto& d : result.excluded_dates) {
      date_ins.reset();
      date_ins.bind(1, run_id).bind(2, d).run();
    }

    // Per-pair profiles, for incremental runs on a grown stack.
    const auto& prof = result.profiles;
    if (prof.n_pairs == result.pairs.size() && prof.length > 0) {
      Statement prof_ins = impl_->stmt(
          "INSERT INTO pjd_stack_profiles (stack_id, pair, x0, x1, cmin, length, stats_json, intensity_pct, "
          "counts_cts, median_grad_mm, data_digest) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) "
          "ON CONFLICT(stack_id, pair, x0, x1, cmin) DO UPDATE SET length = excluded.length, "
          "stats_json = excluded.stats_json, intensity_pct = excluded.intensity_pct, "
          "counts_cts = excluded.counts_cts, median_grad_mm = excluded.median_grad_mm, "
          "data_digest = excluded.data_digest");
      const std::size_t L = prof.length;
      for (std::size_t i = 0; i < prof.n_pairs; ++i) {
        prof_ins.reset();
        prof_ins.bind(1, stack_id).bind(2, result.pairs[i].pair).bind(3, result.x0).bind(4, result.x1);
        prof_ins.bind(5, result.params.cmin).bind(6, L).bind(7, stats_json(result.pairs[i]).dump());
        prof_ins.bind_blob(8, pack(prof.intensity_pct.data() + i * L, L * sizeof(double)));
        prof_ins.bind_blob(9, pack_counts(prof.counts.data() + i * L, L));
        prof_ins.bind_blob(10, pack(prof.median_grad_mm.data() + i * L, L * sizeof(double)));
        prof_ins.bind(11, digest_of(result.pairs[i].pair));
        prof_ins.run();
      }
      // Robust runs: the segment profiles too.
      const std::size_t K = result.n_segments, n = L * K;
      if (K > 0 && result.seg_grad_sum_rad.size() == prof.n_pairs * n && result.seg_grad_cnt.size() == prof.n_pairs * n) {
        Statement seg_ins = impl_->stmt(
            "INSERT INTO pjd_stack_segments (stack_id, pair, x0, x1, length, n_segments, grad_sum_rad, grad_cnt, "
            "data_digest) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT(stack_id, pair, x0, x1) DO UPDATE SET "
            "length = excluded.length, n_segments = excluded.n_segments, grad_sum_rad = excluded.grad_sum_rad, "
            "grad_cnt = excluded.grad_cnt, data_digest = excluded.data_digest");
        for (std::size_t i = 0; i < prof.n_pairs; ++i) {
          seg_ins.reset();
          seg_ins.bind(1, stack_id).bind(2, result.pairs[i].pair).bind(3, result.x0).bind(4, result.x1);
          seg_ins.bind(5, L).bind(6, K);
          seg_ins.bind_blob(7, pack(result.seg_grad_sum_rad.data() + i * n, n * sizeof(float)));
          seg_ins.bind_blob(8, pack(result.seg_grad_cnt.data() + i * n, n * sizeof(float)));
          seg_ins.bind(9, digest_of(result.pairs[i].pair));
          seg_ins.run();
        }
      }
    }
  });
  return run_id;
}

std::optional<std::int64_t> Catalog::find_stack(const std::string& identity) const {
  Statement s = impl_->stmt("SELECT id FROM pjd_stacks WHERE identity = ?1");
  s.bind(1, identity);
  if (s.step()) return s.int64(0);
  return std::nullopt;
}

std::optional<std::int64_t> Catalog::find_run(const std::string& fingerprint, const std::string& method) const {
  Statement s = impl_->stmt("SELECT max(id) FROM pjd_runs WHERE fingerprint = ?1 AND method = ?2");
  s.bind(1, fingerprint).bind(2, method);
  if (s.step() && !s.is_null(0)) return s.int64(0);
  return std::nullopt;
}

std::optional<std::int64_t> Catalog::find_unchanged_run(const Stack& stack, const std::string& method) const {
  // Fast: this very file, not written since a run of its stack (its identity) recorded it.
  const std::string now = file_stat(stack.file()).key();
  if (impl_->has_column("pjd_runs", "stack_file_stat")) {
    const Fnv id = identity_hash(stack);
    Statement s = impl_->stmt(
        "SELECT max(r.id) FROM pjd_runs r JOIN pjd_stacks s ON s.id = r.stack_id WHERE s.identity = ?1 "
        "AND r.method = ?2 AND r.stack_file_stat = ?3");
    s.bind(1, id.hex()).bind(2, method).bind(3, now);
    if (s.step() && !s.is_null(0)) return s.int64(0);
  }
  // Else every pair's data.
  return find_run(fingerprint_stack(stack).fingerprint, method);
}

std::optional<int> Catalog::previous_n_burst(const std::string& identity) const {
  Statement s = impl_->stmt(
      "SELECT r.n_burst FROM pjd_runs r JOIN pjd_stacks s ON s.id = r.stack_id WHERE s.identity = ?1 "
      "AND r.n_burst >= 2 ORDER BY r.id DESC LIMIT 1");
  s.bind(1, identity);
  if (s.step()) return static_cast<int>(s.int64(0));
  return std::nullopt;
}

namespace {

/// Stored profiles of a stack (see Catalog::load_profiles); with `now`, only those whose
/// data digest is the pair's digest now, and segment profiles likewise.
ProfileCache stored_profiles(const Catalog::Impl& impl, std::int64_t stack_id, std::size_t x0, std::size_t x1,
                             double cmin, const StackFingerprint* now) {
  ProfileCache out;
  std::map<std::string, std::string> digests;
  if (now) digests = digest_map(*now);
  auto valid = [&](const Statement& s, int col, const std::string& pair) {
    if (!now) return true;
    if (s.is_null(col)) return false;  // stored before layout 6: the data it came from are unknown
    const auto it = digests.find(pair);
    return it != digests.end() && !it->second.empty() && it->second == s.text(col);
  };
  Statement s = impl.stmt(
      "SELECT p.pair, p.length, p.stats_json, p.intensity_pct, p.counts_cts, p.median_grad_mm, g.n_segments, "
      "g.grad_sum_rad, g.grad_cnt, g.length, p.data_digest, g.data_digest FROM pjd_stack_profiles p "
      "LEFT JOIN pjd_stack_segments g ON g.stack_id = p.stack_id AND g.pair = p.pair AND g.x0 = p.x0 AND g.x1 = p.x1 "
      "WHERE p.stack_id = ?1 AND p.x0 = ?2 AND p.x1 = ?3 AND p.cmin = ?4 ORDER BY p.pair");
  s.bind(1, stack_id).bind(2, x0).bind(3, x1).bind(4, cmin);
  const std::string where = impl.name() + " (stored profiles of stack " + std::to_string(stack_id) + ")";
  while (s.step()) {
    const std::string pair = s.text(0);
    if (!valid(s, 10, pair)) continue;
    PairProfile p;
    const std::size_t L = static_cast<std::size_t>(s.int64(1));
    nlohmann::json stats;
    try {
      stats = nlohmann::json::parse(s.text(2));
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorKind::Data, where, "the statistics of pair " + pair + " are not JSON (a damaged catalogue)");
    }
    p.stats.pair = pair;
    p.stats.btemp_days = stats.value("btemp_days", 0);
    p.stats.coh_median = json_num(stats, "coh_median");
    p.stats.coh_mean = json_num(stats, "coh_mean");
    p.stats.coh_std = json_num(stats, "coh_std");
    p.stats.grad_median_mm = json_num(stats, "grad_median_mm");
    p.stats.grad_mean_mm = json_num(stats, "grad_mean_mm");
    p.stats.grad_std_mm = json_num(stats, "grad_std_mm");
    p.stats.skipped = stats.value("skipped", false);
    try {
      p.intensity_pct = unpack<double>(s.blob(3), L);
      p.counts = unpack_counts(s.blob(4), L);
      p.median_grad_mm = unpack<double>(s.blob(5), L);
      if (!s.is_null(6) && static_cast<std::size_t>(s.int64(9)) == L && valid(s, 11, pair)) {
        p.n_segments = static_cast<std::size_t>(s.int64(6));
        p.seg_grad_sum_rad = unpack<float>(s.blob(7), L * p.n_segments);
        p.seg_grad_cnt = unpack<float>(s.blob(8), L * p.n_segments);
      }
    } catch (const Error& e) {
      throw Error(ErrorKind::Data, where, "pair " + pair + ": " + e.problem());
    }
    out.emplace(pair, std::move(p));
  }
  return out;
}

}  // namespace

ProfileCache Catalog::load_profiles(std::int64_t stack_id, std::size_t x0, std::size_t x1, double cmin) const {
  return stored_profiles(*impl_, stack_id, x0, x1, cmin, nullptr);
}

ProfileCache Catalog::load_profiles(std::int64_t stack_id, std::size_t x0, std::size_t x1, double cmin,
                                    const StackFingerprint& now) const {
  return stored_profiles(*impl_, stack_id, x0, x1, cmin, &now);
}

DetectResult Catalog::load_result(std::int64_t run_id) const {
  DetectResult r;
  std::int64_t stack_id = 0;
  {
    Statement s = impl_->stmt(
        "SELECT r.stack_id, r.params_json, r.x0, r.x1, r.warnings_json, r.duration_s, s.path, s.length, s.width, "
        "s.n_pairs, s.orbit_direction, s.platform, s.wavelength_m, s.first_date, s.last_date, r.n_pairs_reused "
        "FROM pjd_runs r JOIN pjd_stacks s ON s.id = r.stack_id WHERE r.id = ?1");
    s.bind(1, run_id);
    if (!s.step())
      throw Error(ErrorKind::Usage, impl_->name(), "no run " + std::to_string(run_id) + " (see 'pjd catalog runs')");
    stack_id = s.int64(0);
    r.params = params_from_json(nlohmann::json::parse(s.text(1)), impl_->name() + " (run " + std::to_string(run_id) + ")");
    r.x0 = static_cast<std::size_t>(s.int64(2));
    r.x1 = static_cast<std::size_t>(s.int64(3));
    r.warnings = nlohmann::json::parse(s.text(4)).get<std::vector<std::string>>();
    r.timings_s["total"] = s.real(5);
    r.stack_file = s.text(6);
    r.length = static_cast<std::size_t>(s.int64(7));
    r.width = static_cast<std::size_t>(s.int64(8));
    r.n_pairs_stack = static_cast<std::size_t>(s.int64(9));
    r.orbit_direction = s.text(10);
    r.platform = s.text(11);
    r.wavelength_m = s.real(12);
    r.first_date = s.text(13);
    r.last_date = s.text(14);
    r.n_pairs_reused = static_cast<std::size_t>(s.int64(15));
  }
  {
    Statement s = impl_->stmt(
        "SELECT pair, btemp_days, coh_median, coh_mean, coh_std, grad_median_mm, grad_mean_mm, grad_std_mm, "
        "skipped, ramp_mm, excluded FROM pjd_run_pairs WHERE run_id = ?1 ORDER BY id");
    s.bind(1, run_id);
    while (s.step()) {
      PairResult p;
      p.pair = s.text(0);
      p.btemp_days = static_cast<int>(s.int64(1));
      p.coh_median = s.real(2);
      p.coh_mean = s.real(3);
      p.coh_std = s.real(4);
      p.grad_median_mm = s.real(5);
      p.grad_mean_mm = s.real(6);
      p.grad_std_mm = s.real(7);
      p.skipped = s.int64(8) != 0;
      if (!s.is_null(9)) p.ramp_mm = s.real(9);
      p.excluded = s.int64(10) != 0;
      if (p.skipped) r.skipped_pairs.push_back(p.pair);
      if (p.excluded) r.excluded_pairs.push_back(p.pair);
      if (!p.ramp_mm) r.unassessed_pairs.push_back(p.pair);
      r.pairs.push_back(std::move(p));
    }
    std::sort(r.excluded_pairs.begin(), r.excluded_pairs.end());
    std::sort(r.unassessed_pairs.begin(), r.unassessed_pairs.end());
  }
  {
    Statement s = impl_->stmt(
        "SELECT row, votes, median_grad_mm, subswath FROM pjd_run_seams WHERE run_id = ?1 ORDER BY seam_index");
    s.bind(1, run_id);
    while (s.step()) {
      r.seams.push_back({static_cast<std::size_t>(s.int64(0)), static_cast<std::size_t>(s.int64(1)), s.real(2)});
      if (!s.is_null(3)) r.seams.back().subswath = static_cast<std::size_t>(s.int64(3));
    }
  }
  {
    Statement s = impl_->stmt("SELECT subswaths_json FROM pjd_runs WHERE id = ?1");
    s.bind(1, run_id);
    if (s.step() && !s.is_null(0))
      for (const auto& x : nlohmann::json::parse(s.text(0))) {
        SubswathRange sw;
        sw.name = x.value("name", std::string());
        sw.x0 = x.value("x0", std::size_t(0));
        sw.x1 = x.value("x1", std::size_t(0));
        sw.n_burst = x.value("n_burst", 0);
        sw.seam_spacing_rows = json_num(x, "seam_spacing_rows");
        sw.jump_rad_per_px = json_num(x, "jump_rad_per_px");
        r.subswaths.push_back(sw);
      }
  }
  {
    Statement s = impl_->stmt("SELECT date FROM pjd_run_excluded_dates WHERE run_id = ?1 ORDER BY date");
    s.bind(1, run_id);
    while (s.step()) r.excluded_dates.push_back(s.text(0));
  }
  // Profiles, when every pair of the run has them.
  const auto cache = load_profiles(stack_id, r.x0, r.x1, r.params.cmin);
  const bool complete = !r.pairs.empty() && std::all_of(r.pairs.begin(), r.pairs.end(), [&](const PairResult& p) {
    auto it = cache.find(p.pair);
    return it != cache.end() && it->second.intensity_pct.size() == r.length;
  });
  if (complete) {
    auto& pr = r.profiles;
    pr.n_pairs = r.pairs.size();
    pr.length = r.length;
    for (const auto& p : r.pairs) {
      const auto& c = cache.at(p.pair);
      pr.intensity_pct.insert(pr.intensity_pct.end(), c.intensity_pct.begin(), c.intensity_pct.end());
      pr.counts.insert(pr.counts.end(), c.counts.begin(), c.counts.end());
      pr.median_grad_mm.insert(pr.median_grad_mm.end(), c.median_grad_mm.begin(), c.median_grad_mm.end());
    }
  }
  return r;
}

// ---------------------------------------------------------------- queries

namespace {

Table query_table(const Catalog::Impl& impl, const std::string& sql_text,
                  const std::vector<nlohmann::json>& binds = {}) {
  Statement s = impl.stmt(sql_text);
  for (std::size_t i = 0; i < binds.size(); ++i) {
    const auto& b = binds[i];
    const int idx = static_cast<int>(i + 1);
    if (b.is_null())
      s.bind_null(idx);
    else if (b.is_number_integer())
      s.bind(idx, b.get<std::int64_t>());
    else if (b.is_number())
      s.bind(idx, b.get<double>());
    else
      s.bind(idx, b.get<std::string>());
  }
  Table t;
  for (int c = 0; c < s.columns(); ++c) t.columns.push_back(s.column_name(c));
  while (s.step()) {
    std::vector<nlohmann::json> row;
    for (int c = 0; c < s.columns(); ++c) row.push_back(s.value(c));
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

Table Catalog::stacks() const {
  return query_table(*impl_,
                     "SELECT s.id AS stack, s.project, s.platform, s.orbit_direction AS orbit, s.track, "
                     "s.subswath, s.length, s.width, s.n_pairs, s.first_date, s.last_date, "
                     "(SELECT count(*) FROM pjd_runs r WHERE r.stack_id = s.id) AS n_runs, s.path "
                     "FROM pjd_stacks s ORDER BY s.id");
}

Table Catalog::runs(std::optional<std::int64_t> stack_id) const {
  return query_table(*impl_,
                     "SELECT r.id AS run, r.stack_id AS stack, r.method, r.n_burst, r.started_utc, "
                     "round(r.duration_s, 2) AS duration_s, r.status, r.n_pairs, r.n_pairs_reused, "
                     "(SELECT count(*) FROM pjd_run_seams x WHERE x.run_id = r.id) AS n_seams, "
                     "(SELECT count(*) FROM pjd_run_pairs p WHERE p.run_id = r.id AND p.excluded = 1) AS n_excluded, "
                     "(SELECT count(*) FROM pjd_run_excluded_dates d WHERE d.run_id = r.id) AS n_bad_dates "
                     "FROM pjd_runs r WHERE (?1 IS NULL OR r.stack_id = ?1) ORDER BY r.id",
                     {stack_id ? nlohmann::json(*stack_id) : nlohmann::json(nullptr)});
}

Table Catalog::pairs(std::int64_t run_id, bool excluded_only) const {
  return query_table(*impl_,
                     "SELECT pair, btemp_days, coh_median, coh_mean, coh_std, grad_median_mm, grad_mean_mm, "
                     "grad_std_mm, skipped, round(ramp_mm, 2) AS ramp_mm, excluded FROM pjd_run_pairs "
                     "WHERE run_id = ?1 AND (?2 = 0 OR excluded = 1) ORDER BY pair",
                     {run_id, excluded_only ? 1 : 0});
}

Table Catalog::seams(std::int64_t run_id) const {
  return query_table(*impl_,
                     "SELECT seam_index, row, votes, round(median_grad_mm, 3) AS median_grad_mm, warning "
                     "FROM pjd_run_seams WHERE run_id = ?1 ORDER BY seam_index",
                     {run_id});
}

Table Catalog::dates(std::int64_t run_id) const {
  return query_table(*impl_,
                     "SELECT d.date, (SELECT count(*) FROM pjd_run_pairs p WHERE p.run_id = d.run_id AND "
                     "p.excluded = 1 AND (p.ref_date = d.date OR p.sec_date = d.date)) AS n_excluded_pairs, "
                     "(SELECT count(*) FROM pjd_run_pairs p WHERE p.run_id = d.run_id AND p.ramp_mm IS NOT NULL "
                     "AND (p.ref_date = d.date OR p.sec_date = d.date)) AS n_assessed_pairs "
                     "FROM pjd_run_excluded_dates d WHERE d.run_id = ?1 ORDER BY d.date",
                     {run_id});
}

Table Catalog::history(std::int64_t stack_id) const {
  Table base = query_table(
      *impl_,
      "SELECT r.id AS run, r.started_utc, r.n_pairs, "
      "(SELECT group_concat(row, ',') FROM (SELECT row FROM pjd_run_seams x WHERE x.run_id = r.id "
      "ORDER BY seam_index)) AS seams, "
      "(SELECT count(*) FROM pjd_run_pairs p WHERE p.run_id = r.id AND p.excluded = 1) AS n_excluded, "
      "(SELECT round(avg(ramp_mm), 2) FROM pjd_run_pairs p WHERE p.run_id = r.id) AS mean_ramp_mm, "
      "(SELECT round(max(ramp_mm), 2) FROM pjd_run_pairs p WHERE p.run_id = r.id) AS max_ramp_mm, "
      "(SELECT group_concat(date, ',') FROM (SELECT date FROM pjd_run_excluded_dates d WHERE d.run_id = r.id "
      "ORDER BY date)) AS excluded_dates "
      "FROM pjd_runs r WHERE r.stack_id = ?1 ORDER BY r.id",
      {stack_id});
  // What changed from the previous run: seams moved, pairs newly excluded or released.
  base.columns.insert(base.columns.end(), {"seams_changed", "newly_excluded", "no_longer_excluded"});
  Statement ex = impl_->stmt("SELECT pair FROM pjd_run_pairs WHERE run_id = ?1 AND excluded = 1");
  std::set<std::string> prev_excluded;
  nlohmann::json prev_seams;
  for (std::size_t i = 0; i < base.rows.size(); ++i) {
    auto& row = base.rows[i];
    std::set<std::string> excluded;
    ex.reset();
    ex.bind(1, row[0].get<std::int64_t>());
    while (ex.step()) excluded.insert(ex.text(0));
    std::size_t added = 0, released = 0;
    for (const auto& p : excluded) added += prev_excluded.count(p) ? 0 : 1;
    for (const auto& p : prev_excluded) released += excluded.count(p) ? 0 : 1;
    if (i == 0) {
      row.insert(row.end(), {nullptr, nullptr, nullptr});
    } else {
      row.insert(row.end(), {row[3] != prev_seams, static_cast<std::int64_t>(added), static_cast<std::int64_t>(released)});
    }
    prev_seams = row[3];
    prev_excluded = std::move(excluded);
  }
  return base;
}

Table Catalog::bad_dates(const BadDateFilter& f) const {
  std::optional<std::string> orbit = f.orbit;
  if (orbit) {
    std::string o = *orbit;
    for (auto& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    orbit = o.rfind("A", 0) == 0 ? "ASCENDING" : o.rfind("D", 0) == 0 ? "DESCENDING" : o;
  }
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return query_table(
      *impl_,
      "SELECT d.date, count(DISTINCT r.stack_id) AS n_stacks, count(DISTINCT r.id) AS n_runs, "
      "group_concat(DISTINCT r.stack_id) AS stacks, group_concat(DISTINCT r.id) AS runs, "
      "group_concat(DISTINCT s.platform) AS platforms, group_concat(DISTINCT s.track) AS tracks "
      "FROM pjd_run_excluded_dates d JOIN pjd_runs r ON r.id = d.run_id JOIN pjd_stacks s ON s.id = r.stack_id "
      "WHERE (?1 IS NULL OR s.platform = ?1) AND (?2 IS NULL OR s.orbit_direction = ?2) "
      "AND (?3 IS NULL OR s.track = ?3) AND (?4 IS NULL OR d.date >= ?4) AND (?5 IS NULL OR d.date <= ?5) "
      "GROUP BY d.date ORDER BY d.date",
      {opt(f.platform), opt(orbit), opt(f.track), opt(f.from), opt(f.to)});
}

Table Catalog::compare(std::int64_t a, std::int64_t b) const {
  for (auto id : {a, b}) {
    Statement s = impl_->stmt("SELECT count(*) FROM pjd_runs WHERE id = ?1");
    s.bind(1, id).step();
    if (s.int64(0) == 0) throw Error(ErrorKind::Usage, impl_->name(), "no run " + std::to_string(id));
  }
  Table t = query_table(
      *impl_,
      "WITH names AS (SELECT pair FROM pjd_run_pairs WHERE run_id IN (?1, ?2) GROUP BY pair) "
      "SELECT n.pair, round(pa.ramp_mm, 2) AS ramp_a_mm, round(pb.ramp_mm, 2) AS ramp_b_mm, "
      "round(pb.ramp_mm - pa.ramp_mm, 2) AS delta_mm, pa.excluded AS excluded_a, pb.excluded AS excluded_b, "
      "CASE WHEN pa.pair IS NULL THEN 'only in b' WHEN pb.pair IS NULL THEN 'only in a' "
      "WHEN pa.excluded = 0 AND pb.excluded = 1 THEN 'newly excluded' "
      "WHEN pa.excluded = 1 AND pb.excluded = 0 THEN 'no longer excluded' ELSE 'same' END AS change "
      "FROM names n LEFT JOIN pjd_run_pairs pa ON pa.run_id = ?1 AND pa.pair = n.pair "
      "LEFT JOIN pjd_run_pairs pb ON pb.run_id = ?2 AND pb.pair = n.pair ORDER BY n.pair",
      {a, b});
  for (auto [id, label] : {std::pair{a, "a"}, std::pair{b, "b"}}) {
    Table s = seams(id);
    std::string rows;
    for (const auto& r : s.rows) rows += (rows.empty() ? "" : ",") + r[1].dump();
    t.notes.push_back(std::string("run ") + label + " = " + std::to_string(id) + ": seams " +
                      (rows.empty() ? "none" : rows));
  }
  return t;
}

int Catalog::forget_run(std::int64_t run_id) {
  int n = 0;
  impl_->transaction([&] {
    for (const auto& t : map_tables(*impl_)) {
      Statement m = impl_->stmt("DELETE FROM " + quote_id(t) + " WHERE run = CAST(?1 AS TEXT)");
      m.bind(1, run_id).run();
    }
    Statement s = impl_->stmt("DELETE FROM pjd_runs WHERE id = ?1");
    s.bind(1, run_id).run();
    n = sqlite3_changes(impl_->db);
  });
  return n;
}

int Catalog::forget_stack(std::int64_t stack_id) {
  int n = 0;
  impl_->transaction([&] {
    for (const auto& t : map_tables(*impl_)) {
      Statement m = impl_->stmt("DELETE FROM " + quote_id(t) +
                                " WHERE run IN (SELECT CAST(id AS TEXT) FROM pjd_runs WHERE stack_id = ?1)");
      m.bind(1, stack_id).run();
    }
    Statement s = impl_->stmt("DELETE FROM pjd_stacks WHERE id = ?1");
    s.bind(1, stack_id).run();
    n = sqlite3_changes(impl_->db);
  });
  return n;
}

std::int64_t Catalog::resolve_stack(const std::string& key) const {
  Statement s = impl_->stmt(
      "SELECT id FROM pjd_stacks WHERE CAST(id AS TEXT) = ?1 OR identity = ?1 OR path = ?1 OR path = ?2 "
      "OR path = ?3 ORDER BY id LIMIT 1");
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(key, ec), ec);
  s.bind(1, key).bind(2, abs.string()).bind(3, (abs / "inputs" / "ifgramStack.h5").string());
  if (s.step()) return s.int64(0);
  throw Error(ErrorKind::Usage, impl_->name(), "no stack '" + key + "' in the catalogue (see 'pjd catalog stacks')");
}

}  // namespace pjd
