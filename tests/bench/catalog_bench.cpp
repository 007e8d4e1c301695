// pjd_catalog_bench FILE [N_STACKS] [N_PAIRS]
// Fills a catalogue with generated rows (N_STACKS stacks x N_PAIRS pairs, two runs each)
// and times `history` for one stack and `bad-dates` across all stacks. Prints numbers.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "pjd/internal/catalog_handle.hpp"
#include "pjd/catalog.hpp"

namespace {

std::string date_of(int day) {  // day index -> YYYYMMDD, 12-day repeat from 2015-01-01
  const int y = 2015 + day / 365, doy = day % 365;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int m = 0, d = doy;
  while (d >= mdays[m]) d -= mdays[m++];
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", y % 10000, (m + 1) % 100, (d + 1) % 100);
  return buf;
}

template <class F>
double time_ms(F&& f, int repeat = 5) {
  double best = 1e99;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pjd_catalog_bench FILE [N_STACKS] [N_PAIRS]\n");
    return 2;
  }
  const std::filesystem::path file = argv[1];
  const int n_stacks = argc > 2 ? std::stoi(argv[2]) : 1000;
  const int n_pairs = argc > 3 ? std::stoi(argv[3]) : 500;
  std::filesystem::remove(file);
  auto cat = pjd::Catalog::open(file);
  sqlite3* db = pjd::detail::raw_handle(cat);
  std::mt19937_64 rng(1);
  const auto t0 = std::chrono::steady_clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt *st, *rt, *pt, *dt, *se;
  sqlite3_prepare_v2(db,
                     "INSERT INTO pjd_stacks (identity, fingerprint, path, platform, orbit_direction, track, length, "
                     "width, n_pairs, first_date, last_date, created_utc, updated_utc) VALUES "
                     "(?1, ?1, ?2, 'Sen', ?3, ?4, 1500, 800, ?5, '20150101', '20201231', 'now', 'now')",
                     -1, &st, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO pjd_runs (stack_id, fingerprint, method, params_json, n_burst, x0, x1, pj_thr_mm, "
                     "software_version, started_utc, finished_utc, duration_s, status, n_pairs) VALUES "
                     "(?1, 'fp', 'published', '{}', 9, 0, 800, 5.0, 'bench', 'now', 'now', 1.0, 'complete', ?2)",
                     -1, &rt, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO pjd_run_pairs (run_id, pair, ref_date, sec_date, btemp_days, skipped, ramp_mm, "
                     "excluded) VALUES (?1, ?2, ?3, ?4, 12, 0, ?5, ?6)",
                     -1, &pt, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO pjd_run_excluded_dates (run_id, date) VALUES (?1, ?2)", -1, &dt, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO pjd_run_seams (run_id, seam_index, row, votes) VALUES (?1, ?2, ?3, 30)", -1,
                     &se, nullptr);
  for (int s = 1; s <= n_stacks; ++s) {
    const std::string id = "stack" + std::to_string(s);
    sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ("/archive/" + id).c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, s % 2 ? "ASCENDING" : "DESCENDING", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, 1 + s % 175);
    sqlite3_bind_int(st, 5, n_pairs);
    sqlite3_step(st);
    sqlite3_reset(st);
    const sqlite3_int64 stack_id = sqlite3_last_insert_rowid(db);
    for (int run = 0; run < 2; ++run) {
      sqlite3_bind_int64(rt, 1, stack_id);
      sqlite3_bind_int(rt, 2, n_pairs);
      sqlite3_step(rt);
      sqlite3_reset(rt);
      const sqlite3_int64 run_id = sqlite3_last_insert_rowid(db);
      const int start = int(rng() % 400);
      for (int p = 0; p < n_pairs; ++p) {
        const int a = start + (p / 3) * 12, b = a + 12 * (1 + p % 3);
        const std::string pair = date_of(a) + "_" + date_of(b);
        sqlite3_bind_int64(pt, 1, run_id);
        sqlite3_bind_text(pt, 2, pair.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(pt, 3, pair.substr(0, 8).c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(pt, 4, pair.substr(9).c_str(), -1, SQLITE_TRANSIENT);
        const double ramp = double(rng() % 1000) / 100.0;
        sqlite3_bind_double(pt, 5, ramp);
        sqlite3_bind_int(pt, 6, ramp >= 5.0);
        sqlite3_step(pt);
        sqlite3_reset(pt);
      }
      for (int k = 0; k < 3; ++k) {
        sqlite3_bind_int64(dt, 1, run_id);
        sqlite3_bind_text(dt, 2, date_of(start + 12 * int(rng() % 150)).c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(dt);
        sqlite3_reset(dt);
      }
      for (int k = 0; k < 8; ++k) {
        sqlite3_bind_int64(se, 1, run_id);
        sqlite3_bind_int(se, 2, k);
        sqlite3_bind_int(se, 3, 150 * (k + 1) + run);
        sqlite3_step(se);
        sqlite3_reset(se);
      }
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  for (auto* s : {st, rt, pt, dt, se}) sqlite3_finalize(s);
  const double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto ro = pjd::Catalog::open(file, pjd::Catalog::Mode::ReadOnly);
  std::size_t rows = 0;
  const double history_ms = time_ms([&] { rows = ro.history(n_stacks / 2).rows.size(); });
  std::size_t dates = 0;
  const double bad_ms = time_ms([&] { dates = ro.bad_dates({}).rows.size(); });
  pjd::BadDateFilter f;
  f.orbit = "asc";
  f.track = 10;
  const double bad_filtered_ms = time_ms([&] { ro.bad_dates(f); });
  std::printf("{\"stacks\": %d, \"pairs_per_run\": %d, \"runs\": %d, \"fill_s\": %.1f, \"file_mb\": %.0f,\n"
              " \"history_ms\": %.2f, \"history_rows\": %zu, \"bad_dates_ms\": %.2f, \"bad_dates_rows\": %zu,\n"
              " \"bad_dates_asc_track10_ms\": %.2f}\n",
              n_stacks, n_pairs, 2 * n_stacks, fill_s, double(std::filesystem::file_size(file)) / 1e6, history_ms,
              rows, bad_ms, dates, bad_filtered_ms);
  return 0;
}
