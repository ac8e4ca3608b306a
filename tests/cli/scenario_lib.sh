# SPDX-License-Identifier: Apache-2.0
# What the scenario scripts share (sourced, not a test): the set-up (AIIR and AIIR_ROOT
# set, the source tree as working folder, a $tmp folder removed on exit, lib.sh's tally)
# and the checks below. FILE is a findings JSON Lines file (--format jsonl); jq -s reads
# it as one array, since with -e a select over lines would exit by the last line only.
#   has_rule FILE RULE SEV       a finding of RULE at SEV
#   finding FILE RULE FILTER     exactly one finding of RULE, and it satisfies FILTER
#   any_finding FILE FILTER      some finding satisfies FILTER
#   no_finding FILE FILTER       no finding satisfies FILTER
#   cites FILE RULE ID SEV...    a finding of RULE at one of SEV... cites request ID
#   answer_is JSON ID ANSWER     the report (--format json) answers question ID with ANSWER
#   md_inert FILE                nothing from the logs is live in a Markdown report
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source tree}"
cd "$AIIR_ROOT" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
source "$AIIR_ROOT/tests/cli/lib.sh"

has_rule() { jq -s -e --arg r "$2" --arg s "$3" 'any(.[]; .rule == $r and .severity == $s)' "$1" >/dev/null; }
finding() { jq -s -e --arg r "$2" "map(select(.rule == \$r)) | length == 1 and (.[0] | $3)" "$1" >/dev/null; }
any_finding() { jq -s -e "any(.[]; $2)" "$1" >/dev/null; }
no_finding() { jq -s -e "any(.[]; $2) | not" "$1" >/dev/null; }
cites() {
  local file=$1 rule=$2 id=$3
  shift 3
  jq -s -e --arg r "$rule" --arg id "$id" --args \
    'any(.[]; .rule == $r and (.severity | IN($ARGS.positional[])) and any(.evidence[]?; .request_id == $id))' "$@" <"$file" >/dev/null
}
answer_is() { jq -e --arg id "$2" --arg a "$3" 'any(.questions[]; .id == $id and .answer == $a)' "$1" >/dev/null; }
# No log text is live in a Markdown report: no raw ESC anywhere, and outside code spans no
# unescaped HTML tag, link or image opener, or URL scheme.
md_inert() {
  ! grep -q $'\x1b' "$1" || return 1
  perl -ne 's/(`+)(?:(?!\1).)*?\1//g; if (/(?<!\\)<[A-Za-z\/!]|(?<!\\)\]\(|(?<!\\)!\[|(?<!\\):\/\//) { print STDERR "live markdown: $_"; $bad = 1 } END { exit($bad ? 1 : 0) }' "$1"
}
