#pragma once
// Shared by the fuzz targets: the input as a file on disk, and the checks that every target
// makes after each input.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace pjd_fuzz {

/// Writes the input to this process's scratch file (under /dev/shm when it exists, else
/// $TMPDIR or /tmp), named `name` inside a per-process directory, and returns its path.
/// The same path is reused for every input: HDF5 has closed the previous one by then
/// (check_hdf5_closed).
std::filesystem::path write_input(const std::uint8_t* data, std::size_t size, const std::string& name);

/// Aborts (a finding) when an HDF5 file, group, dataset, attribute, type or dataspace is
/// still open: every pjd call must close what it opened, on success and on refusal alike.
/// An open file would also make HDF5 hand the next input the previous file's state.
void check_hdf5_closed(const char* after);

/// Aborts with a message (the fuzzer records the input as a crash).
[[noreturn]] void finding(const std::string& what);

}  // namespace pjd_fuzz
