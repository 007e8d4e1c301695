// The chunk-index checks refuse a shape that declares more chunks than the file can hold,
// before anything is sized by the chunk count (found by tests/fuzz/fuzz_chunk_index: a
// 4 KB file made `pjd info` ask for 32 TB and die of std::bad_alloc).
#include <hdf5.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "io/direct_read.hpp"
#include "pjd/error.hpp"
#include "pjd/stack.hpp"

using pjd::test::TempDir;

namespace {

/// A file holding float32 dataset "x" of `dims` in chunks of one element, with only its
/// first element written (one chunk stored).
void write_sparse(const std::filesystem::path& file, const std::vector<hsize_t>& dims) {
  const int rank = static_cast<int>(dims.size());
  const std::vector<hsize_t> ones(dims.size(), 1), zeros(dims.size(), 0);
  const hid_t fid = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(fid >= 0);
  const hid_t space = H5Screate_simple(rank, dims.data(), nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  REQUIRE(H5Pset_chunk(dcpl, rank, ones.data()) >= 0);
  const hid_t dset = H5Dcreate2(fid, "x", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  REQUIRE(dset >= 0);
  const hid_t mspace = H5Screate_simple(rank, ones.data(), nullptr);
  REQUIRE(H5Sselect_hyperslab(space, H5S_SELECT_SET, zeros.data(), nullptr, ones.data(), nullptr) >= 0);
  const float one = 1.0f;
  REQUIRE(H5Dwrite(dset, H5T_NATIVE_FLOAT, mspace, space, H5P_DEFAULT, &one) >= 0);
  H5Sclose(mspace);
  H5Dclose(dset);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(fid);
}

std::string refusal(const std::filesystem::path& file) {
  try {
    pjd::check_chunk_indexes(file, {"x"});
  } catch (const pjd::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a chunk count the file cannot hold is refused before it is allocated", "[direct_read][fuzz]") {
  TempDir tmp("chunk_index_limits");
  H5open();
  SECTION("2^40 chunks in a file of a few KB") {
    const auto f = tmp.path() / "many.h5";
    write_sparse(f, {hsize_t{1} << 20, hsize_t{1} << 20});
    const std::string what = refusal(f);
    CHECK(what.find("dataset 'x': chunk index damaged") != std::string::npos);
    CHECK(what.find("needs more chunks than a file of") != std::string::npos);
    CHECK(what.find("1048576 x 1048576 in chunks of 1 x 1") != std::string::npos);
  }
  SECTION("a chunk count that overflows 64 bits (2^64 + 2^42 wraps to 2^42)") {
    const auto f = tmp.path() / "wraps.h5";
    write_sparse(f, {(hsize_t{1} << 22) + 1, hsize_t{1} << 21, hsize_t{1} << 21});
    const std::string what = refusal(f);
    CHECK(what.find("needs more chunks than a file of") != std::string::npos);
    // DirectReader::open runs the same checks.
    CHECK_THROWS_AS(pjd::DirectReader::open(f, {"x"}), pjd::Error);
  }
}
