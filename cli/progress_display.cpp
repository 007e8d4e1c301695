#include "progress_display.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "pjd/error.hpp"
#include "pjd/internal/pyformat.hpp"

namespace pjd::cli {
namespace {

struct BarState {
  std::mutex mu;
  std::FILE* out;
  int last_permille = -1;
  std::string last_stage;
  bool finished = false;
};

struct JsonState {
  std::mutex mu;
  std::FILE* out;
  double last = -1.0;
  std::string last_stage;
};

double clamp01(double f) { return std::isnan(f) ? 0.0 : std::clamp(f, 0.0, 1.0); }

}  // namespace

ProgressFn make_progress(const std::string& mode_in, std::FILE* out) {
  const bool tty = ::isatty(::fileno(out)) != 0;
  std::string mode = mode_in;
  if (mode == "auto") mode = tty ? "bar" : "none";
  if (mode == "none") return {};
  if (mode == "bar") {
    if (!tty) return {};
    auto st = std::make_shared<BarState>();
    st->out = out;
    return [st](double fraction, std::string_view stage) {
      std::lock_guard lock(st->mu);
      const double f = clamp01(fraction);
      const int permille = static_cast<int>(f * 1000.0);
      if (permille == st->last_permille && stage == st->last_stage) return;
      if (st->finished && permille < 1000) st->finished = false;
      st->last_permille = permille;
      st->last_stage = std::string(stage);
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(f * kWidth);
      std::string bar(static_cast<std::size_t>(filled), '=');
      bar.resize(kWidth, ' ');
      std::fprintf(st->out, "\r[%s] %5.1f%% %-12.12s", bar.c_str(), f * 100.0, st->last_stage.c_str());
      if (permille >= 1000 && !st->finished) {
        std::fputc('\n', st->out);
        st->finished = true;
      }
      std::fflush(st->out);
    };
  }
  if (mode == "json") {
    auto st = std::make_shared<JsonState>();
    st->out = out;
    return [st](double fraction, std::string_view stage) {
      std::lock_guard lock(st->mu);
      const double f = numpy_round(clamp01(fraction), 3);
      const bool moved = st->last < 0 || std::abs(f - st->last) >= 0.01 || (f >= 1.0 && st->last < 1.0);
      if (!moved && stage == st->last_stage) return;
      st->last = f;
      st->last_stage = std::string(stage);
      const std::string line = "{\"progress\": " + python_repr(f) + ", \"stage\": " +
                               nlohmann::json(std::string(stage)).dump() + "}\n";
      std::fputs(line.c_str(), st->out);
      std::fflush(st->out);
    };
  }
  throw_usage("--progress '" + mode_in + "' is unknown (auto, bar, json, none)");
}

}  // namespace pjd::cli
