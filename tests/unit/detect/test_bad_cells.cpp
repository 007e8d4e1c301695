// Cells no interferogram can hold (issue 14 item 12): a coherence outside [0, 1] (1.0001 for
// float rounding) or an infinite unwrapped phase. NaN is no data in both and stays accepted.
// process_pair finds the first such cell in the pass that touches every cell; pjd detect
// refuses the stack (exit 3) with one line naming the file, the dataset, the pair, the cell
// and the value, and leaves no output folder and no catalogue run.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "detect/published/published.hpp"
#include "helpers.hpp"
#include "io/h5util.hpp"
#include "pjd/simulate.hpp"

namespace fs = std::filesystem;
using pjd::h5::Handle;
using pjd::test::run_pjd;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

/// process_pair on a rows x cols plane of good values, with `edit` applied first.
pjd::published::BadCell bad_of(std::size_t rows, std::size_t cols,
                               const std::function<void(std::vector<float>&, std::vector<float>&)>& edit) {
  std::vector<float> unw(rows * cols), coh(rows * cols, 0.9f);
  for (std::size_t i = 0; i < unw.size(); ++i) unw[i] = 0.1f * static_cast<float>(i % 7) + 0.05f;
  edit(unw, coh);
  std::vector<double> inten(rows), med(rows);
  std::vector<std::int32_t> counts(rows);
  pjd::published::PairScratch s;
  s.bad = {true, true, 99, 99, 1};  // what an earlier pair left is forgotten
  pjd::published::process_pair(unw.data(), coh.data(), rows, cols, 0.75, 0.0555, inten.data(), counts.data(),
                               med.data(), s);
  return s.bad;
}

/// Sets cell (pair, row, col) of dataset `name` of a stack file.
void set_cell(const fs::path& file, const char* name, hsize_t pair, hsize_t row, hsize_t col, float v) {
  pjd::h5::init_library();
  Handle f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  REQUIRE(f.valid());
  Handle d(H5Dopen2(f, name, H5P_DEFAULT));
  REQUIRE(d.valid());
  Handle sp(H5Dget_space(d));
  const hsize_t start[3] = {pair, row, col}, count[3] = {1, 1, 1};
  REQUIRE(H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, nullptr, count, nullptr) >= 0);
  Handle mem(H5Screate_simple(3, count, nullptr));
  REQUIRE(H5Dwrite(d, H5T_NATIVE_FLOAT, mem, sp, H5P_DEFAULT, &v) >= 0);
}

std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("process_pair notes the first cell that is not a coherence or is an infinite phase", "[published][bad]") {
  using pjd::published::BadCell;
  // Nothing bad: NaN (no data), 0, -0, exactly 1 and 1 + rounding in the coherence.
  auto b = bad_of(8, 6, [](auto& u, auto& c) {
    c[3] = kNaN;
    c[4] = 0.0f;
    c[5] = -0.0f;
    c[6] = 1.0f;
    c[7] = pjd::published::kCoherenceMax;
    u[8] = kNaN;
    u[9] = 0.0f;
  });
  CHECK_FALSE(b.found);
  b = bad_of(8, 6, [](auto&, auto& c) { c[3 * 6 + 2] = 5.0f; });
  CHECK(b.found);
  CHECK(b.coherence);
  CHECK(b.row == 3);
  CHECK(b.col == 2);
  CHECK(b.value == 5.0f);
  b = bad_of(8, 6, [](auto&, auto& c) { c[7 * 6 + 5] = -0.01f; });
  CHECK((b.found && b.coherence && b.row == 7 && b.col == 5));
  b = bad_of(8, 6, [](auto&, auto& c) { c[0] = kInf; });
  CHECK((b.found && b.coherence && b.row == 0 && b.col == 0));
  b = bad_of(8, 6, [](auto&, auto& c) { c[6 + 1] = 1.0002f; });
  CHECK((b.found && b.row == 1 && b.col == 1));
  // An infinite phase counts whether or not its coherence masks it (row 0 has no gradient).
  b = bad_of(8, 6, [](auto& u, auto& c) {
    u[5 * 6 + 1] = -kInf;
    c[5 * 6 + 1] = 0.1f;
  });
  CHECK((b.found && !b.coherence && b.row == 5 && b.col == 1 && b.value == -kInf));
  b = bad_of(8, 6, [](auto& u, auto&) { u[3] = kInf; });
  CHECK((b.found && !b.coherence && b.row == 0 && b.col == 3));
  // The first in row-major order: the phase of row 2 before the coherence of row 4.
  b = bad_of(8, 6, [](auto& u, auto& c) {
    c[4 * 6] = 2.0f;
    u[2 * 6 + 3] = kInf;
  });
  CHECK((b.found && !b.coherence && b.row == 2));

  std::vector<float> plane(10000, 0.5f);
  CHECK(pjd::published::first_bad_coherence(plane.data(), plane.size()) == plane.size());
  plane[9000] = kNaN;
  plane[9001] = 1.5f;
  plane[9500] = -1.0f;
  CHECK(pjd::published::first_bad_coherence(plane.data(), plane.size()) == 9001);
}

