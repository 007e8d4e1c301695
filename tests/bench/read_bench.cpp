// pjd_read_bench MODE STACK_FILE [BLOCK_MB]
// Reads unwrapPhase and coherence of a whole stack once, in blocks of pairs aligned to
// the chunk depth, and prints wall seconds, MB read and MB/s as one JSON line.
//   MODE raw : plain HDF5 C calls (3-D memory dataspace matching the selection): the baseline
//   MODE pjd : through pjd::Stack::read (what pjd detect uses)
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "pjd/stack.hpp"

namespace {

double raw_read(const std::string& file, std::size_t block_bytes, std::size_t& bytes) {
  const auto t0 = std::chrono::steady_clock::now();
  hid_t fid = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fid < 0) throw std::runtime_error("cannot open " + file);
  std::vector<float> buf;
  for (const char* name : {"unwrapPhase", "coherence"}) {
    hid_t d = H5Dopen2(fid, name, H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    hsize_t dims[3];
    H5Sget_simple_extent_dims(space, dims, nullptr);
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk[3] = {1, dims[1], dims[2]};
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) H5Pget_chunk(dcpl, 3, chunk);
    const std::size_t per_pair = dims[1] * dims[2] * sizeof(float);
    const hsize_t block = std::max<hsize_t>(chunk[0], block_bytes / per_pair / chunk[0] * chunk[0]);
    buf.resize(block * dims[1] * dims[2]);
    for (hsize_t p0 = 0; p0 < dims[0]; p0 += block) {
      const hsize_t n = std::min(block, dims[0] - p0);
      const hsize_t start[3] = {p0, 0, 0}, count[3] = {n, dims[1], dims[2]};
      H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
      hid_t mem = H5Screate_simple(3, count, nullptr);
      if (H5Dread(d, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, buf.data()) < 0)
        throw std::runtime_error("read failed");
      H5Sclose(mem);
      bytes += n * per_pair;
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Dclose(d);
  }
  H5Fclose(fid);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double pjd_read(const std::string& file, std::size_t block_bytes, std::size_t& bytes) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto stack = pjd::Stack::open(file);
  const std::size_t L = stack.length(), W = stack.width();
  const std::size_t block = stack.block_pairs({"unwrapPhase", "coherence"}, W, block_bytes);
  std::vector<float> unw(block * L * W), coh(block * L * W);
  for (std::size_t p0 = 0; p0 < stack.n_pairs(); p0 += block) {
    const std::size_t p1 = std::min(stack.n_pairs(), p0 + block);
    stack.read("unwrapPhase", p0, p1, 0, W, unw.data());
    stack.read("coherence", p0, p1, 0, W, coh.data());
    bytes += 2 * (p1 - p0) * L * W * sizeof(float);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pjd_read_bench raw|pjd STACK_FILE [BLOCK_MB]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::size_t block_mb = argc > 3 ? std::stoul(argv[3]) : 256;
  std::size_t bytes = 0;
  try {
    // raw: both datasets share the block budget the way pjd does (half each).
    const double s = mode == "raw" ? raw_read(argv[2], (block_mb << 20) / 2, bytes)
                                   : pjd_read(argv[2], block_mb << 20, bytes);
    std::printf("{\"mode\": \"%s\", \"wall_s\": %.3f, \"read_mb\": %.1f, \"mb_per_s\": %.1f}\n", mode.c_str(), s,
                double(bytes) / 1e6, double(bytes) / 1e6 / s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pjd_read_bench: %s\n", e.what());
    return 3;
  }
  return 0;
}
