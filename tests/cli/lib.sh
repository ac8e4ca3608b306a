# SPDX-License-Identifier: Apache-2.0
# The tally the CLI test scripts share (sourced, not a test: ctest runs *_test.sh).
#   check NAME COMMAND...     passes when the command succeeds
#   known_bug NAME COMMAND... a reported, not yet fixed bug: does not fail the script
#                             while the bug is there; once the command succeeds (the
#                             bug is fixed) it fails, so that it is turned into a check
#   ok, bad NAME              count by hand
# The caller prints "$pass passed, $fail failed" and exits with [ "$fail" -eq 0 ].
pass=0 fail=0 known=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*" >&2; }
check() {
  local name=$1
  shift
  if "$@"; then ok; else bad "$name"; fi
}
known_bug() {
  local name=$1
  shift
  if "$@"; then bad "$name: KNOWN BUG NOW FIXED: turn known_bug into check in $0"; else
    known=$((known + 1)); echo "KNOWN BUG $name" >&2; fi
}
