// pjd_read_dump STACK DATASET P0 P1 X0 X1 OUT
// Writes what libpjd reads from pairs [P0,P1) and columns [X0,X1) of DATASET as raw
// little-endian float32 (pair, row, column) to OUT, for comparison with h5py.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "pjd/error.hpp"
#include "pjd/stack.hpp"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: pjd_read_dump STACK DATASET P0 P1 X0 X1 OUT\n";
    return 2;
  }
  try {
    const auto stack = pjd::Stack::open(argv[1]);
    const std::size_t p0 = std::stoul(argv[3]), p1 = std::stoul(argv[4]);
    const std::size_t x0 = std::stoul(argv[5]), x1 = std::stoul(argv[6]);
    std::vector<float> buf((p1 - p0) * stack.length() * (x1 - x0));
    stack.read(argv[2], p0, p1, x0, x1, buf.data());
    std::ofstream out(argv[7], std::ios::binary);
    out.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size() * sizeof(float)));
    return out ? 0 : 3;
  } catch (const pjd::Error& e) {
    std::cerr << "pjd_read_dump: " << e.what() << "\n";
    return e.exit_code();
  }
}
