#include "pjd/internal/atomic_file.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <vector>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "pjd/error.hpp"

namespace fs = std::filesystem;

namespace pjd {

namespace {

/// This machine's name as it goes into temporary names (no '/' or '-').
const std::string& host_tag() {
  static const std::string tag = [] {
    char buf[256] = {};
    std::string h = gethostname(buf, sizeof buf - 1) == 0 && buf[0] ? buf : "host";
    for (char& c : h)
      if (c == '/' || c == '-' || c == '.') c = '_';
    return h;
  }();
  return tag;
}

/// The temporary names of other processes in `dir` ("....tmp-<host>-<pid>-<n>...") that
/// no longer belong to a live process: this host's with a pid that is gone, and any
/// (another host's, or the older "tmp-<pid>-<n>" names) untouched for a day.
void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto at = name.find(".tmp-");
    if (name.empty() || name[0] != '.' || at == std::string::npos) continue;
    // <host>-<pid>-<n> or <pid>-<n>, then possibly a driver's side-file suffix.
    std::string rest = name.substr(at + 5);
    std::vector<std::string> parts;
    for (std::size_t b = 0;;) {
      const auto e = rest.find('-', b);
      parts.push_back(rest.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
    bool mine_and_dead = false;
    if (parts.size() >= 3 && parts[0] == host_tag()) {
      char* endp = nullptr;
      const long pid = std::strtol(parts[1].c_str(), &endp, 10);
      mine_and_dead = endp && *endp == 0 && pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 &&
                      errno == ESRCH;
    }
    std::error_code e2;
    const auto mtime = fs::last_write_time(it->path(), e2);
    const bool old = !e2 && now - mtime > std::chrono::hours(24);
    if (mine_and_dead || old) fs::remove_all(it->path(), e2);
  }
}

}  // namespace

fs::path temporary_path_for(const fs::path& target) {
  static std::atomic<unsigned long> counter{0};
  const auto n = counter.fetch_add(1);
  fs::path dir = target.parent_path();
  // The first temporary a process makes in a directory also clears what killed runs left.
  {
    static std::mutex mu;
    static std::set<std::string> cleaned;
    std::lock_guard<std::mutex> lock(mu);
    if (cleaned.insert(fs::absolute(dir).lexically_normal().string()).second) remove_stale_temporaries(dir);
  }
  const std::string name = "." + target.filename().string() + ".tmp-" + host_tag() + "-" +
                           std::to_string(::getpid()) + "-" + std::to_string(n);
  return dir.empty() ? fs::path(name) : dir / name;
}

static void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

static void rename_into_place(const fs::path& tmp, const fs::path& target) {
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    remove_quietly(tmp);
    throw_io(target.string(), "cannot move the finished file into place: " + ec.message());
  }
}

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)), tmp_(temporary_path_for(target_)) {
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    const int err = errno;
    remove_quietly(tmp_);
    throw_io(target_.string(), std::string("cannot create the file: ") + (err ? std::strerror(err) : "unknown error"));
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    remove_quietly(tmp_);
  }
}

void AtomicFile::commit() {
  if (committed_) return;
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) {
    remove_quietly(tmp_);
    committed_ = true;  // nothing left to clean up
    throw_io(target_.string(), "write failed (disk full?)");
  }
  committed_ = true;
  rename_into_place(tmp_, target_);
}

void write_file_atomically(const fs::path& target, const std::string& content) {
  AtomicFile f(target);
  f.stream() << content;
  f.commit();
}

AtomicPath::AtomicPath(fs::path target) : target_(std::move(target)), tmp_(temporary_path_for(target_)) {}

AtomicPath::~AtomicPath() {
  if (committed_) return;
  remove_quietly(tmp_);
  // Side files some drivers create next to the dataset (e.g. "<tmp>.aux.xml").
  std::error_code ec;
  const fs::path dir = tmp_.has_parent_path() ? tmp_.parent_path() : fs::path(".");
  const std::string prefix = tmp_.filename().string() + ".";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0) remove_quietly(it->path());
  }
}

void AtomicPath::commit() {
  if (committed_) return;
  std::error_code ec;
  if (!fs::is_regular_file(tmp_, ec)) throw_io(target_.string(), "the writer produced no file");
  committed_ = true;
  rename_into_place(tmp_, target_);
}

void write_atomically_with(const fs::path& target, const std::function<void(const fs::path&)>& writer) {
  AtomicPath p(target);
  writer(p.temporary());
  p.commit();
}

void ensure_output_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw_io(dir.string(), "output directory is not a directory");
  } else {
    fs::create_directories(dir, ec);
    if (ec) throw_io(dir.string(), "cannot create the output directory: " + ec.message());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw_io(dir.string(), std::string("output directory is not writable: ") + std::strerror(errno));
}

}  // namespace pjd
