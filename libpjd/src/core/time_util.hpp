#pragma once
// Private: times as ISO-8601 UTC text ('2026-11-21T05:37:00Z').
#include <chrono>
#include <ctime>
#include <string>

namespace pjd {

inline std::string iso_utc(std::chrono::system_clock::time_point tp = std::chrono::system_clock::now()) {
  const std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace pjd
