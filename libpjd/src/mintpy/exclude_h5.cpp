// dropIfgram apply/restore in ifgramStack.h5 (see pjd/exclude.hpp).
//
// Order of work, for apply and restore alike:
//  1. checks, with the file opened read-only or not through HDF5 at all: a regular,
//     non-empty HDF5 file, writable, not locked by another process (flock probe), a boolean
//     dropIfgram of one flag per pair, a well-formed saved copy, the network;
//  2. only then the file is opened for writing.
// Apply writes in two steps, each made durable (H5Fflush, then fsync of the file):
//  a. the saved copy of the flags (attribute PJD_ORIGINAL_DROPIFGRAM), when there is none;
//  b. the new flags and MODIFICATION_TIME.
// Restore mirrors it: a. the saved flags and MODIFICATION_TIME, b. the attribute removed.
// So a process killed anywhere between two HDF5 calls leaves a stack whose flags are either
// unchanged, or changed with the saved copy on disk: running the command again finishes it,
// and --restore brings the original flags back (tests: the PJD_TEST_KILL_AT hook below).
//
// Inside one H5Fflush HDF5 1.10 (no journal) writes new objects and object headers before
// the superblock that records the file's new end (EOA), and an object header before its new
// continuation chunk. A kill between those writes (tests: strace's fault injection, a
// SIGKILL before each pwrite) still never leaves the flags changed without a readable saved
// copy, since the flags are written only in the second flush; but it can leave
//  - the file longer than its recorded end, so that the new saved copy (or an attribute of
//    another dataset) cannot be read: check_end_of_file refuses to write there (new objects
//    would go over those bytes) and names HDF5's repair, h5clear --increment=0, after which
//    everything reads and the command finishes;
//  - rarely, an object header pointing to a chunk never written (a dataset that had no
//    MODIFICATION_TIME yet): that dataset cannot be opened, whatever pjd does next; apply
//    and restore then warn that its MODIFICATION_TIME was not updated.
//
// Why the saved copy stays in the stack (and not in a side file written first): it travels
// with the stack when it is copied or moved, it is what --restore and earlier pjd versions
// read, and there is one source of truth (a side file could be lost, or outlive a restore
// and disagree with the stack). The two flushes give the guarantee that matters, flags never
// changed without a durable saved copy, at every pjd write point and every write HDF5 makes;
// a side file would not protect the stack's own metadata from HDF5's write order either.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "io/h5util.hpp"
#include "pjd/error.hpp"
#include "pjd/exclude.hpp"
#include "pjd/internal/kill_point.hpp"
#include "pjd/internal/pyformat.hpp"
#include "pjd/stack.hpp"

