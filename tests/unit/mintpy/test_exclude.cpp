// Exclusions for MintPy: template edit, network check, read-only refusal.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "pjd/error.hpp"
#include "pjd/exclude.hpp"
#include "pjd/stack.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::test::TempDir;

namespace {

std::vector<std::string> split_lines(const std::string& t) {
  std::vector<std::string> out;
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

const char* kTemplate =
    "# vim: set filetype=cfg:\n"
    "mintpy.load.processor      = isce  #[isce, aria]\n"
    "mintpy.network.tempBaseMax     = auto  #[1-inf, no], auto for no\n"
    "mintpy.network.excludeDate     = 20200101  #[20080520,20090817 / no], auto for no\n"
    "mintpy.network.excludeDate12   = auto  #[20080520_20090817 / no], auto for no\n"
    "## mintpy.network.excludeDate = 19990101 (a comment, not a setting)\n"
    "mintpy.reference.yx        = 100,200\n";

}  // namespace

TEST_CASE("template edit: in place, keeps other lines, idempotent", "[exclude]") {
  pjd::ExclusionSet set;
  set.pairs = {"20200113_20200125", "20200125_20200206"};
  set.dates = {"20200125"};
  const auto e1 = pjd::edit_template(kTemplate, set);
  CHECK(e1.changed);
  CHECK(e1.keys_appended.empty());
  const auto before = split_lines(kTemplate), after = split_lines(e1.text);
  REQUIRE(before.size() == after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (i == 3) {
      // Merged with the user's date, spacing and comment kept.
      CHECK(after[i] == "mintpy.network.excludeDate     = 20200101,20200125  #[20080520,20090817 / no], auto for no");
    } else if (i == 4) {
      CHECK(after[i] ==
            "mintpy.network.excludeDate12   = 20200113_20200125,20200125_20200206  #[20080520_20090817 / no], auto for no");
    } else {
      CHECK(after[i] == before[i]);  // unrelated lines, and the commented-out key, untouched
    }
  }
  CHECK(e1.dates_added == std::vector<std::string>{"20200125"});
  // Second application: nothing changes.
  const auto e2 = pjd::edit_template(e1.text, set);
  CHECK_FALSE(e2.changed);
  CHECK(e2.text == e1.text);
  CHECK(e2.pairs_added.empty());
  // --replace drops the user's date; an empty set writes "auto".
  const auto e3 = pjd::edit_template(e1.text, set, true);
  CHECK(split_lines(e3.text)[3] == "mintpy.network.excludeDate     = 20200125  #[20080520,20090817 / no], auto for no");
  const auto e4 = pjd::edit_template(e1.text, pjd::ExclusionSet{}, true);
  CHECK(split_lines(e4.text)[4] == "mintpy.network.excludeDate12   = auto  #[20080520_20090817 / no], auto for no");
}

TEST_CASE("template edit: absent keys are appended once; files written atomically", "[exclude]") {
  pjd::ExclusionSet set;
  set.pairs = {"20200113_20200125"};
  const std::string t = "mintpy.load.processor = isce";  // no final newline
  const auto e = pjd::edit_template(t, set);
  CHECK(e.keys_appended.size() == 2);
  const auto lines = split_lines(e.text);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "mintpy.load.processor = isce");
  CHECK(lines[2] == "mintpy.network.excludeDate12 = 20200113_20200125");
  CHECK(lines[3] == "mintpy.network.excludeDate = auto");
  CHECK_FALSE(pjd::edit_template(e.text, set).changed);

  TempDir dir("exclude_cfg");
  const auto f = dir.path() / "smallbaselineApp.cfg";
  {
    std::ofstream(f) << kTemplate;
  }
  auto r = pjd::update_template_file(f, set, false, /*dry_run=*/true);
  CHECK(r.changed);
  std::stringstream ss;
  ss << std::ifstream(f).rdbuf();
  CHECK(ss.str() == kTemplate);  // dry run: untouched
  r = pjd::update_template_file(f, set, false, false);
  std::stringstream ss2;
  ss2 << std::ifstream(f).rdbuf();
  CHECK(ss2.str() == r.text);
  CHECK_FALSE(pjd::update_template_file(f, set, false, false).changed);
}

