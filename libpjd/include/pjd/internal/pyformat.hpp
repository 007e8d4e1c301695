#pragma once
// Number formatting that matches the reference Python implementation byte for byte.
#include <string>

namespace pjd {

/// Python's repr() of a float (also numpy's str() of a float64): the shortest string
/// that round-trips, "2.0" for integral values, positional for 1e-4 <= |x| < 1e16 and
/// exponent form otherwise ("1e-05", "1.5e+16"), "nan", "inf", "-inf", "-0.0".
std::string python_repr(double x);

/// numpy.round(x, decimals) of a float64: rint(x * 10^d) / 10^d (half to even).
double numpy_round(double x, int decimals);

/// str(np.round(x, 2)), the form of every number in the reference text reports.
inline std::string python_round2(double x) { return python_repr(numpy_round(x, 2)); }

}  // namespace pjd
