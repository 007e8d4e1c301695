// A stack that grows: `pjd detect` on the grown stack, with the catalogue of the run on
// the smaller one, reuses the stored profiles of the old pairs and gives the same result
// as a full run (summary.json identical but for timings and the reuse count).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/h5util.hpp"
#include "helpers.hpp"
#include "pjd/simulate.hpp"

namespace fs = std::filesystem;
using pjd::h5::Handle;

namespace {

using pjd::test::slurp;

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

herr_t count_attribute(hid_t, const char*, const H5A_info_t*, void* n) {
  ++*static_cast<int*>(n);
  return 0;
}

/// The stack as it was before its last pairs arrived: a copy of `src` whose per-pair
/// datasets keep their first `n_keep` pairs (3-D chunked datasets shrunk in place,
/// the 1-D/2-D ones - date, bperp, dropIfgram - written again).
void truncated_copy(const fs::path& src, const fs::path& dst, hsize_t n_keep) {
  fs::create_directories(dst.parent_path());
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
  pjd::h5::init_library();
  Handle f(H5Fopen(dst.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  REQUIRE(f.valid());
  hsize_t n = 0;
  {
    Handle d(H5Dopen2(f, "date", H5P_DEFAULT));
    Handle sp(H5Dget_space(d));
    hsize_t dims[2];
    REQUIRE(H5Sget_simple_extent_dims(sp, dims, nullptr) == 2);
    n = dims[0];
  }
  REQUIRE(n_keep < n);
  std::vector<std::string> names;
  REQUIRE(H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names) >= 0);
  for (const auto& name : names) {
    Handle d(H5Dopen2(f, name.c_str(), H5P_DEFAULT));
    REQUIRE(d.valid());
    Handle sp(H5Dget_space(d));
    const int rank = H5Sget_simple_extent_ndims(sp);
    if (rank < 1) continue;
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(sp, dims.data(), nullptr);
    if (dims[0] != n) continue;
    dims[0] = n_keep;
    Handle dcpl(H5Dget_create_plist(d));
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
      INFO(name);
      REQUIRE(H5Dset_extent(d, dims.data()) >= 0);
      continue;
    }
    // Contiguous: read the kept part, then replace the dataset.
    INFO(name);
    int n_attrs = 0;
    hsize_t idx = 0;
    REQUIRE(H5Aiterate2(d, H5_INDEX_NAME, H5_ITER_INC, &idx, count_attribute, &n_attrs) >= 0);
    REQUIRE(n_attrs == 0);  // nothing else to carry over
    Handle type(H5Dget_type(d));
    REQUIRE(H5Tis_variable_str(type) == 0);
    std::vector<hsize_t> start(dims.size(), 0);
    REQUIRE(H5Sselect_hyperslab(sp, H5S_SELECT_SET, start.data(), nullptr, dims.data(), nullptr) >= 0);
    Handle mem(H5Screate_simple(rank, dims.data(), nullptr));
    std::size_t count = 1;
    for (auto v : dims) count *= v;
    std::vector<char> buf(count * H5Tget_size(type));
    REQUIRE(H5Dread(d, type, mem, sp, H5P_DEFAULT, buf.data()) >= 0);
    d.reset();
    REQUIRE(H5Ldelete(f, name.c_str(), H5P_DEFAULT) >= 0);
    Handle nd(H5Dcreate2(f, name.c_str(), type, mem, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    REQUIRE(nd.valid());
    REQUIRE(H5Dwrite(nd, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) >= 0);
  }
}

nlohmann::json summary(const fs::path& out) {
  auto doc = nlohmann::json::parse(slurp(out / "summary.json"));
  doc.erase("timings_s");
  doc.erase("n_pairs_reused");
  return doc;
}

}  // namespace

TEST_CASE("pjd detect on a grown stack reuses the catalogue's profiles and equals a full run",
          "[catalog][incremental][cli]") {
  using pjd::test::run_pjd;
  pjd::test::TempDir tmp("incremental");
  pjd::SimParams sp = pjd::sim_preset("tiny");
  sp.n_burst = 4;
  sp.seed = 11;
  sp.n_lowcoh_pairs = 0;
  const auto truth = pjd::simulate(tmp.path() / "full", sp);
  const fs::path stack = truth.stack_file;
  const std::size_t n = truth.pairs.size();
  REQUIRE(n > 6);
  const fs::path old = tmp.path() / "old" / "inputs" / "ifgramStack.h5";
  truncated_copy(stack, old, n - 6);

  // "plain": cmin 0.3 keeps every row reliable, so the average-coherence mask stays off;
  // "mask": the mask on, which reads every pair's coherence again in stack order.
  // "robust": the default method, which also reuses its per-segment profiles.
  for (const auto& [variant, extra] :
       {std::pair<std::string, std::string>{"plain", "--method published --n-burst 4 --cmin 0.3"},
        std::pair<std::string, std::string>{"mask", "--method published --n-burst 4 --msk-avgCoh"},
        std::pair<std::string, std::string>{"robust", "--method robust"}}) {
    INFO("variant " << variant);
    const fs::path cat = tmp.path() / (variant + ".gpkg");
    auto out = [&](const std::string& name) { return tmp.path() / (variant + "_" + name); };
    const std::string base = " --progress none --format json " + extra;
    auto r = run_pjd("detect " + old.string() + " --out " + out("old").string() + " --catalog " + cat.string() + base);
    REQUIRE(r.exit_code == 0);
    const auto inc = run_pjd("detect " + stack.string() + " --out " + out("inc").string() + " --catalog " +
                             cat.string() + base);
    REQUIRE(inc.exit_code == 0);
    r = run_pjd("detect " + stack.string() + " --out " + out("full").string() + " --no-catalog" + base);
    REQUIRE(r.exit_code == 0);

    CHECK(nlohmann::json::parse(inc.out)["n_pairs_reused"] == n - 6);
    const auto a = summary(out("inc")), b = summary(out("full"));
    CHECK(a["avg_coh_mask"]["used"] == (variant == "mask"));
    std::string differ;
    for (const auto& [k, v] : a.items())
      if (!b.contains(k) || b[k] != v) differ += " " + k;
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) differ += " " + k;
    INFO("incremental and full results differ in:" << differ);
    CHECK(a == b);
    for (const char* name : {"pj_coordinates.txt", "magnitude_phase_jumps.txt", "stats_absolute_gradient.txt",
                             "exclude_listdate12_interferograms_by_phase_jump.txt"}) {
      INFO(name);
      CHECK(fs::exists(out("inc") / name));
      CHECK(fs::exists(out("full") / name));
      CHECK(slurp(out("inc") / name) == slurp(out("full") / name));
    }
  }
}
