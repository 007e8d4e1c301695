#include "pjd/internal/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "pjd/error.hpp"

namespace fs = std::filesystem;

namespace pjd {

fs::path temporary_path_for(const fs::path& target) {
  static std::atomic<unsigned long> counter{0};
  const auto n = counter.fetch_add(1);
  fs::path dir = target.parent_path();
  const std::string name = "." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                           std::to_string(n);
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
