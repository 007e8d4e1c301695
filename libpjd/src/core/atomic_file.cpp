#include "pjd/internal/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
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
#include "pjd/internal/kill_point.hpp"

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
  kill_point("file.renamed:" + target.filename().string());
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

// ---------------------------------------------------------------- AtomicDirectory

namespace {

bool is_temporary_name(const std::string& name) {
  return name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos;
}

bool lexists(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

[[noreturn]] void refuse_entry(const fs::path& p, const std::string& problem) {
  throw Error(ErrorKind::Data, p.string(), problem + " (pjd carries the files it did not write over into the new result folder)");
}

/// Recreates `src` (not pjd's) at `dst` without copying data: files as hard links,
/// directories recreated with their permission bits, symbolic links as links.
void link_entry(const fs::path& src, const fs::path& dst) {
  struct stat st {};
  if (::lstat(src.c_str(), &st) != 0) return;  // gone meanwhile: nothing to carry
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const fs::path to = fs::read_symlink(src, ec);
    if (!ec) fs::create_symlink(to, dst, ec);
    if (ec) refuse_entry(src, "cannot copy this link: " + ec.message());
  } else if (S_ISREG(st.st_mode)) {
    if (::link(src.c_str(), dst.c_str()) != 0)
      refuse_entry(src, std::string("cannot hard-link this file into the new result folder: ") + std::strerror(errno) +
                            "; move it out of the output folder");
  } else if (S_ISDIR(st.st_mode)) {
    if (::mkdir(dst.c_str(), st.st_mode & 07777) != 0)
      refuse_entry(src, std::string("cannot recreate this folder: ") + std::strerror(errno));
    std::error_code ec;
    for (fs::directory_iterator it(src, ec), end; !ec && it != end; it.increment(ec))
      link_entry(it->path(), dst / it->path().filename());
    if (ec) refuse_entry(src, "cannot list this folder: " + ec.message());
  } else {
    refuse_entry(src, "is a FIFO, socket or device, which cannot be carried over; move it out of the output folder");
  }
}

}  // namespace

AtomicDirectory::AtomicDirectory(fs::path target, Owned owned, std::vector<std::string> merged_dirs)
    : owned_(std::move(owned)), merged_(std::move(merged_dirs)) {
  std::error_code ec;
  fs::path t = fs::absolute(target, ec).lexically_normal();
  if (t.filename().empty()) t = t.parent_path();  // "out/"
  // A link to a folder: the folder it points to is replaced, the link stays.
  if (fs::is_symlink(t, ec)) {
    const fs::path c = fs::canonical(t, ec);
    if (ec) throw_io(target.string(), "the output folder is a broken link: " + ec.message());
    t = c;
  }
  target_ = t;
  const fs::path parent = t.parent_path();
  existed_ = fs::exists(t, ec);
  if (existed_) {
    if (!fs::is_directory(t, ec)) throw_io(target.string(), "output directory is not a directory");
    if (::access(t.c_str(), W_OK | X_OK) != 0)
      throw_io(target.string(), std::string("output directory is not writable: ") + std::strerror(errno));
  } else {
    fs::create_directories(parent, ec);
    if (ec) throw_io(target.string(), "cannot create the output directory: " + ec.message());
  }
  // Can the folder be replaced with one rename? (The parent must be writable, on the same
  // file system, and able to exchange two folders: probed with two empty ones.)
  // The current directory (or one inside the folder) is not swapped away from under
  // this process and the shell that started it: it would be left in a deleted folder.
  const fs::path cwd = fs::current_path(ec);
  const auto rel_cwd = ec ? fs::path() : fs::weakly_canonical(cwd, ec).lexically_relative(t);
  const bool holds_cwd = existed_ && !ec && !rel_cwd.empty() && *rel_cwd.begin() != "..";
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    whole_ = false;
    why_ = "its parent folder is not writable";
  } else if (holds_cwd) {
    whole_ = false;
    why_ = "it is or holds the current directory";
  } else if (existed_) {
    struct stat a {}, b {};
    if (::stat(t.c_str(), &a) == 0 && ::stat(parent.c_str(), &b) == 0 && a.st_dev != b.st_dev) {
      whole_ = false;
      why_ = "it is a mount point";
    } else {
      const fs::path p1 = temporary_path_for(t), p2 = temporary_path_for(t);
      const bool made = ::mkdir(p1.c_str(), 0700) == 0 && ::mkdir(p2.c_str(), 0700) == 0;
      const bool swapped = made && ::renameat2(AT_FDCWD, p1.c_str(), AT_FDCWD, p2.c_str(), RENAME_EXCHANGE) == 0;
      const int err = errno;
      ::rmdir(p1.c_str());
      ::rmdir(p2.c_str());
      if (!made) throw_io(target.string(), std::string("cannot create a folder next to it: ") + std::strerror(err));
      if (!swapped) {
        whole_ = false;
        why_ = std::string("its file system cannot exchange two folders (") + std::strerror(err) + ")";
      }
    }
  }
  if (!whole_) {
    work_ = t;
    return;
  }
  work_ = temporary_path_for(t);
  if (::mkdir(work_.c_str(), 0777) != 0)
    throw_io(target.string(), std::string("cannot create a folder next to it: ") + std::strerror(errno));
  kill_point("dir.work-created");
}

AtomicDirectory::~AtomicDirectory() {
  if (committed_ || !whole_) return;
  std::error_code ec;
  fs::remove_all(work_, ec);  // only pjd's files and hard links of carried ones
}

namespace {

struct Mover {
  const AtomicDirectory::Owned& owned;
  const std::vector<std::string>& merged;
  std::vector<std::string> warnings;