TEST_CASE("pjd detect refuses a coherence of 5 or an infinite phase, naming the cell", "[detect][bad][cli]") {
  pjd::test::TempDir tmp("bad_cells");
  for (const auto compression : {pjd::SimCompression::None, pjd::SimCompression::Lzf}) {
    pjd::SimParams sp = pjd::sim_preset("tiny");  // 60 columns, 200 rows
    sp.compression = compression;
    sp.seed = 3;
    sp.threads = 2;
    const std::string cname = compression == pjd::SimCompression::None ? "none" : "lzf";
    const fs::path dir = tmp.path() / cname;
    const auto truth = pjd::simulate(dir / "good", sp);
    REQUIRE(truth.pairs.size() > 6);
    struct Case {
      std::string name;
      const char* dataset;
      std::size_t pair, row, col;
      float value;
      std::string extra, value_text;
    };
    const std::vector<Case> cases = {
        {"coh5", "coherence", 3, 17, 21, 5.0f, "", "coherence 5 is outside 0 to 1"},
        {"neginf", "unwrapPhase", 4, 120, 7, -kInf, "", "the unwrapped phase is -inf"},
        {"posinf_robust", "unwrapPhase", 5, 0, 0, kInf, " --method robust --n-burst 4", "the unwrapped phase is inf"},
        {"coh_neg_subx", "coherence", 2, 50, 17, -0.5f, " --sub-x 10 40", "coherence -0.5 is outside 0 to 1"},
        // Another pair than the one analysed, read for the average-coherence mask.
        {"coh5_mask", "coherence", 6, 9, 3, 5.0f, " --pair " + truth.pairs[1].pair + " --msk-avgCoh",
         "coherence 5 is outside 0 to 1"},
    };
    for (const auto& c : cases) {
      const fs::path sd = dir / c.name;
      fs::create_directories(sd / "inputs");
      fs::copy_file(truth.stack_file, sd / "inputs" / "ifgramStack.h5");
      set_cell(sd / "inputs" / "ifgramStack.h5", c.dataset, c.pair, c.row, c.col, c.value);
      for (const char* direct : {"1", "0"}) {
        INFO(cname << " " << c.name << " PJD_DIRECT_READ=" << direct);
        ::setenv("PJD_DIRECT_READ", direct, 1);
        const fs::path out = sd / ("out" + std::string(direct)), cat = sd / ("c" + std::string(direct) + ".gpkg");
        const auto r = run_pjd("detect " + (sd / "inputs" / "ifgramStack.h5").string() +
                               " --progress none --out " + out.string() + " --catalog " + cat.string() +
                               (c.extra.find("--method") == std::string::npos ? " --method published --n-burst 4" : "") +
                               c.extra);
        ::unsetenv("PJD_DIRECT_READ");
        INFO(r.err);
        CHECK(r.exit_code == 3);
        CHECK(lines(r.err) == 1);
        const std::string pair = truth.pairs[c.pair].pair;
        CHECK(r.err.find((sd / "inputs" / "ifgramStack.h5").string() + ": dataset " + c.dataset + ", pair " + pair +
                         " (index " + std::to_string(c.pair) + "), row " + std::to_string(c.row) + ", column " +
                         std::to_string(c.col) + ": " + c.value_text) != std::string::npos);
        CHECK_FALSE(fs::exists(out));
        if (fs::exists(cat)) CHECK(pjd::test::sql_scalar(cat, "SELECT count(*) FROM pjd_runs") == "0");
      }
    }
    // The same stack unchanged is accepted (the check refuses nothing that is normal).
    const auto ok = run_pjd("detect " + truth.stack_file.string() + " --method published --n-burst 4 --progress none "
                            "--no-figures --no-catalog --out " + (dir / "out_good").string());
    CHECK(ok.exit_code == 0);
  }
}
