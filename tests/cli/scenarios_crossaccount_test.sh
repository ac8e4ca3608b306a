#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-account pivot: an organization trail of three accounts (dev, shared-services, prod-ai)
# and prod-ai's invocation logs. A developer's key leaks in dev; the attacker assumes a role in
# prod-ai that trusts dev, chains to a Bedrock admin role, backdoors its trust for an outside
# account, enables a model, runs a proxy on Claude through cross-region inference profiles,
# deletes invocation logging, and the outside account comes back later. Beside it, designed
# cross-account traffic (CI deploys, an inventory job). tests/data/scenarios/cross-account-pivot/
# README.md tells the story (make.py regenerates the fixture, expected.json holds its totals).
# What a responder must see is a check; what aiir does not (yet) show is a known_bug with the
# gap above it. Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
# shellcheck source=scenario_lib.sh
source "${AIIR_ROOT:?set AIIR_ROOT to the source tree}/tests/cli/scenario_lib.sh"
medium_up='(.severity | IN("medium", "high", "critical"))'
high_up='(.severity | IN("high", "critical"))'

d=tests/data/scenarios/cross-account-pivot
exp="$d/expected.json"
for threads in 1 2; do
  "$AIIR" scan -q --threads "$threads" --format jsonl "$d" >"$tmp/x.$threads.jsonl"
done
"$AIIR" scan -q --format json "$d" >"$tmp/x.json"
rc=$?
"$AIIR" scan -q --format md "$d" >"$tmp/x.md"
f="$tmp/x.1.jsonl"
j="$tmp/x.json"

dev=402817365190 shared=518237409661 prod=736254190823 ext=999473261580
leak=AKIAV3DEVMARIA4Q7XK2                                   # maria.lopez's key, leaked
maria="arn:aws:iam::$dev:user/maria.lopez"
vps=203.0.113.45 proxy=198.51.100.23 office=192.0.2.25
sbx="arn:aws:sts::$prod:assumed-role/ml-sandbox-access/maria"   # the attacker's cross-account session
ops="arn:aws:sts::$prod:assumed-role/bedrock-ops-role/ops-maint" # chained from it
sync="arn:aws:sts::$prod:assumed-role/bedrock-ops-role/sync"     # the outside account's session
ops_role="arn:aws:iam::$prod:role/bedrock-ops-role"
k1=ASIAV3PRODSBX1ATK7Q2 k2=ASIAV3PRODOPS1ATK3M8 k3=ASIAV3PRODSBX2ATK5W1 k4=ASIAV3PRODOPS2ATK9D4
app_profile="arn:aws:bedrock:us-east-1:$prod:application-inference-profile/q7m2x9k4v1rz"
# Findings about the attacker's prod-ai sessions: by session or role ARN.
atk_session='(.principal // "" | test("assumed-role/(ml-sandbox-access/maria|bedrock-ops-role/)|role/bedrock-ops-role$"))'

# --- Reading ------------------------------------------------------------------------------------
check "xacct: same findings for 1 and 2 threads" cmp -s "$tmp/x.1.jsonl" "$tmp/x.2.jsonl"
check "xacct: the scan reads everything (exit 0)" test "$rc" -eq 0
check "xacct: every CloudTrail record of the three accounts and every invocation record read" \
  jq -e --slurpfile e "$exp" '.inputs.files_failed == 0 and .coverage.cloudtrail_events == $e[0].cloudtrail_records and .coverage.invocation_records == $e[0].invocation_log_records' "$j" >/dev/null
check "xacct: the three accounts of the organization trail are covered" \
  jq -e --arg a "$dev" --arg b "$shared" --arg c "$prod" '.coverage.accounts | tostring | contains($a) and contains($b) and contains($c)' "$j" >/dev/null

# --- The leaked key in dev ----------------------------------------------------------------------
check "leak: the key from a new address, only the VPS" \
  any_finding "$f" ".rule == \"access.long_term_key_new_ip\" and .severity == \"medium\" and .access_key_id == \"$leak\" and .source_ips == [\"$vps\"]"
