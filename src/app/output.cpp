// SPDX-License-Identifier: Apache-2.0
// Buffered fd output.
#include "app/output.h"

#include <unistd.h>

#include <cerrno>

namespace aiir {

void FdOutput::flush() {
  std::size_t done = 0;
  while (!closed_ && done < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      closed_ = true;
      failed_ = errno != EPIPE;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buf_.clear();
}

}  // namespace aiir
