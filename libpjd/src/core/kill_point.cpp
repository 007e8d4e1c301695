// TEST-ONLY kill points (see pjd/internal/kill_point.hpp).
#include "pjd/internal/kill_point.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace pjd {

void kill_point(const std::string& name) {
  static const char* const kill_at = std::getenv("PJD_TEST_KILL_AT");
  static const bool trace = std::getenv("PJD_TEST_KILL_TRACE") != nullptr;
  if (kill_at == nullptr && !trace) return;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static int count = 0;
  ++count;
  if (trace) std::fprintf(stderr, "pjd-kill-point %d %s\n", count, name.c_str());
  if (kill_at != nullptr && (name == kill_at || std::to_string(count) == kill_at)) {
    std::fflush(stderr);
    std::raise(SIGKILL);
  }
}

}  // namespace pjd