namespace pjd {
namespace fs = std::filesystem;
using h5::Handle;

namespace {

/// MintPy's IFGRAM_DSET_NAMES (objects/stack.py): the datasets whose MODIFICATION_TIME
/// modify_network updates, in its order.
const std::vector<std::string> kIfgramDatasets{
    "unwrapPhase",   "unwrapPhase_bridging_phaseClosure", "unwrapPhase_bridging", "unwrapPhase_phaseClosure",
    "coherence",     "connectComponent",                  "wrapPhase",            "magnitude",
    "azimuthOffset", "azimuthOffsetStd",                  "rangeOffset",          "rangeOffsetStd",
    "offsetSNR",     "refPhase"};

// ---------------------------------------------------------------- test hook

/// TEST-ONLY hook, for the kill tests of tests/unit/mintpy: every HDF5 write or flush of
/// --apply/--restore is followed by a write point (and the opening for writing is preceded
/// by one); PJD_TEST_KILL_AT / PJD_TEST_KILL_TRACE drive it (pjd/internal/kill_point.hpp).
void write_point(const std::string& name) { kill_point(name); }

// ---------------------------------------------------------------- checks (no writes)

fs::path stack_file_of(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return p;
  if (fs::exists(p / "inputs" / "ifgramStack.h5", ec)) return p / "inputs" / "ifgramStack.h5";
  return p / "ifgramStack.h5";
}

std::string errno_text(int err) { return std::strerror(err); }

/// The stack file named by `stack`, checked without opening it through HDF5: it exists, is
/// a regular file (a FIFO would block the first read), is not empty and has the HDF5
/// signature. HDF5 is never handed anything else (opened for writing, a 0-byte file
/// became an 800-byte HDF5 file).
fs::path checked_stack_file(const fs::path& stack) {
  const fs::path file = stack_file_of(stack);
  const std::string name = file.string();
  struct stat sb {};
  if (::stat(name.c_str(), &sb) != 0) {
    const int err = errno;
    throw_data(name, err == ENOENT ? std::string("no such file") : "cannot read the file's status: " + errno_text(err));
  }
  if (!S_ISREG(sb.st_mode)) {
    const char* what = S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISDIR(sb.st_mode) ? "a directory without inputs/ifgramStack.h5"
                       : S_ISSOCK(sb.st_mode) ? "a socket" : "a device";
    throw_data(name, std::string("is not a regular file (") + what + "): not an HDF5 stack");
  }
  if (sb.st_size == 0) throw_data(name, "is empty (0 bytes): not an HDF5 stack");
  {
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw_data(name, "cannot open for reading: " + errno_text(errno));
    ::close(fd);
  }
  if (!h5::is_hdf5(name)) throw_data(name, "is not an HDF5 file (no HDF5 signature): not a MintPy stack");
  return file;
}

/// Read-only, write bits, and other processes holding the file (HDF5 file locking, which
/// is flock() on Linux: exclusive for a writer, shared for a reader), probed with flock on
/// a read-only descriptor so that nothing is written.
void check_writable_file(const std::string& name) {
  // No write bit at all counts as read-only even for root (whom access() lets write).
  struct stat sb {};
  const bool no_write_bits = ::stat(name.c_str(), &sb) == 0 && (sb.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
  if (no_write_bits || ::access(name.c_str(), W_OK) != 0)
    throw_data(name, "is read-only: pjd exclude --apply/--restore needs to write dropIfgram (copy the stack or "
                     "change its permissions)");
  const char* use_locking = std::getenv("HDF5_USE_FILE_LOCKING");
  if (use_locking != nullptr && std::strcmp(use_locking, "FALSE") == 0) return;  // HDF5 does not lock either
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw_data(name, "cannot open for reading: " + errno_text(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    ::close(fd);  // releases the probe's lock
    return;
  }
  const int err = errno;
  const bool writer = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  if (err != EWOULDBLOCK) return;  // no locks on this file system: HDF5's own opening decides
  if (writer)
    throw_data(name, "is open for writing in another process (HDF5 file lock): close it (e.g. a running MintPy "
                     "step) and try again");
  throw_data(name, "is open in another process (HDF5 file lock): close it (e.g. a viewer or a MintPy step) and "
                   "try again");
}

std::string type_text(hid_t type) {
  const std::size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return std::to_string(bits) + "-bit float";
    case H5T_INTEGER: return std::to_string(bits) + "-bit integer";
    case H5T_STRING: return "string";
    case H5T_ENUM: return "enum";
    case H5T_COMPOUND: return "compound";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_ARRAY: return "array";
    default: return "non-numeric";
  }
}

/// dropIfgram checked once pjd::Stack opened the file (so that its chunk indexes were
/// checked before HDF5 reads anything): boolean values that --apply/--restore write back bit
/// for bit: an h5py bool (enum FALSE/TRUE) holding only its two members, or an integer
/// holding only 0 and 1. Stack::open has checked the shape (one flag per pair).
void check_drop_boolean(const std::string& name) {
  h5::init_library();
  Handle f(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) throw_data(name, "cannot open as HDF5 (truncated or damaged file?)");
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
  Handle space(H5Dget_space(d));
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space) != 1 || H5Sget_simple_extent_dims(space, dims, nullptr) != 1)
    throw_data(name, "dataset 'dropIfgram' is not one flag per pair (rank 1)");
  Handle ftype(H5Dget_type(d));
  const std::size_t n = static_cast<std::size_t>(dims[0]);
  const std::string refuse_tail =
      ": pjd exclude --apply/--restore writes booleans and could not bring the values back bit for bit (MintPy "
      "writes dropIfgram as bool; convert it first)";
  auto bad_value = [&](std::size_t i, const std::string& v) {
    throw_data(name, "dataset 'dropIfgram' is not boolean: value " + v + " at index " + std::to_string(i) + refuse_tail);
  };
  const H5T_class_t cls = H5Tget_class(ftype);
  if (cls == H5T_ENUM) {
    // h5py's bool: enum {FALSE, TRUE}. Compare raw values with the members' (native order).
    Handle mtype(H5Tget_native_type(ftype, H5T_DIR_ASCEND));
    const int nm = H5Tget_nmembers(ftype);
    std::set<std::string> names;
    for (int i = 0; i < nm; ++i)
      if (char* s = H5Tget_member_name(ftype, static_cast<unsigned>(i))) {
        names.insert(s);
        H5free_memory(s);
      }
    if (!mtype.valid() || names != std::set<std::string>{"FALSE", "TRUE"})
      throw_data(name, "dataset 'dropIfgram' is an enum other than h5py's bool (FALSE, TRUE)" + refuse_tail);
    const std::size_t size = H5Tget_size(mtype);
    std::vector<unsigned char> vf(size), vt(size), buf(n * size);
    if (H5Tenum_valueof(mtype, "FALSE", vf.data()) < 0 || H5Tenum_valueof(mtype, "TRUE", vt.data()) < 0)
      throw_data(name, "cannot read the members of the enum type of dataset 'dropIfgram'");
    if (n > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw_data(name, "cannot read dataset 'dropIfgram'");
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned char* v = buf.data() + i * size;
      if (std::memcmp(v, vf.data(), size) != 0 && std::memcmp(v, vt.data(), size) != 0) {
        std::string hex;
        for (std::size_t k = 0; k < size; ++k) {
          char b[3];
          std::snprintf(b, sizeof b, "%02x", v[k]);
          hex += b;
        }
        bad_value(i, "0x" + hex + " (neither FALSE nor TRUE)");
      }
    }
    return;
  }
  if (cls == H5T_INTEGER) {
    std::vector<long long> buf(n);
    if (n > 0 && H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw_data(name, "cannot read dataset 'dropIfgram'");
    for (std::size_t i = 0; i < n; ++i)
      if (buf[i] != 0 && buf[i] != 1) bad_value(i, std::to_string(buf[i]));
    return;
  }
  throw_data(name, "dataset 'dropIfgram' is " + type_text(ftype) + ", not boolean" + refuse_tail);
}

/// Refuses a file longer than the end HDF5 recorded (its EOA): what a writer killed inside
/// an HDF5 flush leaves (new metadata written, the superblock not yet). Writing to it would
/// place new objects over those bytes, turning a repairable file into a damaged one.
void check_end_of_file(const std::string& name) {
  h5::init_library();
  Handle f(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) throw_data(name, "cannot open as HDF5 (truncated or damaged file?)");
  haddr_t eoa = 0;
  struct stat sb {};
  if (H5Fget_eoa(f, &eoa) < 0 || ::stat(name.c_str(), &sb) != 0) return;
  if (static_cast<unsigned long long>(sb.st_size) > static_cast<unsigned long long>(eoa))
    throw_data(name, "the file is longer (" + std::to_string(sb.st_size) + " bytes) than HDF5 recorded at its last "
                     "flush (" + std::to_string(eoa) + " bytes): a writer (pjd exclude, MintPy, h5py) was killed "
                     "while flushing it; run 'h5clear --increment=0 " + name + "' (HDF5's tool: records the true end) "
                     "and try again");
}

/// The saved copy of the flags, when there is one, checked against the stack's pairs.
std::optional<std::vector<bool>> read_saved(const std::string& name, const StackFlags& st) {
  h5::init_library();
  Handle f(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  Handle d(f.valid() ? H5Dopen2(f, "dropIfgram", H5P_DEFAULT) : H5I_INVALID_HID);
  if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
  if (H5Aexists(d, kSavedDropAttribute) <= 0) return std::nullopt;
  const std::string malformed = std::string("malformed attribute ") + kSavedDropAttribute + " on dropIfgram";
  std::vector<std::string> pairs;
  std::vector<bool> flags;
  const std::string text = h5::read_string_attribute(d, kSavedDropAttribute);
  if (text.empty())
    // What a process killed inside HDF5's flush of the saved copy leaves (the attribute's
    // heap lies beyond the end of the file HDF5 recorded): the flags were not changed yet,
    // since they change only once the saved copy is on disk.
    throw_data(name, std::string("the saved copy of the flags (attribute ") + kSavedDropAttribute +
                         " of /dropIfgram) cannot be read, as a run killed while saving it leaves it, before any "
                         "change to dropIfgram: delete the attribute (h5py: del f['dropIfgram'].attrs['" +
                         kSavedDropAttribute + "']) and run again");
  try {
    const auto saved = nlohmann::json::parse(text);
    pairs = saved.at("date12").get<std::vector<std::string>>();
    flags = saved.at("dropIfgram").get<std::vector<bool>>();
  } catch (const nlohmann::json::exception&) {
    throw_data(name, malformed + " (not the JSON pjd writes: {\"date12\": [...], \"dropIfgram\": [...]}); delete it "
                                 "to start again");
  }
  if (pairs != st.pairs)
    throw_data(name, std::string("the dropIfgram flags saved by pjd (attribute ") + kSavedDropAttribute + ") are for " +
                         std::to_string(pairs.size()) +
                         " other pairs: the stack was rebuilt since; delete the attribute to start again");
  if (flags.size() != pairs.size())
    throw_data(name, malformed + ": " + std::to_string(flags.size()) + " flags for " + std::to_string(pairs.size()) +
                         " pairs");
  return flags;
}

// ---------------------------------------------------------------- writes

/// Opens the file for writing (after every check), or says why not: the HDF5 file lock is
/// held by another process (which took it since the checks).
Handle open_for_writing(const std::string& name) {
  h5::init_library();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_file_locking(fapl, true, true);
  Handle f(H5Fopen(name.c_str(), H5F_ACC_RDWR, fapl));
  if (f.valid()) return f;
  throw_data(name, "cannot be opened for writing (open in another process since the checks? HDF5 file lock): close "
                   "it and try again");
}

/// H5Fflush, then fsync of the file: what was written survives a kill of the process (and,
/// through fsync, a crash of the machine) from here on.
void flush_to_disk(hid_t f, const std::string& name) {
  if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) throw_io(name, "cannot flush the changes to disk");
  Handle fapl(H5Fget_access_plist(f));
  void* handle = nullptr;
  if (fapl.valid() && H5Pget_driver(fapl) == H5FD_SEC2 && H5Fget_vfd_handle(f, H5P_DEFAULT, &handle) >= 0 &&
      handle != nullptr && ::fsync(*static_cast<int*>(handle)) != 0)
    throw_io(name, "cannot sync the changes to disk: " + errno_text(errno));
}

/// A scalar variable-length UTF-8 string attribute, as h5py writes str; errors checked.
void write_attribute(hid_t obj, const std::string& attr, const std::string& value, const std::string& name) {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR));
  if (H5Aexists(obj, attr.c_str()) > 0 && H5Adelete(obj, attr.c_str()) < 0)
    throw_io(name, "cannot replace the attribute " + attr);
  Handle a(H5Acreate2(obj, attr.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
  const char* ptr = value.c_str();
  if (!a.valid() || H5Awrite(a, type, &ptr) < 0) throw_io(name, "cannot write the attribute " + attr);
}

void write_flags(hid_t dset, const std::string& file, const std::vector<bool>& keep) {
  Handle etype(H5Tenum_create(H5T_NATIVE_SCHAR));
  signed char v0 = 0, v1 = 1;
  H5Tenum_insert(etype, "FALSE", &v0);
  H5Tenum_insert(etype, "TRUE", &v1);
  Handle ftype(H5Dget_type(dset));
  std::vector<signed char> buf(keep.size());
  for (std::size_t i = 0; i < keep.size(); ++i) buf[i] = keep[i] ? 1 : 0;
  const hid_t mtype = H5Tget_class(ftype) == H5T_ENUM ? etype.get() : H5T_NATIVE_SCHAR;
  if (H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
    throw_io(file, "cannot write dataset 'dropIfgram'");
}

/// MODIFICATION_TIME = str(time.time()) on each interferogram dataset present, as
/// modify_network does; it sleeps 1 s between datasets, so its values step by about a
/// second: we write now, now + 1, ... without sleeping.
void touch_modification_time(hid_t f, const std::string& name, const std::string& step,
                             std::vector<std::string>& warnings) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  int k = 0;
  for (const auto& dset : kIfgramDatasets) {
    if (H5Lexists(f, dset.c_str(), H5P_DEFAULT) <= 0) continue;
    Handle d(H5Dopen2(f, dset.c_str(), H5P_DEFAULT));
    if (!d.valid()) {
      warnings.push_back("dataset '" + dset + "' of " + name +
                         " cannot be opened (damaged object header?): its MODIFICATION_TIME was not updated");
      continue;
    }
    write_attribute(d, "MODIFICATION_TIME", python_repr(now + k), name);
    write_point(step + ".mtime-written:" + dset);
    ++k;
  }
}

/// Closes the file, checking the result (the close writes what the last flush left).
void close_file(Handle& f, const std::string& name) {
  Handle owned = std::move(f);
  const herr_t rc = H5Fclose(owned.get());
  // owned's reset() then finds the id closed (H5Iget_type: not a file) and does nothing.
  if (rc < 0) throw_io(name, "cannot close the file after writing");
}

}  // namespace

void check_stack_writable(const fs::path& stack) {
  check_writable_file(checked_stack_file(stack).string());
}

StackFlags read_stack_flags(const fs::path& stack, bool boolean_only) {
  const fs::path file = checked_stack_file(stack);
  StackFlags st;
  {
    // Stack::open checks the file (chunk indexes, 'date', dropIfgram's shape) before HDF5
    // reads any data; closed again at the end of this scope.
    const Stack s = Stack::open(file);
    st.file = s.file();
    for (const auto& p : s.pairs()) st.pairs.push_back(p.name());
    st.keep = s.keep();
    if (!s.has_dataset("dropIfgram"))
      throw_data(st.file.string(), "has no dataset 'dropIfgram' (not a MintPy ifgramStack written by load_data?)");
  }
  if (boolean_only) check_drop_boolean(st.file.string());
  return st;
}

DropChange apply_drop(const fs::path& stack, const std::vector<std::string>& drop,
                      const std::map<std::string, double>& ramp_mm, bool force, bool dry_run) {
  // Checks: nothing opened for writing until they all pass.
  if (!dry_run) check_stack_writable(stack);  // before reading: a lock held elsewhere blocks that too
  const StackFlags st = read_stack_flags(stack, /*boolean_only=*/true);
  const std::string name = st.file.string();
  DropChange ch;
  ch.file = st.file;
  ch.network = check_network(st.pairs, st.keep, drop, ramp_mm);
  if (ch.network.disconnects() && !force) {
    std::string keep;
    for (std::size_t i = 0; i < ch.network.pairs_to_keep.size(); ++i)
      keep += (i ? "," : "") + ch.network.pairs_to_keep[i];
    throw_data(name, "dropping these pairs splits the network into " + std::to_string(ch.network.components_after) +
                         " parts (" + std::to_string(ch.network.dates_cut_off.size()) +
                         " date(s) cut off); keep " + std::to_string(ch.network.pairs_to_keep.size()) +
                         " pair(s) to stay connected (" + keep + ") or give --force");
  }
  const std::set<std::string> dropset(drop.begin(), drop.end());
  std::vector<bool> keep = st.keep;
  for (std::size_t i = 0; i < st.pairs.size(); ++i) {
    if (!dropset.count(st.pairs[i])) continue;
    if (keep[i]) {
      ch.newly_dropped.push_back(st.pairs[i]);
      keep[i] = false;
    } else {
      ch.already_dropped.push_back(st.pairs[i]);
    }
  }
  ch.changed = !ch.newly_dropped.empty();
  check_end_of_file(name);
  const bool has_saved = read_saved(name, st).has_value();
  ch.saved_original = !has_saved;
  if (dry_run || (has_saved && !ch.changed)) return ch;  // nothing to write: the file is left as it is

  write_point("apply.checked");
  Handle f = open_for_writing(name);
  write_point("apply.opened");
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
  if (!has_saved) {
    // Step a: the flags as they are now, before any change (what --restore writes back),
    // on disk before anything else changes.
    nlohmann::json saved;
    saved["date12"] = st.pairs;
    saved["dropIfgram"] = st.keep;
    saved["written_by"] = "pjd exclude --apply";
    write_attribute(d, kSavedDropAttribute, saved.dump(), name);
    write_point("apply.backup-written");
    flush_to_disk(f, name);
    write_point("apply.backup-flushed");
  }
  if (ch.changed) {
    // Step b: the new flags.
    write_flags(d, name, keep);
    write_point("apply.flags-written");
    touch_modification_time(f, name, "apply", ch.warnings);
    flush_to_disk(f, name);
    write_point("apply.flushed");
  }
  d.reset();
  close_file(f, name);
  write_point("apply.closed");
  return ch;
}

DropChange restore_drop(const fs::path& stack, bool dry_run) {
  if (!dry_run) check_stack_writable(stack);
  const StackFlags st = read_stack_flags(stack, /*boolean_only=*/true);
  const std::string name = st.file.string();
  DropChange ch;
  ch.file = st.file;
  check_end_of_file(name);
  const auto saved = read_saved(name, st);
  if (!saved) throw_data(name, "no dropIfgram flags saved by pjd exclude --apply: nothing to restore");
  const std::vector<bool>& original = *saved;
  for (std::size_t i = 0; i < original.size(); ++i) {
    if (original[i] && !st.keep[i]) ch.restored.push_back(st.pairs[i]);
    if (!original[i] && st.keep[i]) ch.newly_dropped.push_back(st.pairs[i]);
  }
  ch.changed = true;  // the attribute goes away in any case
  ch.network = check_network(st.pairs, original, {});
  if (dry_run) return ch;

  write_point("restore.checked");
  Handle f = open_for_writing(name);
  write_point("restore.opened");
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
  if (original != st.keep) {
    // Step a: the saved flags, on disk while the saved copy is still there.
    write_flags(d, name, original);
    write_point("restore.flags-written");
    touch_modification_time(f, name, "restore", ch.warnings);
    flush_to_disk(f, name);
    write_point("restore.flags-flushed");
  }
  // Step b: the saved copy goes.
  if (H5Adelete(d, kSavedDropAttribute) < 0)
    throw_io(name, "cannot remove the attribute " + std::string(kSavedDropAttribute));
  write_point("restore.backup-removed");
  flush_to_disk(f, name);
  write_point("restore.flushed");
  d.reset();
  close_file(f, name);
  write_point("restore.closed");
  return ch;
}

}  // namespace pjd