  bool is_merged(const fs::path& rel, const fs::path& p) const {
    std::error_code ec;
    if (fs::is_symlink(p, ec) || !fs::is_directory(p, ec)) return false;
    for (const auto& m : merged)
      if (rel == fs::path(m)) return true;
    return false;
  }

  /// The entries of `old_dir` that are not the old result's, linked into `new_dir`.
  void carry(const fs::path& old_dir, const fs::path& new_dir, const fs::path& rel) {
    std::error_code ec;
    for (fs::directory_iterator it(old_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      const fs::path r = rel / name;
      if (is_temporary_name(name) || owned(r)) continue;
      const fs::path dst = new_dir / name;
      if (is_merged(r, it->path())) {
        bool made = false;
        if (!lexists(dst)) {
          struct stat st {};
          ::lstat(it->path().c_str(), &st);
          if (::mkdir(dst.c_str(), st.st_mode & 07777) != 0)
            refuse_entry(it->path(), std::string("cannot recreate this folder: ") + std::strerror(errno));
          made = true;
        } else if (!fs::is_directory(fs::symlink_status(dst, ec))) {
          refuse_entry(it->path(), "the new result has a file of that name");
        }
        carry(it->path(), dst, r);
        if (made) ::rmdir(dst.c_str());  // removed only when nothing was carried into it
        continue;
      }
      if (lexists(dst)) refuse_entry(it->path(), "was not written by pjd, and the new result has an entry of that name");
      link_entry(it->path(), dst);
    }
    if (ec) throw_io(old_dir.string(), "cannot list the output folder: " + ec.message());
  }

  /// After the exchange: removes the old result (now at `old_dir`), whose foreign entries
  /// have their copies in `new_dir`. An entry with no copy there (it appeared during the
  /// exchange) is moved back; one that cannot be accounted for is kept. True when `old_dir`
  /// could be emptied.
  bool remove_old(const fs::path& old_dir, const fs::path& new_dir, const fs::path& rel) {
    bool empty = true;
    std::error_code ec;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(old_dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    for (const fs::path& p : entries) {
      const std::string name = p.filename().string();
      const fs::path r = rel / name;
      const fs::path dst = new_dir / name;
      std::error_code e2;
      if (is_temporary_name(name) || owned(r)) {
        fs::remove_all(p, e2);
      } else if (is_merged(r, p)) {
        if (remove_old(p, dst, r)) fs::remove(p, e2);
        else empty = false;
      } else if (!lexists(dst)) {
        fs::rename(p, dst, e2);  // appeared during the exchange: back where it was put
        if (e2) empty = false;
      } else {
        struct stat a {}, b {};
        const bool same = ::lstat(p.c_str(), &a) == 0 && ::lstat(dst.c_str(), &b) == 0 &&
                          (S_ISDIR(a.st_mode) || S_ISLNK(a.st_mode) || (a.st_ino == b.st_ino && a.st_dev == b.st_dev));
        if (same) fs::remove_all(p, e2);  // its copy is in the new folder
        else empty = false;
      }
      if (e2) empty = false;
    }
    return empty && !ec;
  }
};

}  // namespace

std::vector<std::string> AtomicDirectory::commit(const std::vector<fs::path>& kept) {
  if (committed_) return {};
  committed_ = true;
  Mover m{owned_, merged_, {}};
  if (!whole_) {
    // Written in place: remove what the old result had and the new one did not write.
    std::set<fs::path> keep(kept.begin(), kept.end());
    std::function<void(const fs::path&, const fs::path&)> drop = [&](const fs::path& dir, const fs::path& rel) {
      std::error_code ec;
      std::vector<fs::path> entries;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
      for (const fs::path& p : entries) {
        const fs::path r = rel / p.filename();
        if (m.is_merged(r, p)) {
          drop(p, r);
        } else if (owned_(r) && !keep.count(r)) {
          std::error_code e2;
          fs::remove(p, e2);
          if (e2) throw_io(p.string(), "cannot remove the file of an earlier run: " + e2.message());
        }
      }
    };
    drop(target_, fs::path());
    return {};
  }
  std::error_code ec;
  if (!existed_ || !fs::exists(target_, ec)) {
    if (::renameat2(AT_FDCWD, work_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) == 0) {
      kill_point("dir.renamed");
      return {};
    }
    if (errno != EEXIST && errno != ENOTEMPTY) {
      committed_ = false;
      throw_io(target_.string(), std::string("cannot move the new result folder into place: ") + std::strerror(errno));
    }
  }
  // The target exists: carry what is not the old result's over, then exchange the two.
  try {
    m.carry(target_, work_, fs::path());
    struct stat st {};
    if (::stat(target_.c_str(), &st) == 0) ::chmod(work_.c_str(), st.st_mode & 07777);
  } catch (...) {
    committed_ = false;  // the destructor removes the work folder (links only)
    throw;
  }
  kill_point("dir.carried");
  if (::renameat2(AT_FDCWD, work_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
    committed_ = false;
    throw_io(target_.string(), std::string("cannot exchange the new result folder with the old one: ") +
                                   std::strerror(errno));
  }
  kill_point("dir.exchanged");
  // The old folder is now at work_.
  if (m.remove_old(work_, target_, fs::path())) {
    fs::remove(work_, ec);
  } else {
    // Something in the old folder that is not accounted for: keep it under a name no
    // cleanup removes, and say so.
    const fs::path keep = target_.parent_path() / (target_.filename().string() + ".pjd-previous-" + std::to_string(::getpid()));
    fs::rename(work_, keep, ec);
    m.warnings.push_back("some entries of the previous output folder could not be accounted for; they are kept in " +
                         (ec ? work_ : keep).string());
  }
  kill_point("dir.old-removed");
  return m.warnings;
}

}  // namespace pjd
