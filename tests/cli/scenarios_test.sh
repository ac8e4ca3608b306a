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

# A leaked CI user key from a new address poisons the HR knowledge base (two documents
# into its bucket, then an ingestion job) and re-points the HR agent's action group at a
# Lambda that can send e-mail; on benefits questions the retrieved document's
# instructions make the agent e-mail employees' data to an outside address. Background:
# the data engineer's uploads and ingestion, the application's agent and RAG calls.
kb=tests/data/scenarios/kb-poisoning-agent-hijack
for threads in 1 2; do
  "$AIIR" scan -q --threads "$threads" --format jsonl "$kb" >"$tmp/kb.$threads.jsonl"
done
"$AIIR" scan -q --format json "$kb" >"$tmp/kb.json"
"$AIIR" scan -q --format md "$kb" >"$tmp/kb.md"
f="$tmp/kb.1.jsonl"
check "kb poisoning: same findings for 1 and 2 threads" cmp -s "$tmp/kb.1.jsonl" "$tmp/kb.2.jsonl"
check "kb poisoning: every file read, both sources" \
  jq -e '.inputs.files_failed == 0 and .coverage.cloudtrail_events == 52 and .coverage.invocation_records == 26' "$tmp/kb.json" >/dev/null
check "kb poisoning: the bucket written from the new address, then ingested" \
  has_rule "$f" data_store.kb_poisoning_ingested critical
check "kb poisoning: the writer, its address and the bucket are named" \
  finding "$f" data_store.kb_poisoning_ingested '.principal == "arn:aws:iam::111122223333:user/svc-kb-sync" and .source_ips == ["203.0.113.66"] and (.summary | contains("example-corp-hr-kb"))'
check "kb poisoning: the data engineer's baseline uploads are not reported as poisoning" \
  jq -s -e 'any(.[]; (.rule == "data_store.kb_bucket_write" or .rule == "data_store.kb_poisoning_ingested") and (.principal | contains("DataEngineer"))) | not' "$f" >/dev/null
check "kb poisoning: the leaked key from a new address" \
  finding "$f" access.long_term_key_new_ip '.access_key_id == "AKIA3KBSYNC5LEAK2Q7X" and .source_ips == ["203.0.113.66"] and .severity == "medium"'
check "kb poisoning: the recon" has_rule "$f" access.enumeration_burst medium
check "kb poisoning: GetCallerIdentity then recon" has_rule "$f" access.recon_then_enumeration medium
check "kb poisoning: the key is a principal of interest" \
  finding "$f" access.principal_of_interest '.severity == "high" and .access_key_id == "AKIA3KBSYNC5LEAK2Q7X" and .details.suspicious_from_ip == "203.0.113.66"'
check "kb poisoning: the agent and ingestion changes by the new principal" \
  finding "$f" data_store.kb_agent_changes '.severity == "medium" and (.summary | contains("UpdateAgentActionGroup"))'
check "kb poisoning: the action group re-pointed" \
  finding "$f" agency.agent_action_group_changed '.severity == "medium" and .source_ips == ["203.0.113.66"]'
check "kb poisoning: the injection the agent read, from its own role" \
  bash -c "jq -s -e 'map(select(.rule == \"invocation.prompt_injection\" and .severity == \"high\")) | length == 3 and all(.[]; .principal | contains(\"AmazonBedrockExecutionRoleForAgents_hrassist\"))' '$f' >/dev/null"
check "kb poisoning: the e-mails the new tool sent outside, as new behaviour after the baseline" \
  finding "$f" agency.new_action_after_baseline '.severity == "high" and .count == 3 and .details.external_recipients == "hr-archive@example.net" and .principal == "arn:aws:iam::111122223333:role/ses-notify-role"'
check "kb poisoning: no benign principal flagged" \
  jq -s -e 'any(.[]; .severity != "low" and .severity != "info" and ((.principal // "") | test("DataEngineer|hr-assistant-app-role"))) | not' "$f" >/dev/null
check "kb poisoning: nothing else at high or above" \
  bash -c "jq -r 'select(.severity == \"high\" or .severity == \"critical\") | .rule' '$f' | sort -u | grep -vxE 'data_store.kb_poisoning_ingested|access.principal_of_interest|invocation.prompt_injection|invocation.data_exfiltration_markup|invocation.tool_abuse|agency.email_sent_by_ai|agency.new_action_after_baseline' | grep -q . && exit 1 || exit 0"
check "kb poisoning: the data store question says yes" \
  jq -e '.questions[] | select(.id == "data_store.accessed_or_tampered") | .answer == "yes"' "$tmp/kb.json" >/dev/null
check "kb poisoning: the Markdown report names the key and the address" \
  bash -c "grep -q 'AKIA3KBSYNC5LEAK2Q7X' '$tmp/kb.md' && grep -q '203.0.113.66' '$tmp/kb.md'"
check "kb poisoning: the enumeration burst names only the address that enumerated" \
  finding "$f" access.enumeration_burst '.source_ips == ["203.0.113.66"]'
check "kb poisoning: the action-group finding names the new executor Lambda" \
  finding "$f" agency.agent_action_group_changed '.details | tostring | contains("function:ses-notify")'
known_bug "kb poisoning: the Markdown-image exfiltration in the poisoned document" \
  has_rule "$f" invocation.data_exfiltration_markup high
known_bug "kb poisoning: the covert tool call in the poisoned document" \
  has_rule "$f" invocation.tool_abuse high
