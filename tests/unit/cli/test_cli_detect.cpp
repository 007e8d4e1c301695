// pjd detect: exit codes and messages of the checks that run before detect(), and the
// progress front ends.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "test_config.hpp"
// The CLI's progress display is not part of libpjd; compile it into the tests.
#include "pjd/error.hpp"
#include "progress_display.hpp"

using pjd::test::run_pjd;

namespace {
std::string stack(const std::string& name) { return std::string(pjd::test::kParityDir) + "/" + name; }
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST_CASE("pjd detect: bad usage exits 2 with one line naming the option", "[cli][detect]") {
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {stack("nominal") + " --method published", "--n-burst must be >= 2"},
      {stack("nominal") + " -n 1", "--n-burst must be >= 2"},
      {stack("nominal") + " --n-burst 6 --sub-x 20 140", "WIDTH 140"},
      {"--inDir " + stack("nominal") + " -n 6 --sub-x -3 20", "WIDTH 140"},
      {"-i " + stack("nominal") + " -n 6 --pair 20200101_20200113", "20200101_20200113"},
      {stack("nominal") + " -n 6 --cmin 0", "--cmin"},
      {stack("nominal") + " -n 6 --pct 25", "--pct"},
      {stack("nominal") + " -n 6 --pj-thr -1", "--pj-thr"},
      {stack("nominal") + " -n 6 --method other", "--method: other not in {published,robust}"},
      {stack("nominal") + " --in-dir " + stack("lowcoh_lzf") + " -n 6", "give the stack once"},
      {"-n 6", "no stack given"},
      {stack("nominal") + " -n 6 --format xml", "--format"},
  };
  for (const auto& c : cases) {
    INFO("pjd detect " << c.args);
    const auto r = run_pjd("detect " + c.args);
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, c.expect));
    CHECK(lines(r.err) == 1);
    CHECK(r.out.empty());
  }
}

TEST_CASE("pjd detect: unsuitable data exits 3 naming the file", "[cli][detect]") {
  auto r = run_pjd("detect " + stack("nominal") + " -n 9 --method published");
  CHECK(r.exit_code == 3);
  CHECK(has(r.err, "ifgramStack.h5"));
  CHECK(has(r.err, "number_of_bursts 6"));
  CHECK(lines(r.err) == 1);

  r = run_pjd("detect /nonexistent/mintpy -n 6");
  CHECK(r.exit_code == 3);
  CHECK(has(r.err, "/nonexistent/mintpy"));
}

TEST_CASE("pjd detect: reference option spellings are accepted", "[cli][detect]") {
  // The reference's spellings run the whole detection (of one pair: the spellings are what
  // is checked, and --plot-ind draws a figure per analysed pair).
  pjd::test::TempDir out("cli_detect_out");
  const auto r = run_pjd("detect --inDir " + stack("descending_subx") +
                         " --method published --n-burst 4 --sub-x 180 20 --pj-thr 3 --cmin 0.7 --msk-avgCoh --pct 0.1 --plot-ind "
                         "--pair 20210103_20210127 --no-catalog --progress none --out " + out.path().string());
  CHECK(r.exit_code == 0);
  CHECK(std::filesystem::exists(out.path() / "20210103_20210127_summary.json"));
  // --plot-ind: the pair's figure next to the summary figures.
  CHECK(std::filesystem::exists(out.path() / "figs" / "abs_grad_az_20210103_20210127.png"));
  CHECK(std::filesystem::exists(out.path() / "figs" / "20210103_20210127_masked_intensity.png"));
  const auto s = nlohmann::json::parse(pjd::test::slurp(out.path() / "20210103_20210127_summary.json"));
  CHECK(s["params"]["sub_x"] == nlohmann::json::array({20, 180}));
  CHECK(s["params"]["mask_avg_coh"] == true);
  CHECK(s["params"]["pct"] == 0.1);
}

TEST_CASE("pjd detect --help-json lists the options", "[cli][detect]") {
  const auto r = run_pjd("detect --help-json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["command"] == "pjd detect");
  bool n_burst = false, msk = false;
  for (const auto& o : j["options"]) {
    if (o["name"] == "n-burst") n_burst = (o["flags"].dump().find("\"-n\"") != std::string::npos);
    if (o["name"] == "msk-avgCoh") msk = o["type"] == "FLAG";
  }
  CHECK(n_burst);
  CHECK(msk);
}

TEST_CASE("progress display: json lines, silent bar off a terminal, none", "[cli][progress]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  auto fn = pjd::cli::make_progress("json", f);
  REQUIRE(fn);
  fn(0.0, "read");
  fn(0.001, "read");  // moved < 0.01: not printed
  fn(0.42, "read");
  fn(0.42, "refine");  // stage changed: printed
  fn(1.0, "refine");
  std::rewind(f);
  std::string text;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  CHECK(text ==
        "{\"progress\": 0.0, \"stage\": \"read\"}\n"
        "{\"progress\": 0.42, \"stage\": \"read\"}\n"
        "{\"progress\": 0.42, \"stage\": \"refine\"}\n"
        "{\"progress\": 1.0, \"stage\": \"refine\"}\n");

  std::FILE* g = std::tmpfile();
  CHECK_FALSE(pjd::cli::make_progress("bar", g));   // not a terminal
  CHECK_FALSE(pjd::cli::make_progress("auto", g));  // auto -> none off a terminal
  CHECK_FALSE(pjd::cli::make_progress("none", g));
  CHECK_THROWS_AS(pjd::cli::make_progress("loud", g), pjd::Error);
  std::fclose(g);
}

TEST_CASE("pjd detect reproduces the reference's text reports byte for byte", "[cli][detect][parity]") {
  const auto cases = nlohmann::json::parse(std::ifstream(std::string(pjd::test::kParityDir) + "/cases.json"));
  for (const auto& [name, c] : cases.items()) {
    INFO(name);
    pjd::test::TempDir out("cli_parity_" + name);
    std::string args;
    for (const auto& a : c["reference_args"]) args += " " + a.get<std::string>();
    const auto r = run_pjd("detect " + stack(name) + " --method published --n-burst " + std::to_string(c["n_burst"].get<int>()) + args +
                           " --progress none --out " + out.path().string());
    REQUIRE(r.exit_code == 0);
    for (const char* f : {"pj_coordinates.txt", "magnitude_phase_jumps.txt",
                          "exclude_listdate12_interferograms_by_phase_jump.txt", "exclude_dates_by_phase_jumps.txt",
                          "stats_absolute_gradient.txt"}) {
      INFO(f);
      std::ifstream a(out.path() / f), b(std::string(pjd::test::kParityDir) + "/" + name + "/reference/" + f);
      const std::string ours((std::istreambuf_iterator<char>(a)), {}), theirs((std::istreambuf_iterator<char>(b)), {});
      CHECK(!theirs.empty());
      CHECK(ours == theirs);
    }
  }
}