check "leak: the key with a new user agent (boto3 on the VPS, not maria's aws-cli)" \
  any_finding "$f" ".rule == \"access.long_term_key_new_user_agent\" and .access_key_id == \"$leak\""
check "leak: the key is a principal of interest, high" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and .severity == \"high\" and (.access_key_id == \"$leak\" or .principal == \"$maria\")"
check "leak: GetCallerIdentity then IAM enumeration with the key" \
  any_finding "$f" ".rule == \"access.recon_then_enumeration\" and .access_key_id == \"$leak\""
check "leak: the key's AssumeRole into prod-ai is reported above low" \
  any_finding "$f" "(.access_key_id == \"$leak\" or .principal == \"$maria\") and $medium_up and (.rule | IN(\"access.principal_of_interest\", \"access.activity_continues\") | not) and any(.evidence[]?; .action == \"AssumeRole\")"
check "leak: maria's office address is never named with the key's findings" \
  no_finding "$f" ".access_key_id == \"$leak\" and (.source_ips // [] | index(\"$office\") != null) and (.rule | IN(\"access.long_term_key_new_ip\", \"access.recon_then_enumeration\"))"

# --- The chain: dev key -> ml-sandbox-access (prod-ai) -> bedrock-ops-role -----------------------
check "chain: the key's AssumeRole finding names the prod-ai session it obtained" \
  any_finding "$f" "(.access_key_id == \"$leak\" or .principal == \"$maria\") and any(.evidence[]?; .action == \"AssumeRole\") and (tostring | contains(\"ml-sandbox-access\"))"
check "chain: the attacker's sandbox session in prod-ai is a principal of interest" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and .principal == \"$sbx\" and $medium_up"
# Was a gap: a session opened with a flagged credential's keys was not itself flagged. It is now
# access.session_from_flagged_credentials (medium; high when the opener's flag is high), on the session
# principal and the key it got, citing both accounts' copies of the AssumeRole, with the chain of
# credentials it came from (followed through role chaining and across accounts).
check "chain: the sandbox session's findings say it came from the leaked dev key" \
  any_finding "$f" ".principal == \"$sbx\" and $medium_up and (tostring | contains(\"$leak\") or contains(\"$maria\"))"
check "chain: the chained bedrock-ops-role session is a principal of interest, high" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and .principal == \"$ops\" and .severity == \"high\""
# Was a gap: as above, for the session the sandbox session opened (role chaining).
check "chain: the chained session's findings say which session assumed it (role chaining)" \
  any_finding "$f" ".principal == \"$ops\" and $medium_up and (tostring | contains(\"ml-sandbox-access/maria\") or contains(\"$k1\") or contains(\"$k3\"))"
# Was a gap: the chain names the key it started from.
check "chain: the chained session's findings lead back to the leaked dev key" \
  any_finding "$f" ".principal == \"$ops\" and $medium_up and (tostring | contains(\"$leak\"))"
check "chain: the sandbox session's AssumeRole of bedrock-ops-role is reported above low" \
  any_finding "$f" ".principal == \"$sbx\" and $medium_up and (.rule | IN(\"access.principal_of_interest\", \"access.activity_continues\") | not) and any(.evidence[]?; .action == \"AssumeRole\")"
check "chain: the principals table has the sandbox and chained sessions with the attacker's addresses" \
  jq -e --arg s "$sbx" --arg o "$ops" --arg v "$vps" --arg p "$proxy" \
  '(any(.principals[]; .principal == $s and any(.source_ips[]; .value == $v))) and (any(.principals[]; .principal == $o and any(.source_ips[]; .value == $v) and any(.source_ips[]; .value == $p)))' "$j" >/dev/null
check "chain: the principals table links the sandbox session to the keys the dev key's AssumeRole returned" \
  jq -e --arg s "$sbx" --arg a "$k1" --arg b "$k3" '[.principals[] | select(.principal == $s) | .access_keys[]?.value] | index($a) != null and index($b) != null' "$j" >/dev/null
