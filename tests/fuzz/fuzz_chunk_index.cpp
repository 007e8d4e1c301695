// Fuzz target: the chunk-index parser (io/direct_read.cpp): check_chunk_indexes, which
// walks the version 1 B-trees of a file's chunked datasets before HDF5 may, and
// DirectReader::open, which also turns them into chunk offsets; when a reader opens, every
// pair of both datasets is read through it (the path detect's direct pass takes), so an
// offset or size the checks let through is read here.
//
// The input is a whole HDF5 file (a stack). pjd::Error is the expected answer to a
// damaged index; any other exception, a crash, a sanitizer report or an HDF5 object left
// open is a finding.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <hdf5.h>

#include "fuzz_support.hpp"
#include "io/direct_read.hpp"
#include "pjd/error.hpp"

namespace {

/// The datasets a MintPy stack may hold (absent ones are skipped by the checks).
const std::vector<std::string> kDatasets = {"unwrapPhase", "coherence", "connectComponent",
                                            "date",        "dropIfgram", "bperp"};
/// Pairs are read only when a pair is small (a damaged file may declare 10^12 cells).
constexpr std::size_t kMaxCellsRead = std::size_t{1} << 20;

/// The shape (pairs, rows, columns) of a rank-3 dataset, from HDF5 (its index checked).
bool shape_of(const std::string& file, const char* name, hsize_t (&dims)[3]) {
  const hid_t fid = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fid < 0) return false;
  bool ok = false;
  if (const hid_t dset = H5Dopen2(fid, name, H5P_DEFAULT); dset >= 0) {
    if (const hid_t space = H5Dget_space(dset); space >= 0) {
      ok = H5Sget_simple_extent_ndims(space) == 3 && H5Sget_simple_extent_dims(space, dims, nullptr) == 3;
      H5Sclose(space);
    }
    H5Dclose(dset);
  }
  H5Fclose(fid);
  return ok;
}

/// Reads every pair of both datasets as detect's direct pass does (a row of chunks at a
/// time when compressed, else pair by pair), all columns, then columns [w/3, w).
void read_all(const pjd::DirectReader& rd, const std::string& file) {
  hsize_t dims[3] = {0, 0, 0};
  if (!shape_of(file, "unwrapPhase", dims)) pjd_fuzz::finding("DirectReader opened a dataset HDF5 cannot describe");
  const std::size_t pairs = dims[0], rows = dims[1], cols = dims[2];
  if (pairs == 0 || rows == 0 || cols == 0) pjd_fuzz::finding("DirectReader opened an empty dataset");
  if (rows > kMaxCellsRead || cols > kMaxCellsRead || pairs > kMaxCellsRead || pairs * rows * cols > kMaxCellsRead)
    return;
  std::vector<float> out, stage, chunk;
  std::vector<char> buf;
  for (const std::size_t x0 : {std::size_t{0}, cols / 3}) {
    const std::size_t x1 = cols, plane = rows * (x1 - x0);
    for (std::size_t d = 0; d < 2; ++d) {
      if (rd.compressed()) {
        const std::size_t gp = rd.group_pairs();
        out.assign(gp * plane, 0.0f);
        for (std::size_t g = 0; g * gp < pairs; ++g) rd.read_group(d, g, x0, x1, out.data(), buf, chunk);
      } else {
        out.assign(plane, 0.0f);
        for (std::size_t p = 0; p < pairs; ++p) rd.read_pair(d, p, x0, x1, out.data(), stage);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = pjd_fuzz::write_input(data, size, "ifgramStack.h5");
  try {
    pjd::check_chunk_indexes(file, kDatasets);
    if (const auto rd = pjd::DirectReader::open(file, {"unwrapPhase", "coherence"})) read_all(*rd, file.string());
  } catch (const pjd::Error&) {
    // The expected refusal of a damaged index.
  } catch (const std::exception& e) {
    pjd_fuzz::finding(std::string("not a pjd::Error: ") + e.what());
  } catch (...) {
    pjd_fuzz::finding("an exception that is not a std::exception (an internal Bad or Damaged escaped?)");
  }
  pjd_fuzz::check_hdf5_closed("check_chunk_indexes / DirectReader::open");
  return 0;
}