TEST_CASE("network check on a hand-made network", "[exclude]") {
  // Dates A..F (as 2020010X), each joined to its two next neighbours.
  const std::vector<std::string> d{"20200101", "20200102", "20200103", "20200104", "20200105", "20200106"};
  std::vector<std::string> pairs;
  for (std::size_t i = 0; i < d.size(); ++i)
    for (std::size_t k = 1; k <= 2 && i + k < d.size(); ++k) pairs.push_back(d[i] + "_" + d[i + k]);
  const std::vector<bool> kept(pairs.size(), true);

  SECTION("dropping one date keeps it connected") {
    pjd::ExclusionSet set;
    set.dates = {"20200103"};
    const auto drop = pjd::pairs_to_drop(pairs, set);
    CHECK(drop.size() == 4);
    const auto c = pjd::check_network(pairs, kept, drop);
    CHECK(c.components_before == 1);
    CHECK(c.components_after == 1);
    CHECK_FALSE(c.disconnects());
    CHECK(c.dates_removed == std::vector<std::string>{"20200103"});
    CHECK(c.pairs_to_keep.empty());
  }
  SECTION("dropping two consecutive dates cuts the network; one pair reconnects it") {
    pjd::ExclusionSet set;
    set.dates = {"20200103", "20200104"};
    const auto drop = pjd::pairs_to_drop(pairs, set);
    const auto c = pjd::check_network(pairs, kept, drop);
    CHECK(c.disconnects());
    CHECK(c.components_after == 2);
    CHECK(c.dates_removed == std::vector<std::string>{"20200103", "20200104"});
    // Ties (2 vs 2 dates) go to the earliest: 0105-0106 are cut off.
    CHECK(c.dates_cut_off == std::vector<std::string>{"20200105", "20200106"});
    // No direct pair joins {01,02} and {05,06}: the fewest are two through 03 or 04.
    CHECK(c.pairs_to_keep.size() == 2);
    // Keeping them reconnects.
    std::vector<std::string> drop2;
    for (const auto& p : drop)
      if (std::find(c.pairs_to_keep.begin(), c.pairs_to_keep.end(), p) == c.pairs_to_keep.end()) drop2.push_back(p);
    CHECK_FALSE(pjd::check_network(pairs, kept, drop2).disconnects());
  }
  SECTION("dropping the pairs across a gap: one pair to keep, the one with the smallest ramp") {
    // Pairs crossing between 0103 and 0104: 0102_0104, 0103_0104, 0103_0105.
    const std::vector<std::string> drop{"20200102_20200104", "20200103_20200104", "20200103_20200105"};
    std::map<std::string, double> ramp{{"20200102_20200104", 9.0}, {"20200103_20200104", 6.0}, {"20200103_20200105", 7.5}};
    const auto c = pjd::check_network(pairs, kept, drop, ramp);
    CHECK(c.components_after == 2);
    CHECK(c.dates_removed.empty());
    CHECK(c.dates_cut_off == std::vector<std::string>{"20200104", "20200105", "20200106"});
    CHECK(c.pairs_to_keep == std::vector<std::string>{"20200103_20200104"});
  }
  SECTION("a network already split is not refused for staying split") {
    std::vector<bool> k = kept;
    for (std::size_t i = 0; i < pairs.size(); ++i)
      if (pairs[i] == "20200102_20200104" || pairs[i] == "20200103_20200104" || pairs[i] == "20200103_20200105")
        k[i] = false;
    const auto c = pjd::check_network(pairs, k, {"20200101_20200102"});
    CHECK(c.components_before == 2);
    CHECK(c.components_after == 2);
    CHECK_FALSE(c.disconnects());
  }
}

TEST_CASE("apply refuses a read-only stack and names it", "[exclude]") {
  TempDir dir("exclude_ro");
  const auto f = dir.path() / "ifgramStack.h5";
  fs::copy_file(std::string(pjd::test::kParityDir) + "/nominal/inputs/ifgramStack.h5", f);
  fs::permissions(f, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  try {
    pjd::apply_drop(f, {"20210103_20210115"}, {}, false, false);
    FAIL("no error");
  } catch (const pjd::Error& e) {
    CHECK(e.kind() == pjd::ErrorKind::Data);
    CHECK(std::string(e.what()).find("read-only") != std::string::npos);
    CHECK(std::string(e.what()).find(f.string()) != std::string::npos);
  }
  // A dry run reads only and works.
  const auto ch = pjd::apply_drop(f, {"20210103_20210115"}, {}, false, true);
  CHECK(ch.newly_dropped == std::vector<std::string>{"20210103_20210115"});
  CHECK(pjd::Stack::open(f).keep()[0]);
  // Nothing to restore.
  fs::permissions(f, fs::perms::owner_write, fs::perm_options::add);
  CHECK_THROWS_AS(pjd::restore_drop(f, false), pjd::Error);
}
