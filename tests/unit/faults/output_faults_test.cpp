// SPDX-License-Identifier: Apache-2.0
// Fault tests for output: disk full (/dev/full) and a reader that went away.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "app/output.h"

using aiir::FdOutput;

TEST_CASE("disk full when writing: FdOutput reports failed(), does not crash", "[faults]") {
  int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  {
    FdOutput out(fd);
    out.write("small");  // buffered: nothing written yet
    CHECK_FALSE(out.failed());
    out.flush();
    CHECK(out.failed());
    CHECK(out.closed());
    // Later writes are dropped quietly, also past the flush threshold.
    out.write(std::string(3 << 20, 'x'));
    CHECK(out.failed());
    CHECK(out.buffer().empty());
  }  // the destructor flushes again: must not crash either
  {
    FdOutput out(fd);
    out.write(std::string(2 << 20, 'y'));  // over the flush threshold: fails inside write()
    CHECK(out.failed());
  }
  ::close(fd);
}

TEST_CASE("a closed pipe is a quiet end, not a failure", "[faults]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  ::close(p[0]);
  auto old = std::signal(SIGPIPE, SIG_IGN);
  {
    FdOutput out(p[1]);
    out.write("data");
    out.flush();
    CHECK(out.closed());
    CHECK_FALSE(out.failed());
  }
  std::signal(SIGPIPE, old);
  ::close(p[1]);
}
