// dropIfgram apply/restore in ifgramStack.h5 (see pjd/exclude.hpp).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "io/h5util.hpp"
#include "pjd/error.hpp"
#include "pjd/exclude.hpp"
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

struct StackState {
  fs::path file;
  std::vector<std::string> pairs;
  std::vector<bool> keep;
};

StackState read_state(const fs::path& path) {
  const Stack s = Stack::open(path);  // closed again at the end of this scope
  StackState st;
  st.file = s.file();
  for (const auto& p : s.pairs()) st.pairs.push_back(p.name());
  st.keep = s.keep();
  if (!s.has_dataset("dropIfgram"))
    throw_data(st.file.string(), "has no dataset 'dropIfgram' (not a MintPy ifgramStack written by load_data?)");
  return st;
}

/// Opens the file for writing, or says why not (read-only, or open elsewhere: HDF5's
/// file lock is held by another process).
Handle open_for_writing(const fs::path& file) {
  const std::string name = file.string();
  // No write bit at all counts as read-only even for root (whom access() lets write).
  struct stat sb {};
  const bool no_write_bits = ::stat(name.c_str(), &sb) == 0 && (sb.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
  if (no_write_bits || ::access(name.c_str(), W_OK) != 0)
    throw_data(name, "is read-only: pjd exclude --apply/--restore needs to write dropIfgram (copy the stack or "
                     "change its permissions)");
  h5::init_library();
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_file_locking(fapl, true, true);
  Handle f(H5Fopen(name.c_str(), H5F_ACC_RDWR, fapl));
  if (f.valid()) return f;
  Handle r(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl));
  if (!r.valid())
    throw_data(name, "is open for writing in another process (HDF5 file lock): close it (e.g. a running MintPy "
                     "step) and try again");
  throw_data(name, "is open in another process (HDF5 file lock): close it (e.g. a viewer or a MintPy step) and "
                   "try again");
}

std::vector<signed char> read_flags(hid_t dset, const std::string& file, std::size_t n) {
  Handle etype(H5Tenum_create(H5T_NATIVE_SCHAR));
  signed char v0 = 0, v1 = 1;
  H5Tenum_insert(etype, "FALSE", &v0);
  H5Tenum_insert(etype, "TRUE", &v1);
  Handle ftype(H5Dget_type(dset));
  std::vector<signed char> buf(n);
  const hid_t mtype = H5Tget_class(ftype) == H5T_ENUM ? etype.get() : H5T_NATIVE_SCHAR;
  if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
    throw_data(file, "cannot read dataset 'dropIfgram'");
  return buf;
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
void touch_modification_time(hid_t f) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  int k = 0;
  for (const auto& name : kIfgramDatasets) {
    if (H5Lexists(f, name.c_str(), H5P_DEFAULT) <= 0) continue;
    Handle d(H5Dopen2(f, name.c_str(), H5P_DEFAULT));
    if (!d.valid()) continue;
    h5::write_string_attribute(d, "MODIFICATION_TIME", python_repr(now + k));
    ++k;
  }
}

void check_saved_pairs(const nlohmann::json& saved, const StackState& st) {
  const auto pairs = saved.at("date12").get<std::vector<std::string>>();
  if (pairs != st.pairs)
    throw_data(st.file.string(), std::string("the dropIfgram flags saved by pjd (attribute ") + kSavedDropAttribute +
                                     ") are for " + std::to_string(pairs.size()) +
                                     " other pairs: the stack was rebuilt since; delete the attribute to start again");
}

fs::path stack_file_of(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return p;
  if (fs::exists(p / "inputs" / "ifgramStack.h5", ec)) return p / "inputs" / "ifgramStack.h5";
  return p / "ifgramStack.h5";
}

}  // namespace

void check_stack_writable(const fs::path& stack) {
  const fs::path file = stack_file_of(stack);
  std::error_code ec;
  if (!fs::exists(file, ec)) throw_data(file.string(), "no such file");
  Handle f = open_for_writing(file);
}

