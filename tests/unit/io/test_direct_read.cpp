// The direct reader (chunk index parsed from the file, pairs read with pread) against HDF5.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "io/direct_read.hpp"
#include "helpers.hpp"
#include "pjd/detect.hpp"
#include "pjd/simulate.hpp"

using pjd::test::TempDir;

namespace {

pjd::Stack simulate_small(const std::filesystem::path& dir, pjd::SimCompression c, std::size_t width) {
  pjd::SimParams sp = pjd::sim_preset("small");
  sp.seed = 11;
  sp.width = width;
  sp.compression = c;
  sp.threads = 2;
  pjd::simulate(dir, sp);
  return pjd::Stack::open(dir);
}

/// Sets PJD_DIRECT_READ for the life of the object.
struct DirectReadEnv {
  explicit DirectReadEnv(const char* v) { ::setenv("PJD_DIRECT_READ", v, 1); }
  ~DirectReadEnv() { ::unsetenv("PJD_DIRECT_READ"); }
};

}  // namespace

TEST_CASE("the direct reader reads what HDF5 reads, for any column window", "[direct_read]") {
  TempDir tmp("direct_read_equal");
  // 150 columns: the last chunk column is partial for most chunk widths.
  const auto stack = simulate_small(tmp.path(), pjd::SimCompression::None, 150);
  const auto reader = pjd::DirectReader::open(stack.file(), {"unwrapPhase", "coherence"});
  REQUIRE(reader);
  const std::size_t rows = stack.length(), w = stack.width();
  std::vector<float> stage;
  const std::vector<std::pair<std::size_t, std::size_t>> windows{{0, w}, {13, w - 7}, {5, 6}, {w - 1, w}, {40, 111}};
  const std::vector<std::size_t> pairs{0, 1, stack.n_pairs() / 2, stack.n_pairs() - 1};
  const char* names[2] = {"unwrapPhase", "coherence"};
  for (const auto& [x0, x1] : windows)
    for (std::size_t p : pairs)
      for (std::size_t d = 0; d < 2; ++d) {
        const std::size_t n = rows * (x1 - x0);
        std::vector<float> want(n), got(n, -1.0f);
        stack.read(names[d], p, p + 1, x0, x1, want.data());
        reader->read_pair(d, p, x0, x1, got.data(), stage);
        INFO(names[d] << " pair " << p << " columns " << x0 << ":" << x1);
        CHECK(std::memcmp(want.data(), got.data(), n * sizeof(float)) == 0);
      }
}

TEST_CASE("gzip is left to HDF5; LZF chunks are decompressed as HDF5 does", "[direct_read]") {
  {
    TempDir tmp("direct_read_gzip");
    const auto stack = simulate_small(tmp.path(), pjd::SimCompression::Gzip, 60);
    CHECK_FALSE(pjd::DirectReader::open(stack.file(), {"unwrapPhase", "coherence"}));
  }
  TempDir tmp("direct_read_lzf");
  const auto stack = simulate_small(tmp.path(), pjd::SimCompression::Lzf, 150);
  const auto reader = pjd::DirectReader::open(stack.file(), {"unwrapPhase", "coherence"});
  REQUIRE(reader);
  CHECK(reader->compressed());
  const std::size_t rows = stack.length(), w = stack.width(), cp = reader->group_pairs();
  const std::size_t groups = (stack.n_pairs() + cp - 1) / cp;
  std::vector<char> packed;
  std::vector<float> chunk;
  const char* names[2] = {"unwrapPhase", "coherence"};
  for (const auto& [x0, x1] : std::vector<std::pair<std::size_t, std::size_t>>{{0, w}, {13, w - 7}})
    for (std::size_t g : {std::size_t{0}, groups - 1})  // the last group may be short
      for (std::size_t d = 0; d < 2; ++d) {
        const std::size_t p0 = g * cp, np = std::min(cp, stack.n_pairs() - p0), n = np * rows * (x1 - x0);
        std::vector<float> want(n), got(n, -1.0f);
        stack.read(names[d], p0, p0 + np, x0, x1, want.data());
        reader->read_group(d, g, x0, x1, got.data(), packed, chunk);
        INFO(names[d] << " group " << g << " columns " << x0 << ":" << x1);
        CHECK(std::memcmp(want.data(), got.data(), n * sizeof(float)) == 0);
      }
}

TEST_CASE("published detect gives the same result read directly or through HDF5", "[direct_read][published]") {
  for (auto compression : {pjd::SimCompression::None, pjd::SimCompression::Lzf}) {
    TempDir tmp("direct_read_detect");
    const auto stack = simulate_small(tmp.path(), compression, 150);
    for (bool sub_x : {false, true}) {
      pjd::DetectParams p;
      p.method = "published";
      p.n_burst = 6;
      p.threads = 2;
      p.mask_avg_coh = true;
      if (sub_x) p.sub_x = std::make_pair<std::size_t, std::size_t>(17, 131);
      const pjd::DetectResult direct = pjd::detect(stack, p);
      pjd::DetectResult via_hdf5;
      {
        DirectReadEnv env("0");
        via_hdf5 = pjd::detect(stack, p);
      }
      INFO("sub_x " << sub_x);
      REQUIRE(direct.pairs.size() == via_hdf5.pairs.size());
      auto same_bits = [](const auto& a, const auto& b) {
        return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;
      };
      CHECK(same_bits(direct.profiles.intensity_pct, via_hdf5.profiles.intensity_pct));
      CHECK(same_bits(direct.profiles.median_grad_mm, via_hdf5.profiles.median_grad_mm));
      CHECK(same_bits(direct.profiles.counts, via_hdf5.profiles.counts));
      CHECK(same_bits(direct.avg_coherence, via_hdf5.avg_coherence));
      CHECK(direct.avg_coh_mask_counts == via_hdf5.avg_coh_mask_counts);
      for (std::size_t q = 0; q < direct.pairs.size(); ++q) {
        CHECK(std::memcmp(&direct.pairs[q].coh_mean, &via_hdf5.pairs[q].coh_mean, sizeof(double)) == 0);
        CHECK(std::memcmp(&direct.pairs[q].grad_std_mm, &via_hdf5.pairs[q].grad_std_mm, sizeof(double)) == 0);
      }
      REQUIRE(direct.seams.size() == via_hdf5.seams.size());
      for (std::size_t j = 0; j < direct.seams.size(); ++j) CHECK(direct.seams[j].row == via_hdf5.seams[j].row);
      CHECK(direct.excluded_pairs == via_hdf5.excluded_pairs);
      // The summary text splices the profile arrays in; read back, it is the same document.
      const auto doc = nlohmann::json::parse(pjd::to_json_text(direct));
      CHECK(doc == pjd::to_json(direct));
    }
  }
}

TEST_CASE("robust detect gives the same result read directly or through HDF5", "[direct_read][robust]") {
  for (auto compression : {pjd::SimCompression::None, pjd::SimCompression::Lzf}) {
    TempDir tmp("direct_read_robust");
    const auto stack = simulate_small(tmp.path(), compression, 150);
    pjd::DetectParams p;
    p.threads = 2;
    auto doc = [&] {
      auto j = pjd::to_json(pjd::detect(stack, p));
      j.erase("timings_s");
      return j;
    };
    const auto direct = doc();
    DirectReadEnv env("0");
    const auto via_hdf5 = doc();
    CHECK(direct["seams"].size() > 0);
    CHECK(direct == via_hdf5);
  }
}
