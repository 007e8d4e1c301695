#pragma once
// Names of enumerations, in one place each: the header that declares an enum specialises
// EnumNames for it, and every conversion (options, JSON, file extensions, messages) goes
// through the functions below.
//
//   template <> struct EnumNames<FigureFormat> {
//     static constexpr std::string_view what = "figure format";
//     static constexpr std::array<std::pair<FigureFormat, std::string_view>, 3> names{
//         {{FigureFormat::Png, "png"}, {FigureFormat::Svg, "svg"}, {FigureFormat::Pdf, "pdf"}}};
//   };
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pjd/error.hpp"

namespace pjd {

template <class E>
struct EnumNames;  // specialised next to each enum

/// The name of `value` ("png").
template <class E>
std::string_view name_of(E value) {
  for (const auto& [v, n] : EnumNames<E>::names)
    if (v == value) return n;
  return {};
}

/// The value called `name`; nullopt when there is none.
template <class E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const auto& [v, n] : EnumNames<E>::names)
    if (n == name) return v;
  return std::nullopt;
}

/// Every name, in declaration order (for option choices and messages).
template <class E>
std::vector<std::string> enum_names() {
  std::vector<std::string> out;
  for (const auto& entry : EnumNames<E>::names) out.emplace_back(entry.second);
  return out;
}

/// The value called `name`; throws pjd::Error (Usage) listing the names otherwise.
template <class E>
E parse_enum(std::string_view name) {
  if (const auto v = enum_from_name<E>(name)) return *v;
  std::string all;
  for (const auto& n : enum_names<E>()) all += (all.empty() ? "" : ", ") + n;
  throw_usage("unknown " + std::string(EnumNames<E>::what) + " '" + std::string(name) + "' (" + all + ")");
}

}  // namespace pjd
