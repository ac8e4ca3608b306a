// SPDX-License-Identifier: Apache-2.0
// `aiir verify`: offline CloudTrail log-file integrity validation.
#include <cstdio>

#include "app/commands.h"
#include "app/output.h"
#include "verify/verify.h"

namespace aiir {

int run_verify(const VerifyCliOptions& o) {
  VerifyOptions options;
  options.public_keys_path = o.public_keys;
  options.signatures_path = o.signatures;
  options.unlisted_fails = o.strict;
  VerifyResult result = verify_cloudtrail(o.paths, options);
  std::string out;
  if (o.format == "json") {
    write_verify_json(result, out);
    out += '\n';
  } else {
    write_verify_text(result, out);
  }
  FdOutput fd(1);
  fd.write(out);
  fd.flush();
  if (result.integrity_failed()) return kExitIntegrity;
  if (result.counts.digests_found == 0) {
    // Nothing was verified: never a clean 0 (exit code 2: nothing readable matched).
    std::fputs("aiir: no CloudTrail digest files found: nothing was verified (was log file validation on, and "
               "was the CloudTrail-Digest/ prefix exported?)\n",
               stderr);
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace aiir
