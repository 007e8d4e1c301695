// python_repr / numpy_round reproduce Python's repr(float) and np.round(x, 2).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "pjd/internal/pyformat.hpp"

using pjd::numpy_round;
using pjd::python_repr;
using pjd::python_round2;

TEST_CASE("python_repr: positional numbers", "[pyformat]") {
  CHECK(python_repr(2.0) == "2.0");
  CHECK(python_repr(0.0) == "0.0");
  CHECK(python_repr(-0.0) == "-0.0");
  CHECK(python_repr(13.65) == "13.65");
  CHECK(python_repr(0.1) == "0.1");
  CHECK(python_repr(-2.5) == "-2.5");
  CHECK(python_repr(12.0) == "12.0");
  CHECK(python_repr(100.0) == "100.0");
  CHECK(python_repr(0.0001) == "0.0001");
  CHECK(python_repr(0.00015) == "0.00015");
  CHECK(python_repr(1234567890123456.0) == "1234567890123456.0");
  CHECK(python_repr(9999999999999998.0) == "9999999999999998.0");
  CHECK(python_repr(0.1 + 0.2) == "0.30000000000000004");
  CHECK(python_repr(1.0 / 3.0) == "0.3333333333333333");
}

TEST_CASE("python_repr: exponent form and specials", "[pyformat]") {
  CHECK(python_repr(1e-05) == "1e-05");
  CHECK(python_repr(1.5e-05) == "1.5e-05");
  CHECK(python_repr(-1e-07) == "-1e-07");
  CHECK(python_repr(1e16) == "1e+16");
  CHECK(python_repr(1.5e16) == "1.5e+16");
  CHECK(python_repr(123456789012345678.0) == "1.2345678901234568e+17");
  CHECK(python_repr(1e100) == "1e+100");
  CHECK(python_repr(5e-324) == "5e-324");
  CHECK(python_repr(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(python_repr(std::nan("")) == "nan");
  CHECK(python_repr(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(python_repr(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("numpy_round: rint(x * 100) / 100, half to even", "[pyformat]") {
  CHECK(numpy_round(2.675, 2) == 2.68);    // 2.675 * 100 == 267.5 -> 268 (Python round() gives 2.67)
  CHECK(numpy_round(0.125, 2) == 0.12);    // exactly 12.5 -> 12 (half to even)
  CHECK(numpy_round(0.375, 2) == 0.38);    // exactly 37.5 -> 38
  CHECK(numpy_round(1.005, 2) == 1.0);     // 100.49999999999999 -> 100
  CHECK(numpy_round(2.5, 0) == 2.0);
  CHECK(numpy_round(3.5, 0) == 4.0);
  CHECK(numpy_round(-0.001, 2) == 0.0);
  CHECK(std::signbit(numpy_round(-0.001, 2)));  // numpy gives -0.0
  CHECK(std::isnan(numpy_round(std::nan(""), 2)));
  CHECK(numpy_round(1234.5, -1) == 1230.0);
}

TEST_CASE("python_round2: str(np.round(x, 2)) as in the reference reports", "[pyformat]") {
  CHECK(python_round2(2.0899999) == "2.09");
  CHECK(python_round2(2.1) == "2.1");
  CHECK(python_round2(12) == "12.0");
  CHECK(python_round2(0.299999) == "0.3");
  CHECK(python_round2(13.6549) == "13.65");
  CHECK(python_round2(-0.001) == "-0.0");
  CHECK(python_round2(std::nan("")) == "nan");
  CHECK(python_round2(0.004) == "0.0");
  CHECK(python_round2(1e17 + 0.3) == "1e+17");
}
