// Row counts in the catalogue's profiles (pjd_stack_profiles.counts_cts): int16 while they
// fit (what older catalogues hold), int32 for rows of more than 32767 valid cells (issue 14
// item 8); both load, told apart by the inflated size.
#include <catch2/catch.hpp>

#include <cpl_conv.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include "helpers.hpp"
#include "pjd/catalog.hpp"
#include "pjd/error.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::Catalog;

namespace {

/// A result for the first two pairs of `s`: pair 0's counts all fit int16 (-999 in row 0,
/// 32767 in row 1), pair 1's row 5 holds 40000.
pjd::DetectResult two_pairs(const pjd::Stack& s) {
  pjd::DetectResult r;
  r.params.n_burst = 2;
  r.length = s.length();
  r.width = s.width();
  r.x0 = 0;
  r.x1 = s.width();
  r.wavelength_m = s.wavelength_m();
  for (std::size_t i = 0; i < 2; ++i) {
    pjd::PairResult p;
    p.pair = s.pairs()[i].name();
    p.btemp_days = s.pairs()[i].btemp_days();
    p.coh_mean = 0.7;
    r.pairs.push_back(p);
  }
  const std::size_t L = s.length();
  r.profiles.n_pairs = 2;
  r.profiles.length = L;
  r.profiles.intensity_pct.assign(2 * L, 12.5);
  r.profiles.median_grad_mm.assign(2 * L, 0.25);
  r.profiles.counts.assign(2 * L, 40);
  r.profiles.counts[0] = -999;
  r.profiles.counts[1] = 32767;
  r.profiles.counts[L + 5] = 40000;
  return r;
}

/// counts_cts of `pair`, inflated (at most 4 bytes a row of `rows`).
std::vector<unsigned char> stored_counts(const fs::path& db, const std::string& pair, std::size_t rows) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "SELECT counts_cts FROM pjd_stack_profiles WHERE pair = ?1", -1, &st, nullptr) ==
          SQLITE_OK);
  sqlite3_bind_text(st, 1, pair.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const auto* blob = static_cast<const unsigned char*>(sqlite3_column_blob(st, 0));
  const std::size_t n = static_cast<std::size_t>(sqlite3_column_bytes(st, 0));
  std::vector<unsigned char> out(4 * rows + 16);
  std::size_t got = 0;
  REQUIRE(CPLZLibInflate(blob, n, out.data(), out.size(), &got) != nullptr);
  out.resize(got);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// Replaces counts_cts of `pair` with zlib(bytes), as an older pjd (or a damaged file) left it.
void store_counts(const fs::path& db, const std::string& pair, const void* bytes, std::size_t n) {
  std::size_t zn = 0;
  void* z = CPLZLibDeflate(bytes, n, 6, nullptr, 0, &zn);
  REQUIRE(z);
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "UPDATE pjd_stack_profiles SET counts_cts = ?1 WHERE pair = ?2", -1, &st, nullptr) ==
          SQLITE_OK);
  sqlite3_bind_blob(st, 1, z, static_cast<int>(zn), SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, pair.c_str(), -1, SQLITE_TRANSIENT);
  CHECK(sqlite3_step(st) == SQLITE_DONE);
  CHECK(sqlite3_changes(h) == 1);
  sqlite3_finalize(st);
  sqlite3_close(h);
  VSIFree(z);
}

}  // namespace

TEST_CASE("catalogue profiles: counts above 32767 round-trip; int16 blobs stay int16 and load", "[catalog][wide]") {
  pjd::test::TempDir dir("cat_counts");
  const auto stack = pjd::Stack::open(fs::path(pjd::test::kParityDir) / "nominal");
  const fs::path db = dir.path() / "c.gpkg";
  const auto r = two_pairs(stack);
  const std::size_t L = stack.length();
  const std::string p0 = r.pairs[0].pair, p1 = r.pairs[1].pair;
  std::int64_t stack_id = 0;
  {
    Catalog c = Catalog::open(db);
    c.record_run(stack, r);
    stack_id = c.resolve_stack("1");
    const auto prof = c.load_profiles(stack_id, 0, stack.width(), r.params.cmin);
    REQUIRE(prof.size() == 2);
    const std::vector<std::int32_t> c0(r.profiles.counts.begin(), r.profiles.counts.begin() + L);
    const std::vector<std::int32_t> c1(r.profiles.counts.begin() + L, r.profiles.counts.end());
    CHECK(prof.at(p0).counts == c0);
    CHECK(prof.at(p1).counts == c1);
    CHECK(prof.at(p1).counts[5] == 40000);  // was -25536 through int16
  }
  // The pair whose counts fit is stored as before (int16, 2 bytes a row), bit for bit; the
  // other as int32.
  const auto b0 = stored_counts(db, p0, L), b1 = stored_counts(db, p1, L);
  REQUIRE(b0.size() == 2 * L);
  CHECK(b1.size() == 4 * L);
  std::vector<std::int16_t> narrow(L);
  std::memcpy(narrow.data(), b0.data(), b0.size());
  CHECK(narrow[0] == -999);
  CHECK(narrow[1] == 32767);
  CHECK(narrow[2] == 40);

  SECTION("an int16 blob as older pjd wrote it loads") {
    std::vector<std::int16_t> old(L, 123);
    old[3] = -999;
    old[4] = 32767;
    store_counts(db, p1, old.data(), old.size() * sizeof(std::int16_t));
    Catalog c = Catalog::open(db);
    const auto prof = c.load_profiles(stack_id, 0, stack.width(), r.params.cmin);
    const auto& got = prof.at(p1).counts;
    REQUIRE(got.size() == L);
    CHECK(got[0] == 123);
    CHECK(got[3] == -999);
    CHECK(got[4] == 32767);
    CHECK(got[L - 1] == 123);
  }
  SECTION("a blob of neither width is refused as damaged") {
    std::vector<unsigned char> odd(3 * L, 0);
    store_counts(db, p1, odd.data(), odd.size());
    Catalog c = Catalog::open(db);
    try {
      c.load_profiles(stack_id, 0, stack.width(), r.params.cmin);
      FAIL("no error");
    } catch (const pjd::Error& e) {
      CHECK(e.kind() == pjd::ErrorKind::Data);
      CHECK(std::string(e.what()).find("pair " + p1 + ": a stored profile is damaged") != std::string::npos);
    }
  }
}
