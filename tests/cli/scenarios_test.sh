#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Small incidents other than the bundled example, end to end through `aiir scan`:
# each must produce the findings that tell its story, and nothing at high or above
# that does not belong to it. The fixtures live under tests/data/, a folder named
# data: invocation logs there are logs, not offloaded payloads.
# Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source tree}"
cd "$AIIR_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
source "$AIIR_ROOT/tests/cli/lib.sh"
# jq -s: the findings as one array (with -e, a select over lines exits by the last line).
has_rule() { jq -s -e --arg r "$2" --arg s "$3" 'any(.[]; .rule == $r and .severity == $s)' "$1" >/dev/null; }
finding() { jq -s -e --arg r "$2" "map(select(.rule == \$r)) | length == 1 and (.[0] | $3)" "$1" >/dev/null; }

# A support bot on Lambda is talked into printing its environment; its temporary
# credentials are then used from another machine.
leak=tests/data/scenarios/lambda-credential-leak
for threads in 1 2; do
  "$AIIR" scan -q --threads "$threads" --format jsonl "$leak" >"$tmp/leak.$threads.jsonl"
done
check "lambda leak: same findings for 1 and 2 threads" cmp -s "$tmp/leak.1.jsonl" "$tmp/leak.2.jsonl"
f="$tmp/leak.1.jsonl"
check "lambda leak: the invocation log is read" bash -c "\"$AIIR\" scan --format json '$leak' 2>/dev/null | jq -e '.coverage.invocation_records == 4' >/dev/null"
check "lambda leak: the injection" has_rule "$f" invocation.prompt_injection high
check "lambda leak: the credentials in the response" has_rule "$f" private_data.secret_in_response critical
check "lambda leak: the printed key used from elsewhere" has_rule "$f" access.leaked_credential_used critical
check "lambda leak: the runtime's key used by another client" has_rule "$f" access.compute_credentials_used_elsewhere high
check "lambda leak: the attacker's address is named" \
  finding "$f" access.leaked_credential_used '.source_ips == ["198.51.100.77"]'
check "lambda leak: the response is cited" \
  finding "$f" access.leaked_credential_used '.evidence | map(.request_id) | index("5a1e0002-1111-4222-8333-000000000002") != null'
check "lambda leak: one record cited once" \
  finding "$f" private_data.secret_in_response '.count == 1 and (.evidence | length) == 1' 
check "lambda leak: no other finding at high or above" \
  bash -c "jq -r 'select(.severity == \"high\" or .severity == \"critical\") | .rule' '$f' | sort -u | grep -vxE 'invocation.prompt_injection|private_data.secret_in_response|access.leaked_credential_used|access.compute_credentials_used_elsewhere|access.principal_of_interest|access.activity_continues' | grep -q . && exit 1 || exit 0"
check "lambda leak: the secret is never printed" bash -c "! grep -q 'Zq8vN3kLm2Pw7Rt5Yx1Bc4Df6Gh9Jk0Lp3Qs8UvW' '$f'"

# An EC2 instance role's credentials taken from the instance and used from a laptop
# to open the role's trust to the attacker's account, which then assumes it.
theft=tests/data/scenarios/instance-role-theft
"$AIIR" scan -q --format jsonl "$theft" >"$tmp/theft.jsonl"
f="$tmp/theft.jsonl"
check "instance theft: the key from two networks" has_rule "$f" access.compute_credentials_used_elsewhere high
check "instance theft: the trust opened to the outside account" has_rule "$f" access.role_trusts_external_account high
check "instance theft: the outside account came in" has_rule "$f" access.external_account_activity high
check "instance theft: the trust finding says it came in" \
  finding "$f" access.role_trusts_external_account '.details.external_activity | startswith("999988887777 from ")'
check "instance theft: the laptop's address is named" \
  finding "$f" access.compute_credentials_used_elsewhere '.source_ips | index("198.51.100.88") != null'
check "instance theft: the administrator is not flagged" \
  bash -c "! grep -q 'user/admin-alice' '$f'"

# LLMjacking with a leaked developer key, exported the way a responder without S3
# access does it: two pages of `aws cloudtrail lookup-events` in one file and
# `aws logs filter-log-events` on the invocation log group.
lj=tests/data/scenarios/llmjacking-cli-exports
"$AIIR" scan -q --format jsonl "$lj" >"$tmp/lj.jsonl"
"$AIIR" scan -q --format json "$lj" >"$tmp/lj.json"
f="$tmp/lj.jsonl"
check "llmjacking exports: both shapes read" \
  jq -e '.inputs.files_by_shape == {"lookup_events": 1, "cloudwatch_api": 1} and .coverage.invocation_records == 60' "$tmp/lj.json" >/dev/null
check "llmjacking exports: the chain" has_rule "$f" ai_changes.llmjacking_chain critical
check "llmjacking exports: model access enabled" has_rule "$f" ai_changes.model_access_enabled_programmatically high
check "llmjacking exports: each call counted once across the two sources" \
  jq -e '[.model_usage.rows[] | select(.model == "anthropic.claude-3-sonnet-20240229-v1:0")] | map(.calls) | add == 61' "$tmp/lj.json"  >/dev/null
check "llmjacking exports: the new principal's calls counted once" \
  finding "$f" invocation.new_principal '.summary | contains("(60 successful calls")'

# An Identity Center administrator's browser session turns off invocation logging,
# deletes the guardrail and runs a burst on a costlier model; the app goes on as usual.
sso=tests/data/scenarios/sso-logging-off
"$AIIR" scan -q --format jsonl "$sso" >"$tmp/sso.jsonl"
f="$tmp/sso.jsonl"
check "sso: logging deleted" has_rule "$f" ai_changes.invocation_logging_deleted high
check "sso: then models invoked without logging" has_rule "$f" ai_changes.logging_disabled_then_invoked high
check "sso: guardrail deleted" has_rule "$f" ai_changes.guardrail_deleted high
check "sso: the new caller is the person, not the permission set" \
  finding "$f" invocation.new_principal '.principal | endswith("/carol@example.com")'
check "sso: the application is not flagged" bash -c "! grep -q 'chat-app-role' '$f'"

# A leaked operator key mints a Bedrock API key that never expires; the key is then
# used with bearer tokens from elsewhere, and tried outside Bedrock.
api=tests/data/scenarios/bedrock-api-key-abuse
"$AIIR" scan -q --format jsonl "$api" >"$tmp/api.jsonl"
f="$tmp/api.jsonl"
check "api key: created without expiry" has_rule "$f" ai_changes.bedrock_api_key_without_expiry high
check "api key: its user acting outside Bedrock" has_rule "$f" access.bedrock_api_key_user_outside_bedrock high
check "api key: permissions added to its user" has_rule "$f" access.bedrock_api_key_user_credential_added high
check "api key: the new caller of the model is the key's user" \
  finding "$f" invocation.new_principal '.principal == "arn:aws:iam::111122223333:user/BedrockAPIKey-7xq2"'
check "api key: the operator key seen from a new address" \
  finding "$f" access.long_term_key_new_ip '.source_ips == ["198.51.100.150"]'

echo "scenarios: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