check "kb poisoning: the hijacked agent's e-mails answer the unauthorized-actions question" \
  jq -e '.questions[] | select(.id == "agency.unauthorized_actions") | .answer == "yes"' "$tmp/kb.json" >/dev/null
check "kb poisoning: agent and retrieval runtime calls are not control-plane changes" \
  jq -e '.questions[] | select(.id == "ai_changes.models_resources") | .explanation | test("InvokeAgent x|RetrieveAndGenerate x") | not' "$tmp/kb.json" >/dev/null

# A CI pipeline's role session (12 hours) is used from elsewhere: a fine-tuning job on
# training data in another account's bucket, provisioned throughput, a copy of the
# custom model to another region and a RAM share of it with the outside account,
# invocation logging sent to that account's bucket, and the us-west-2 trail stopped.
# Background: an ML engineer's own fine-tuning job, an administrator's reviews, a chatbot.
cm=tests/data/scenarios/custom-model-exfil
"$AIIR" scan -q --format jsonl "$cm" >"$tmp/cm.jsonl"
"$AIIR" scan -q --format json "$cm" >"$tmp/cm.json"
"$AIIR" scan -q --format md "$cm" >"$tmp/cm.md"
f="$tmp/cm.jsonl"
ci='arn:aws:sts::111122223333:assumed-role/MLOpsDeployRole/gitlab-ml-20260320'
check "custom model: both regions read" \
  jq -e '.inputs.files_failed == 0 and .coverage.cloudtrail_events == 48 and .coverage.regions == ["us-east-1", "us-west-2"]' "$tmp/cm.json" >/dev/null
check "custom model: the trail stopped" \
  finding "$f" infrastructure.cloudtrail_logging_stopped ".severity == \"high\" and .principal == \"$ci\" and .region == \"us-west-2\" and .source_ips == [\"203.0.113.200\"]"
check "custom model: the chain of recon, logging check and change, and model calls" \
  finding "$f" ai_changes.llmjacking_chain '.severity == "high" and .access_key_id == "ASIA3MLCI8SESSION2ZQ" and (.details["step.logging_change"] | contains("PutModelInvocationLoggingConfiguration"))'
check "custom model: the session's customization job" \
  bash -c "jq -s -e --arg p '$ci' 'any(.[]; .rule == \"ai_changes.model_customization_job_created\" and .severity == \"medium\" and .principal == \$p and .source_ips == [\"203.0.113.200\"])' '$f' >/dev/null"
check "custom model: provisioned throughput bought" \
  finding "$f" ai_changes.provisioned_throughput_purchased ".severity == \"medium\" and .principal == \"$ci\""
check "custom model: invocation logging changed" \
  finding "$f" ai_changes.invocation_logging_changed ".principal == \"$ci\" and .source_ips == [\"203.0.113.200\"]"
check "custom model: defense evasion named" \
  finding "$f" infrastructure.defense_evasion ".principal == \"$ci\" and (.severity == \"medium\" or .severity == \"high\")"
check "custom model: the provisioned model is a new model" \
  finding "$f" invocation.new_model '.severity == "medium" and (.summary | contains("provisioned-model/9f2kx7q1m3ab"))'
check "custom model: the role calls models for the first time" \
  finding "$f" invocation.new_principal '.principal == "arn:aws:iam::111122223333:role/MLOpsDeployRole" and .source_ips == ["203.0.113.200"]'
check "custom model: the logging question says yes" \
  jq -e '.questions[] | select(.id == "infrastructure.logging_tampered") | .answer == "yes"' "$tmp/cm.json" >/dev/null
check "custom model: everything at high or above is the session's" \
  bash -c "jq -s -e --arg p '$ci' 'map(select(.severity == \"high\" or .severity == \"critical\")) | length > 0 and all(.[]; .principal == \$p or .principal == \"arn:aws:iam::111122223333:role/MLOpsDeployRole\")' '$f' >/dev/null"
check "custom model: the engineer, the administrator and the chatbot stay at medium or below" \
  jq -s -e 'any(.[]; (.severity == "high" or .severity == "critical") and ((.principal // "") | test("priya|sam@|chat-app"))) | not' "$f" >/dev/null
check "custom model: the Markdown report names the address" grep -q '203.0.113.200' "$tmp/cm.md"
check "custom model: the session's key used from a new network and client is an access finding" \
  jq -s -e 'any(.[]; (.rule | startswith("access.")) and (.severity == "medium" or .severity == "high" or .severity == "critical") and ((.source_ips // []) | index("203.0.113.200") != null))' "$f" >/dev/null
check "custom model: training data from another account's bucket, at high" \
  jq -s -e 'any(.[]; (.severity == "high" or .severity == "critical") and (tostring | contains("s3://ml-datasets-444455556666")))' "$f" >/dev/null
check "custom model: the model copy job is reported" \
  jq -s -e 'any(.[]; (.rule | startswith("access.") | not) and .severity != "info" and .severity != "low" and any(.evidence[]?; .action == "CreateModelCopyJob"))' "$f" >/dev/null
check "custom model: the custom model shared with the outside account, at high" \
  jq -s -e 'any(.[]; (.rule | startswith("access.") | not) and (.severity == "high" or .severity == "critical") and any(.evidence[]?; .action == "CreateResourceShare") and (tostring | contains("444455556666")))' "$f" >/dev/null
check "custom model: logging stopped and invocation logs redirected is high defense evasion" \
  finding "$f" infrastructure.defense_evasion '.severity == "high" and (.summary | contains("PutModelInvocationLoggingConfiguration"))'

echo "scenarios: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
