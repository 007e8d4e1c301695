// Fuzz target: reading a detect result back (pjd::read_result_summary: summary.json,
// result_from_json, params_from_json), as `pjd exclude`, `pjd overlay` and the catalogue do.
//
// The input is the whole summary.json. pjd::Error is the expected answer to a malformed
// summary; any other exception, a crash or a sanitizer report is a finding. A summary that
// is accepted must also survive what pjd itself does with it: written again (to_json) it
// reads back, and the second reading writes the same text (pjd reads what pjd writes).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "fuzz_support.hpp"
#include "pjd/detect.hpp"
#include "pjd/error.hpp"
#include "pjd/outputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = pjd_fuzz::write_input(data, size, "summary.json");
  try {
    const pjd::LoadedResult loaded = pjd::read_result_summary(file);
    const std::string once = pjd::to_json(loaded.result).dump();
    pjd::DetectResult again;
    try {
      again = pjd::result_from_json(nlohmann::json::parse(once), "rewritten summary");
    } catch (const pjd::Error& e) {
      pjd_fuzz::finding(std::string("an accepted summary, written again by to_json, is refused: ") + e.what());
    }
    if (pjd::to_json(again).dump() != once) pjd_fuzz::finding("to_json(result_from_json(to_json(r))) differs from to_json(r)");
  } catch (const pjd::Error&) {
    // The expected refusal of a malformed summary.
  } catch (const std::exception& e) {
    pjd_fuzz::finding(std::string("not a pjd::Error: ") + e.what());
  } catch (...) {
    pjd_fuzz::finding("an exception that is not a std::exception");
  }
  return 0;
}
