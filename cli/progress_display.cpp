#include "progress_display.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

namespace pjd::cli {

ProgressFn make_progress_display(const std::string& mode) {
  if (mode == "json") {
    auto last = std::make_shared<int>(-1);
    return [last](double fraction, std::string_view stage) {
      const int permille = static_cast<int>(std::lround(fraction * 1000));
      if (permille == *last) return;  // at most ~1000 lines
      *last = permille;
      std::fprintf(stderr, "{\"progress\": %.3f, \"stage\": \"%.*s\"}\n", permille / 1000.0,
                   static_cast<int>(stage.size()), stage.data());
      std::fflush(stderr);
    };
  }
  if (mode == "bar") {
    auto last = std::make_shared<int>(-1);
    return [last](double fraction, std::string_view stage) {
      constexpr int kWidth = 40;
      const int pct = static_cast<int>(std::lround(fraction * 100));
      if (pct == *last) return;
      *last = pct;
      const int filled = static_cast<int>(fraction * kWidth);
      char bar[kWidth + 1];
      for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
      bar[kWidth] = '\0';
      std::fprintf(stderr, "\r[%s] %3d%% %-12.*s", bar, pct, static_cast<int>(stage.size()), stage.data());
      std::fflush(stderr);
    };
  }
  return {};
}

void finish_progress(const std::string& mode) {
  if (mode == "bar") std::fputc('\n', stderr);
}

}  // namespace pjd::cli
