// Front-end behaviour shared by every subcommand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "helpers.hpp"

TEST_CASE("the help-json option describes a command's options", "[cli]") {
  auto r = pjd::test::run_pjd("info --help-json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["command"] == "pjd info");
  REQUIRE(j["options"].size() == 2);
  CHECK(j["options"][0]["name"] == "STACK");
  CHECK(j["options"][0]["required"] == true);
  CHECK(j["options"][1]["choices"] == nlohmann::json::array({"text", "json"}));
  CHECK(j["options"][1]["default"] == "text");

  r = pjd::test::run_pjd("catalog pairs --help-json");
  REQUIRE(r.exit_code == 0);
  const auto p = nlohmann::json::parse(r.out);
  CHECK(p["command"] == "pjd catalog pairs");
  bool excluded_is_flag = false;
  for (const auto& o : p["options"])
    if (o["name"] == "excluded") excluded_is_flag = o["type"] == "FLAG";
  CHECK(excluded_is_flag);
  // --catalog names the path the default resolves to; a command lists its subcommands.
  for (const auto& o : p["options"])
    if (o["name"] == "catalog") CHECK(o["default"].get<std::string>().find(".gpkg") != std::string::npos);

  r = pjd::test::run_pjd("catalog --help-json");
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> subs;
  const auto c = nlohmann::json::parse(r.out);
  for (const auto& s : c["subcommands"]) subs.push_back(s["name"].get<std::string>());
  CHECK(std::find(subs.begin(), subs.end(), "bad-dates") != subs.end());
  CHECK(std::find(subs.begin(), subs.end(), "pairs") != subs.end());
}

TEST_CASE("unknown commands and options are usage errors", "[cli]") {
  auto r = pjd::test::run_pjd("frobnicate");
  CHECK(r.exit_code == 2);
  r = pjd::test::run_pjd("info --no-such-option x");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no-such-option") != std::string::npos);
  r = pjd::test::run_pjd("help nosuch");
  CHECK(r.exit_code == 2);
}