DropChange apply_drop(const fs::path& stack, const std::vector<std::string>& drop,
                      const std::map<std::string, double>& ramp_mm, bool force, bool dry_run) {
  if (!dry_run) check_stack_writable(stack);  // before reading: a lock held elsewhere blocks that too
  const StackState st = read_state(stack);
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
  if (dry_run) {
    Handle f(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    Handle d(f.valid() ? H5Dopen2(f, "dropIfgram", H5P_DEFAULT) : H5I_INVALID_HID);
    ch.saved_original = d.valid() && H5Aexists(d, kSavedDropAttribute) <= 0;
    return ch;
  }
  Handle f = open_for_writing(st.file);
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
  if (H5Aexists(d, kSavedDropAttribute) > 0) {
    check_saved_pairs(nlohmann::json::parse(h5::read_string_attribute(d, kSavedDropAttribute)), st);
  } else {
    // The flags as they are now, before any change: what --restore writes back.
    const auto flags = read_flags(d, name, st.pairs.size());
    nlohmann::json saved;
    saved["date12"] = st.pairs;
    std::vector<bool> k(flags.size());
    for (std::size_t i = 0; i < flags.size(); ++i) k[i] = flags[i] != 0;
    saved["dropIfgram"] = k;
    saved["written_by"] = "pjd exclude --apply";
    h5::write_string_attribute(d, kSavedDropAttribute, saved.dump());
    ch.saved_original = true;
  }
  if (ch.changed) {
    write_flags(d, name, keep);
    touch_modification_time(f);
  }
  d.reset();
  if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) throw_io(name, "cannot flush the changes to disk");
  return ch;
}

DropChange restore_drop(const fs::path& stack, bool dry_run) {
  if (!dry_run) check_stack_writable(stack);
  const StackState st = read_state(stack);
  const std::string name = st.file.string();
  DropChange ch;
  ch.file = st.file;
  nlohmann::json saved;
  {
    h5::init_library();
    Handle f(H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    Handle d(f.valid() ? H5Dopen2(f, "dropIfgram", H5P_DEFAULT) : H5I_INVALID_HID);
    if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
    if (H5Aexists(d, kSavedDropAttribute) <= 0)
      throw_data(name, "no dropIfgram flags saved by pjd exclude --apply: nothing to restore");
    try {
      saved = nlohmann::json::parse(h5::read_string_attribute(d, kSavedDropAttribute));
      check_saved_pairs(saved, st);
    } catch (const nlohmann::json::exception& e) {
      throw_data(name, std::string("malformed attribute ") + kSavedDropAttribute + " on dropIfgram: " + e.what());
    }
  }
  const auto original = saved.at("dropIfgram").get<std::vector<bool>>();
  if (original.size() != st.pairs.size()) throw_data(name, "saved dropIfgram flags have the wrong length");
  for (std::size_t i = 0; i < original.size(); ++i) {
    if (original[i] && !st.keep[i]) ch.restored.push_back(st.pairs[i]);
    if (!original[i] && st.keep[i]) ch.newly_dropped.push_back(st.pairs[i]);
  }
  ch.changed = true;  // the attribute goes away in any case
  ch.network = check_network(st.pairs, original, {});
  if (dry_run) return ch;
  Handle f = open_for_writing(st.file);
  Handle d(H5Dopen2(f, "dropIfgram", H5P_DEFAULT));
  if (!d.valid()) throw_data(name, "cannot open dataset 'dropIfgram'");
  if (original != st.keep) {
    write_flags(d, name, original);
    touch_modification_time(f);
  }
  if (H5Adelete(d, kSavedDropAttribute) < 0) throw_io(name, "cannot remove the attribute " + std::string(kSavedDropAttribute));
  d.reset();
  if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) throw_io(name, "cannot flush the changes to disk");
  return ch;
}

}  // namespace pjd
