// SPDX-License-Identifier: Apache-2.0
// Buffered fd output.
#include "app/output.h"

#include <unistd.h>

#include <cerrno>

namespace aiir {

void FdOutput::flush() {
  write_all(buf_);
  buf_.clear();
}

void FdOutput::write_all(std::string_view bytes) {
  std::size_t done = 0;
  while (!closed_ && done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      closed_ = true;
      failed_ = errno != EPIPE;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace aiir
