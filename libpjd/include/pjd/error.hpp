#pragma once
// The one exception type that leaves libpjd.
//
// Every problem with an input file, an output path or a parameter is raised as
// pjd::Error. It names the file (when there is one) and the problem, and says
// whether the fault lies in the data (exit code 3) or in how pjd was called
// (exit code 2). Front ends catch it at their edge and print what().
#include <stdexcept>
#include <string>

namespace pjd {

enum class ErrorKind {
  Usage,  ///< bad arguments or options: the CLI exits 2
  Data,   ///< a file is missing, malformed or unsuitable: the CLI exits 3
  Io,     ///< an output could not be written: the CLI exits 3
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string file, std::string problem);

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& file() const noexcept { return file_; }
  const std::string& problem() const noexcept { return problem_; }
  /// Process exit code that matches the kind: 2 for usage, 3 otherwise.
  int exit_code() const noexcept { return kind_ == ErrorKind::Usage ? 2 : 3; }

 private:
  ErrorKind kind_;
  std::string file_;
  std::string problem_;
};

/// Shorthands for the common cases.
[[noreturn]] void throw_data(const std::string& file, const std::string& problem);
[[noreturn]] void throw_usage(const std::string& problem);
[[noreturn]] void throw_io(const std::string& file, const std::string& problem);

}  // namespace pjd
