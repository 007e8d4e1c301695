// Opens a MintPy stack with the installed libpjd and prints what it holds.
#include <iostream>

#include "pjd/error.hpp"
#include "pjd/stack.hpp"
#include "pjd/version.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pjd_consumer STACK\n";
    return 2;
  }
  try {
    const pjd::Stack stack = pjd::Stack::open(argv[1]);
    std::cout << "pjd " << pjd::kVersion << ": pairs " << stack.n_pairs() << " rows " << stack.length() << " columns " << stack.width() << "\n";
  } catch (const pjd::Error& e) {
    std::cerr << e.what() << "\n";
    return 3;
  }
  return 0;
}
