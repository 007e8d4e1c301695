// Fuzz target: opening a stack (pjd::Stack::open: the HDF5 file, its attributes, 'date',
// dropIfgram, the shapes and types of the 3-D datasets, the chunk indexes), then what a
// caller asks of an open stack: the attributes pjd computes with, the dates, the pairs'
// baselines and one pair of each 3-D dataset.
//
// The input is the whole ifgramStack.h5. pjd::Error is the expected answer to a damaged
// file; any other exception, a crash, a sanitizer report or an HDF5 object left open is a
// finding.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "fuzz_support.hpp"
#include "pjd/error.hpp"
#include "pjd/stack.hpp"

namespace {

/// One pair is read only when it is small (a damaged file may declare a pair of 10^12
/// cells; the callers read in blocks, never a whole pair of that size).
constexpr std::size_t kMaxCellsRead = std::size_t{1} << 20;

void use(const pjd::Stack& stack) {
  const auto& attrs = stack.attributes();
  (void)attrs.number("WAVELENGTH");
  try {
    (void)stack.wavelength_m();
  } catch (const pjd::Error&) {
  }
  (void)stack.orbit_direction();
  (void)stack.alooks();
  (void)stack.rlooks();
  (void)stack.dates();
  for (const auto& p : stack.pairs()) {
    if (stack.pair_index(p.name()) == std::nullopt) pjd_fuzz::finding("pair_index misses " + p.name());
    if (p.btemp_days() <= 0) pjd_fuzz::finding("pair " + p.name() + " has a temporal baseline <= 0");
  }
  if (stack.keep().size() != stack.n_pairs()) pjd_fuzz::finding("keep() and pairs() differ in size");
  if (stack.length() * stack.width() > kMaxCellsRead) return;
  for (const auto& [name, info] : stack.datasets()) {
    if (info.shape.size() != 3) continue;
    (void)stack.chunk_depth(name);
    (void)stack.block_pairs({name}, stack.width());
    try {
      const auto v = stack.read_pair(name, stack.n_pairs() - 1);
      if (v.size() != stack.length() * stack.width()) pjd_fuzz::finding("read_pair returned the wrong size");
    } catch (const pjd::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = pjd_fuzz::write_input(data, size, "ifgramStack.h5");
  try {
    const auto stack = pjd::Stack::open(file);
    use(stack);
  } catch (const pjd::Error&) {
    // The expected refusal of a damaged file.
  } catch (const std::exception& e) {
    pjd_fuzz::finding(std::string("not a pjd::Error: ") + e.what());
  } catch (...) {
    pjd_fuzz::finding("an exception that is not a std::exception");
  }
  pjd_fuzz::check_hdf5_closed("Stack::open");
  return 0;
}