check "chain: the unauthorized-scope answer names the key and the VPS" \
  jq -e --arg k "$leak" --arg v "$vps" '.questions[] | select(.id == "access.unauthorized_scope") | .answer == "yes" and (.explanation | contains($k) and contains($v))' "$j" >/dev/null

# --- The trust backdoor and the outside account ---------------------------------------------------
check "backdoor: bedrock-ops-role's trust opened to the outside account, high, and it came in" \
  finding "$f" access.role_trusts_external_account ".severity == \"high\" and .principal == \"$ops\" and (tostring | contains(\"$ext\")) and (.details.external_activity // \"\" | startswith(\"$ext from \"))"
check "backdoor: the outside account's AssumeRole is external activity, high" \
  any_finding "$f" ".rule == \"access.external_account_activity\" and .severity == \"high\" and (tostring | contains(\"$ext\"))"
# Was a gap: the outside account's principal is "AWSAccount:<principal id>" (the record has no ARN); its
# roll-up and session-credentials findings now name the account.
check "backdoor: the outside account's principal of interest names its account" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and (.principal | startswith(\"AWSAccount:\")) and (.summary | contains(\"$ext\"))"
check "backdoor: the organization's own accounts (their logs are here) are not outside accounts" \
  no_finding "$f" ".rule == \"access.external_account_activity\" and (tostring | contains(\"$dev\") or contains(\"$shared\"))"
# Was a gap: the bedrock-ops-role/sync session the outside account opened was not followed; as a
# session opened with flagged credentials it is now flagged, and its activity until 11:47 continues.
check "backdoor: the outside account's session continues to the end of the logs" \
  any_finding "$f" ".rule == \"access.activity_continues\" and (.principal == \"$sync\" or (tostring | contains(\"$ext\")))"
check "backdoor: the principals table says the outside account's session continues to the end" \
  jq -e --arg s "$sync" 'any(.principals[]; .principal == $s and .continues_to_end_of_logs == true)' "$j" >/dev/null
# Was a gap: hence the question said no (the outside account's own last call, the AssumeRole at 10:41,
# is more than an hour before the end).
check "backdoor: the continued-access question says yes" \
  answer_is "$j" access.continued_unauthorized_access yes
check "backdoor: the attacker's sessions that ended at 04:03 are not said to continue" \
  no_finding "$f" ".rule == \"access.activity_continues\" and (.principal == \"$ops\" or .principal == \"$sbx\")"

# --- AI changes: model access, inference profile, logging deleted --------------------------------
check "ai: model access enabled outside the console (Claude Opus 4), high" \
  any_finding "$f" ".rule == \"ai_changes.model_access_enabled_programmatically\" and .severity == \"high\" and $atk_session"
check "ai: the chained session's LLMjacking steps are a chain, high or critical" \
  any_finding "$f" ".rule == \"ai_changes.llmjacking_chain\" and $high_up and ($atk_session or .access_key_id == \"$k2\")"
check "ai: invocation logging deleted, high" \
  any_finding "$f" ".rule == \"ai_changes.invocation_logging_deleted\" and .severity == \"high\" and .principal == \"$ops\" and .region == \"us-east-1\""
check "ai: logging deleted and then models called by the same role, high" \
  any_finding "$f" ".rule == \"ai_changes.logging_disabled_then_invoked\" and .severity == \"high\" and $atk_session"
# Was a gap: CreateInferenceProfile was no finding. It is now the Sigma rule ai_changes.inference_profile_created
# (low): an application inference profile hides the model behind an ARN of the creator's naming and,
# copied from a cross-region profile, is served in other regions.
check "ai: the application inference profile the attacker created is reported" \
  any_finding "$f" "$atk_session and (.severity != \"info\") and any(.evidence[]?; .action == \"CreateInferenceProfile\")"
check "ai: the logging question says yes" \
  answer_is "$j" infrastructure.logging_tampered yes
check "ai: the AI-changes question says yes" \
  answer_is "$j" ai_changes.models_resources yes

# --- Invocations: who, how much, where ------------------------------------------------------------
check "invocation: bedrock-ops-role calls models for the first time, high" \
  any_finding "$f" ".rule == \"invocation.new_principal\" and .severity == \"high\" and $atk_session"
for who in "$ops" "$sync"; do
  check "invocation: tokens of $who in the model usage equal the ground truth (calls in both sources once)" \
    jq -e --slurpfile e "$exp" --arg p "$who" '[.model_usage.rows[] | select(.principal == $p)] as $r | ($e[0].model_calls[$p]) as $t
      | ($r | length) > 0 and ($r | map(.calls) | add) == $t.calls and ($r | map(.tokens_in) | add) == $t.tokens_in and ($r | map(.tokens_out) | add) == $t.tokens_out' "$j" >/dev/null
done
check "invocation: the attacker's calls after the logging deletion are counted from CloudTrail" \
  jq -e --arg p "$ops" '[.model_usage.rows[] | select(.principal == $p)] | (map(.cloudtrail_calls) | add) == 78 and (map(.invocation_log_calls) | add) == 30' "$j" >/dev/null
# Was a gap: a call through an application inference profile (its ARN as the model id) was not priced.
# The invocation analyzer now learns each profile's source (requestParameters.modelSource.copyFrom of a
# successful CreateInferenceProfile) and prices the calls as that model; the usage row names it
# (resolved_model).
check "invocation: every usage row of the attacker's sessions has an estimated cost (profiles resolved to their model)" \
  jq -e '[.model_usage.rows[] | select(.principal | test("bedrock-ops-role"))] | length > 0 and all(.[]; has("estimated_cost_usd"))' "$j" >/dev/null
# Was a gap: as above.
check "invocation: the application inference profile's calls are priced as Claude Opus 4" \
  jq -e --arg m "$app_profile" '[.model_usage.rows[] | select(.model == $m)] | length > 0 and all(.[]; has("estimated_cost_usd") and (.resolved_model // "" | contains("claude-opus-4")))' "$j" >/dev/null
# Was a gap: inferenceRegion was read but not reported. A usage row now lists the regions that served its
# calls (inference_regions) when one differs from the region called, and invocation.new_principal says
# where the calls ran (cross_region_inference).
check "invocation: cross-region inference is stated for the attacker's calls (served in us-east-2 and us-west-2)" \
  jq -e '[.findings[], .model_usage.rows[]] | map(select(tostring | test("bedrock-ops-role"))) | tostring | contains("us-east-2") and contains("us-west-2")' "$j" >/dev/null
check "invocation: the usage rows of the attacker's sessions list the regions that served them" \
  jq -e --arg p "$ops" '[.model_usage.rows[] | select(.principal == $p) | .inference_regions // [] | .[]] as $r | ($r | index("us-east-2")) != null and ($r | index("us-west-2")) != null' "$j" >/dev/null
check "invocation: the Markdown usage table says where the attacker's calls ran" \
  grep -q "served in .*us-east-2" "$tmp/x.md"
check "benign: calls served where they were made are not said to be cross-region (the claims assistant)" \
  jq -e '[.model_usage.rows[] | select(.principal | contains("claims-assistant-task-role"))] | length > 0 and all(.[]; has("inference_regions") | not)' "$j" >/dev/null
check "invocation: the prompts question says yes" \
  answer_is "$j" invocation.prompts yes

# --- Designed traffic: nothing at medium or above --------------------------------------------------
check "benign: the CI role and its deploy sessions stay at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | test(\"codebuild-deploy-service-role|/ci-deploy/|role/ci-deploy$\"))"
check "benign: the inventory Lambda and its reader sessions stay at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | test(\"org-inventory|inventory-reader\"))"
check "benign: no finding at medium or above names shared-services" \
  no_finding "$f" "$medium_up and (tostring | contains(\"$shared\"))"
check "benign: the claims assistant stays at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | contains(\"claims-assistant-task-role\"))"
check "benign: maria's own sandbox session stays at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | contains(\"botocore-session-\"))"
check "benign: at high or above only the attacker's credentials" \
  jq -s -e --arg m "$maria" --arg k "$leak" --arg x "$ext" '[.[] | select(.rule == "access.external_account_activity" and .details.external_account == $x) | .principal] as $outside
    | all(.[] | select(.severity == "high" or .severity == "critical");
    (.principal // "" | test("assumed-role/(ml-sandbox-access/maria|bedrock-ops-role/)|role/bedrock-ops-role$")) or .principal == $m or .access_key_id == $k
    or (.principal as $p | $outside | index($p) != null))' "$f" >/dev/null
# Was a gap: every AssumeRole of the leaked key was counted, also maria's own from her office on 06-08;
# for a long-term key used from new addresses only its calls from those, from the first on, count.
check "benign: maria's own earlier sandbox session (her office, 06-08) is not among the attacker's sessions" \
  no_finding "$f" "(.access_key_id == \"$leak\" or .principal == \"$maria\") and .rule == \"access.session_credentials_by_flagged_principal\" and ((tostring | contains(\"ASIAV3PRODSBXMAR8H1N\")) or (.source_ips // [] | index(\"$office\") != null))"
check "benign: the data-store question does not say yes (no data store was touched)" \
  jq -e '.questions[] | select(.id == "data_store.accessed_or_tampered") | .answer != "yes"' "$j" >/dev/null

# Was a gap: AiPrincipals took a role for an AI application when its sessions called the Bedrock
# runtime, also when every such call came from a person's client: ml-sandbox-access (developers trying
# models with the AWS CLI) was an "AI application". Runtime calls made with the AWS CLI (like console
# ones) no longer count, nor do their copies in the invocation logs.
check "agency: the developers' sandbox role (models tried with the AWS CLI) is not taken for an AI application" \
  no_finding "$f" ".element == \"agency\" and (.principal // \"\" | contains(\"ml-sandbox-access\"))"
check "agency: the agency answers do not name the sandbox role as an AI application" \
  jq -e '[.questions[] | select(.element == "agency") | .explanation] | all(contains("ml-sandbox-access") | not)' "$j" >/dev/null
# Gap: bedrock-ops-role is still taken for an AI application (the attacker's proxy called models
# through it, with an SDK-like client), so agency.iam_change_by_ai (high) blames an AI application for
# the UpdateAssumeRolePolicy that the chained session made from the VPS with boto3; the finding is on
# the attacker's role, but the agency answer reads as if the AI application had changed IAM.
known_bug "agency: the attacker's role is not taken for an AI application" \
  no_finding "$f" ".element == \"agency\" and (.severity != \"info\") and (.principal // \"\" | contains(\"bedrock-ops-role\"))"

# --- The report ---------------------------------------------------------------------------------------
check "report: the Markdown has the questions table" grep -q "^## The methodology's questions" "$tmp/x.md"
check "report: the Markdown names the leaked key, both addresses and the outside account" \
  bash -c "grep -q '$leak' '$tmp/x.md' && grep -q '$vps' '$tmp/x.md' && grep -q '$proxy' '$tmp/x.md' && grep -q '$ext' '$tmp/x.md'"
check "report: the Markdown's principals table has the chained session" grep -q "bedrock-ops-role/ops-maint" "$tmp/x.md"
check "report: every finding cites each record once" \
  jq -s -e 'all(.[]; (.evidence // []) | map("\(.file):\(.record)") | length == (unique | length))' "$f" >/dev/null
check "report: nothing from the logs is live in the Markdown" md_inert "$tmp/x.md"

echo "scenarios_crossaccount: $pass passed, $fail failed, $known known bugs"
[ "$fail" -eq 0 ]
