#pragma once
// TEST-ONLY kill points: the one hook the kill tests drive (tests/unit/mintpy for
// exclude --apply/--restore, tests/unit/workflow for detect --out --catalog, and the
// coming pjd correct). Never set its environment variables otherwise.
//
// Writers call kill_point("step.name") after each durable step (a file renamed into
// place, a flush, a transaction begun or committed). With the environment variable
//   PJD_TEST_KILL_AT=N      (1-based count of the points passed in this process) or
//   PJD_TEST_KILL_AT=NAME   (e.g. "apply.backup-flushed")
// the process raises SIGKILL on itself at that point, as a user's kill -9 or a crash would;
// PJD_TEST_KILL_TRACE=1 prints "pjd-kill-point N NAME" on stderr at each point, so that a
// test can list them. Unset (always, outside the tests) it costs two getenv calls the
// first time and a branch after. Safe to call from several threads (points are counted in
// the order they are reached).
#include <string>

namespace pjd {

void kill_point(const std::string& name);

}  // namespace pjd
