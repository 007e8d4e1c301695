#include "pjd/internal/pyformat.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace pjd {

std::string python_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";

  // Shortest round-trip digits in scientific form, e.g. "-1.365e+01".
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::scientific);
  std::string_view sci(buf.data(), static_cast<std::size_t>(res.ptr - buf.data()));

  std::string out;
  if (!sci.empty() && sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const auto epos = sci.find('e');
  const std::string_view mant = sci.substr(0, epos);
  const int exp = std::atoi(std::string(sci.substr(epos + 1)).c_str());
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  // Zero prints as "0e+00": one digit "0".

  if (exp >= -4 && exp < 16) {
    const int n = static_cast<int>(digits.size());
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
    } else if (exp + 1 >= n) {
      out += digits;
      out.append(static_cast<std::size_t>(exp + 1 - n), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(exp + 1));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(exp + 1));
    }
    return out;
  }
  // Exponent form: "d[.ddd]e{+|-}XX", at least two exponent digits.
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  out += 'e';
  out += exp < 0 ? '-' : '+';
  const int a = std::abs(exp);
  if (a < 10) out += '0';
  out += std::to_string(a);
  return out;
}

double numpy_round(double x, int decimals) {
  if (decimals >= 0) {
    const double f = std::pow(10.0, decimals);
    return std::nearbyint(x * f) / f;
  }
  const double f = std::pow(10.0, -decimals);
  return std::nearbyint(x / f) * f;
}

}  // namespace pjd
