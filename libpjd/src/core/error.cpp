#include "pjd/error.hpp"

namespace pjd {

static std::string compose(const std::string& file, const std::string& problem) {
  return file.empty() ? problem : file + ": " + problem;
}

Error::Error(ErrorKind kind, std::string file, std::string problem)
    : std::runtime_error(compose(file, problem)),
      kind_(kind),
      file_(std::move(file)),
      problem_(std::move(problem)) {}

void throw_data(const std::string& file, const std::string& problem) {
  throw Error(ErrorKind::Data, file, problem);
}
void throw_usage(const std::string& problem) { throw Error(ErrorKind::Usage, "", problem); }
void throw_io(const std::string& file, const std::string& problem) {
  throw Error(ErrorKind::Io, file, problem);
}

}  // namespace pjd
