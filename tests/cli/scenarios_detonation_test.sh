#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Detonation captures: CloudTrail exactly as AWS records it when offensive tooling runs
# (Stratus Red Team techniques, Pacu modules, an aws-cli on Kali, an LLMjacking proxy), next
# to a production account's ordinary day. tests/data/scenarios/detonation-captures/README.md
# tells the story; make.py there regenerates the fixture. What a responder must see is a
# check; what aiir does not (yet) show is a known_bug with the gap above it.
# Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
# shellcheck source=scenario_lib.sh
source "${AIIR_ROOT:?set AIIR_ROOT to the source tree}/tests/cli/scenario_lib.sh"
# Roll-ups repeat what other findings say; "a rule reports X" means one that is not a roll-up.
not_rollup='(.rule | IN("access.principal_of_interest", "access.activity_continues") | not)'
# A finding about the event itself: not one about the credential (its user agent, address, regions
# or roll-up, which list every call it made) and not a count of calls (bursts, first region use).
specific='(.rule | IN("access.principal_of_interest", "access.activity_continues", "access.offensive_platform_user_agent", "access.long_term_key_new_ip", "access.long_term_key_new_user_agent", "access.long_term_key_concurrent_networks", "access.principal_new_regions", "access.enumeration_burst", "access.access_denied_burst", "access.recon_then_enumeration", "access.session_credentials_used_elsewhere", "access.compute_credentials_used_elsewhere", "access.session_credentials_by_flagged_principal", "infrastructure.mutation_burst", "infrastructure.first_region_use", "infrastructure.change_by_non_admin", "agency.new_action_after_baseline") | not)'
medium_up='(.severity | IN("medium", "high", "critical"))'

d=tests/data/scenarios/detonation-captures
for threads in 1 2; do
  "$AIIR" scan -q --threads "$threads" --format jsonl "$d" >"$tmp/det.$threads.jsonl"
done
start=$(date +%s%N)
"$AIIR" scan -q --format json "$d" >"$tmp/det.json"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
"$AIIR" scan -q --format md "$d" >"$tmp/det.md"
f="$tmp/det.1.jsonl"
records=$(find "$d" -name '*.json.gz' -exec gzip -dc {} + | jq -s 'map(.Records | length) | add')

acct=210987654321
leak=AKIA5ML7BATCHQ2ZK4WX                      # svc-ml-batch's key, leaked
batch="arn:aws:iam::$acct:user/svc-ml-batch"
inst_key=ASIA5RAGINST3J8K9L0M                  # the RAG worker's instance-role key, stolen over SSM
backdoor_key=AKIA5CIBKDR9X4T7M2LE              # made for ci-deployer by the attacker
ops_key=AKIA5OPSNEW6W2R8K3ZD                   # the attacker's admin user aws-cloud-ops
ops="arn:aws:iam::$acct:user/aws-cloud-ops"
ext=908027385716                               # the attacker's account
kali=203.0.113.77 proxy=198.51.100.19
dana="arn:aws:sts::$acct:assumed-role/AWSReservedSSO_PurpleTeam_4c1d2e3f5a6b7c8d/dana@example.com"
probe_id=7d3f9a2e-5b1c-4e8a-9f6d-2c4b8a1e3f57   # InvokeModel anthropic.claude-v2, max_tokens_to_sample

check "detonation: same findings for 1 and 2 threads" cmp -s "$tmp/det.1.jsonl" "$tmp/det.2.jsonl"
"$AIIR" scan -q --threads 1 --format json "$d" | jq 'del(.generated_at, .command)' >"$tmp/det.t1.json"
"$AIIR" scan -q --threads 2 --format json "$d" | jq 'del(.generated_at, .command)' >"$tmp/det.t2.json"
check "detonation: same JSON report for 1 and 2 threads" cmp -s "$tmp/det.t1.json" "$tmp/det.t2.json"
check "detonation: the scan reads everything (exit 0)" test "$rc" -eq 0
check "detonation: every record of the three regions read, make.py and the README left aside" \
  jq -e --argjson n "$records" '.inputs.files_failed == 0 and .coverage.cloudtrail_events == $n and .coverage.regions == ["eu-west-1", "us-east-1", "us-west-2"]' "$tmp/det.json" >/dev/null
check "detonation: a few hundred records take well under three seconds" test "$elapsed_ms" -lt 3000

# --- The purple team's Stratus Red Team run (us-west-2, 07:58-08:45) ---------------------
check "stratus: the user agent names Stratus Red Team for the detonating session" \
  any_finding "$f" ".rule == \"access.offensive_platform_user_agent\" and .principal == \"$dana\""
check "stratus: and for the role the get-password-data technique assumed" \
  any_finding "$f" '.rule == "access.offensive_platform_user_agent" and (.principal // "" | contains("stratus-red-team-get-password-data-role"))'
check "stratus: cloudtrail-event-selectors (management events excluded), high" \
  any_finding "$f" ".rule == \"infrastructure.cloudtrail_event_selectors_reduced\" and .severity == \"high\" and .principal == \"$dana\" and .region == \"us-west-2\""
check "stratus: vpc-remove-flow-logs" \
  any_finding "$f" ".rule == \"infrastructure.network_logs_deleted\" and .principal == \"$dana\""
check "stratus: secretsmanager-batch-retrieve-secrets (BatchGetSecretValue by tag filter)" \
  any_finding "$f" ".rule == \"private_data.secrets_batch_retrieved_by_filter\" and .severity == \"medium\" and .principal == \"$dana\""
check "stratus: ec2-get-password-data, 30 denied calls, is a denial burst of the technique's role" \
  any_finding "$f" '.rule == "access.access_denied_burst" and .severity == "medium" and (.principal // "" | contains("stratus-red-team-get-password-data-role"))'
check "stratus: a finding says what was denied (GetPasswordData: Windows password harvesting)" \
  any_finding "$f" "$not_rollup and $medium_up and ((.summary // \"\") + (.details | tostring) | contains(\"GetPasswordData\"))"
check "stratus: ec2-share-ebs-snapshot" \
  any_finding "$f" ".rule == \"data_store.snapshot_shared_with_account\" and .principal == \"$dana\""
check "stratus: bedrock-invoke-model's model enablement outside the console, high" \
  any_finding "$f" ".rule == \"ai_changes.model_access_enabled_programmatically\" and .severity == \"high\" and .principal == \"$dana\""
check "stratus: the detonating session calls a model for the first time" \
  any_finding "$f" ".rule == \"invocation.new_principal\" and .principal == \"$dana\""
check "stratus: two strong logging actions make high defense evasion" \
  any_finding "$f" ".rule == \"infrastructure.defense_evasion\" and .severity == \"high\" and .principal == \"$dana\""
check "stratus: the detonating session is a principal of interest" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and .principal == \"$dana\" and $medium_up"
check "stratus: the warm-up bucket policy for the CloudTrail service is not a public policy" \
  no_finding "$f" '.rule == "data_store.s3_bucket_policy_public"'

# --- The leaked key of svc-ml-batch: validation, Pacu, privilege escalation ----------------
check "leak: the key from a new address, only the attacker's" \
  any_finding "$f" ".rule == \"access.long_term_key_new_ip\" and .severity == \"medium\" and .access_key_id == \"$leak\" and .source_ips == [\"$kali\"]"
check "leak: the key with new user agents" \
  any_finding "$f" ".rule == \"access.long_term_key_new_user_agent\" and .access_key_id == \"$leak\""
check "leak: the aws-cli on Kali is an offensive platform" \
  any_finding "$f" ".rule == \"access.offensive_platform_user_agent\" and .severity == \"medium\" and (.access_key_id == \"$leak\" or .principal == \"$batch\")"
check "leak: GetCallerIdentity then Pacu's enumeration, medium" \
  any_finding "$f" ".rule == \"access.recon_then_enumeration\" and .severity == \"medium\" and .access_key_id == \"$leak\""
check "leak: the enumeration burst, medium" \
  any_finding "$f" ".rule == \"access.enumeration_burst\" and .severity == \"medium\" and .access_key_id == \"$leak\""
check "leak: Pacu's denied calls before the escalation" \
  any_finding "$f" ".rule == \"access.access_denied_burst\" and .access_key_id == \"$leak\""
check "leak: the key in regions it never used" \
  any_finding "$f" ".rule == \"access.principal_new_regions\" and .principal == \"$batch\""
check "leak: eu-west-1, never used by the account, first used" \
  any_finding "$f" '.rule == "infrastructure.first_region_use" and .region == "eu-west-1"'
check "leak: AdministratorAccess attached (to itself, then to the new user)" \
  any_finding "$f" ".rule == \"access.admin_policy_attached\" and .principal == \"$batch\" and .count >= 2"
check "leak: the IAM user aws-cloud-ops created" \
  any_finding "$f" ".rule == \"access.iam_user_created\" and .principal == \"$batch\" and (tostring | contains(\"aws-cloud-ops\"))"
check "leak: a console password set for it, and only that one (the admin's new hire must reset)" \
  finding "$f" access.login_profile_set_for_other_user ".principal == \"$batch\" and .severity == \"medium\""
check "leak: the new user signs in from the attacker's address" \
  any_finding "$f" ".rule == \"access.login_profile_then_login\" and .severity == \"high\" and (tostring | contains(\"aws-cloud-ops\")) and (.source_ips // [] | index(\"$kali\") != null)"
check "leak: its console sign-in without MFA" \
  any_finding "$f" ".rule == \"access.console_login_without_mfa\" and .principal == \"$ops\""
check "leak: keys created for other users (ci-deployer, aws-cloud-ops)" \
  any_finding "$f" ".rule == \"access.access_key_created_for_other_user\" and .principal == \"$batch\""
check "leak: ci-deployer's backdoor key used from the creator's address, high" \
  any_finding "$f" ".rule == \"access.created_key_used\" and .severity == \"high\" and .access_key_id == \"$backdoor_key\" and (.source_ips | index(\"$kali\") != null)"
check "leak: the new admin's key used" \
  any_finding "$f" ".rule == \"access.created_key_used\" and .access_key_id == \"$ops_key\" and $medium_up"
check "leak: BedrockBatchInferenceRole's trust opened to the attacker's account, who came in" \
  any_finding "$f" ".rule == \"access.role_trusts_external_account\" and .severity == \"high\" and (.details.external_activity // \"\" | startswith(\"$ext from \"))"
check "leak: the outside account assumed the role" \
  any_finding "$f" ".rule == \"access.external_account_activity\" and .severity == \"high\" and (tostring | contains(\"$ext\"))"
# Was a gap: IAM Roles Anywhere now has Sigma rules. CreateTrustAnchor on the attacker's own CA
# (source.sourceData.x509CertificateData) is access.roles_anywhere_trust_anchor_changed (medium);
# CreateProfile is access.roles_anywhere_profile_changed and the CreateRole trusting
# rolesanywhere.amazonaws.com access.role_trusts_roles_anywhere (both low; the profile's role has an
# innocuous name, so access.roles_anywhere_profile_admin_role does not fire). Any holder of a
# certificate from that CA gets admin credentials without an access key: delete anchor and profile.
check "leak: rolesanywhere-create-trust-anchor (an outside CA may now get role credentials), above low" \
  any_finding "$f" "$specific and $medium_up and any(.evidence[]?; .action == \"CreateTrustAnchor\" or .action == \"CreateProfile\")"
check "leak: the leaked key is a principal of interest, high" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and .severity == \"high\" and .access_key_id == \"$leak\""
check "leak: the backdoor key still active at the end of the logs" \
  any_finding "$f" ".rule == \"access.activity_continues\" and (.access_key_id == \"$backdoor_key\" or (.principal // \"\" | endswith(\"user/ci-deployer\")))"
check "leak: the attacker's admin user still active at the end of the logs" \
  any_finding "$f" ".rule == \"access.activity_continues\" and (.access_key_id == \"$ops_key\" or .principal == \"$ops\")"
check "leak: the key the administrator deactivated at 15:32 is not said to continue" \
  no_finding "$f" ".rule == \"access.activity_continues\" and .access_key_id == \"$leak\""
check "leak: the principals table says the backdoor key continues to the end" \
  jq -e --arg k "$backdoor_key" 'any(.principals[]; .access_key_id == $k and .continues_to_end_of_logs == true)' "$tmp/det.json" >/dev/null
check "leak: the continued-access question says yes" \
  answer_is "$tmp/det.json" access.continued_unauthorized_access yes

# --- Defense evasion and execution by the leaked key ---------------------------------------
check "evasion: cloudtrail-stop on the trail these logs come from, high" \
  any_finding "$f" ".rule == \"infrastructure.cloudtrail_logging_stopped\" and .severity == \"high\" and .principal == \"$batch\" and .region == \"us-east-1\" and .source_ips == [\"$kali\"]"
check "evasion: Pacu's detection__disruption removed the production flow log" \
  any_finding "$f" ".rule == \"infrastructure.network_logs_deleted\" and .principal == \"$batch\""
check "evasion: trail stopped, flow logs and invocation logging deleted: high defense evasion" \
  any_finding "$f" ".rule == \"infrastructure.defense_evasion\" and .severity == \"high\" and .principal == \"$batch\" and (.summary | contains(\"StopLogging\"))"
# Was a gap: PutBucketLifecycle on aws-cloudtrail-logs-210987654321-3f9a1c2e (rule ID
# "nuke-cloudtrail-logs-after-1-day", Expiration.Days 1) is the Sigma rule
# infrastructure.cloudtrail_log_bucket_short_expiration (high: an enabled expiration of 7 days or
# fewer on a bucket named as a CloudTrail log bucket; longer ones are
# infrastructure.cloudtrail_log_bucket_expiration_set, medium). The logging question lists it
# (infrastructure.cloudtrail_*); the defense_evasion analyzer still does not count it.
check "evasion: cloudtrail-lifecycle-rule (trail bucket objects expire after 1 day), above low" \
  any_finding "$f" "$specific and $medium_up and any(.evidence[]?; .action == \"PutBucketLifecycle\")"
# Was a gap: the span the trail was off (StopLogging to alice's StartLogging) is now stated in the
# defense-evasion finding and the logging answer.
check "evasion: the blind window is stated: logging off from StopLogging until the administrator's StartLogging" \
  jq -e '([.findings[] | select(any(.evidence[]?; .action == "StopLogging"))] | any(tostring | test("StartLogging|14:06"))) or (.coverage.notes // [] | tostring | test("StopLogging|not logging|logging was (off|stopped)"; "i"))' "$tmp/det.json" >/dev/null
# Was a gap: ssm:SendCommand (AWS-RunShellScript, parameters HIDDEN_DUE_TO_SECURITY_REASONS) to the
# RAG worker i-0f3c8a6b2d1e4f507 by the leaked key from 203.0.113.77 is the Sigma rule
# infrastructure.ssm_shell_command_sent (medium: shell documents only, not AWS-RunPatchBaseline and
# the like). It is how the instance-role key left the instance; three minutes later that key is
# used from Kali.
check "evasion: the SSM SendCommand that read the instance's credentials, above low" \
  any_finding "$f" "$specific and $medium_up and any(.evidence[]?; .action == \"SendCommand\")"
check "execution: ec2-user-data (stop, new user data, start)" \
  any_finding "$f" ".rule == \"infrastructure.instance_user_data_modified\" and .severity == \"medium\" and .principal == \"$batch\""
check "persistence: lambda-backdoor-function (invocable by anyone)" \
  any_finding "$f" ".rule == \"infrastructure.lambda_permission_public\" and .principal == \"$batch\""
# Was a gap: infrastructure.account_left_organization skips failed calls; the LeaveOrganization
# denied by an SCP (AccessDeniedException, "explicit deny in a service control policy") is the Sigma
# rule infrastructure.leave_organization_attempted (medium, failed calls only). An attempt to take
# the account out of the organization's SCPs and central logging is intent the responder must see
# (and check the SCP still holds).
check "evasion: the denied attempt to leave the organization is reported" \
  any_finding "$f" "$specific and (.severity != \"info\") and any(.evidence[]?; .action == \"LeaveOrganization\")"
check "evasion: the logging question says yes" \
  answer_is "$tmp/det.json" infrastructure.logging_tampered yes

# --- AI changes by the leaked key -----------------------------------------------------------
check "ai: bedrock-model-invocation-logging-delete, high" \
  any_finding "$f" ".rule == \"ai_changes.invocation_logging_deleted\" and .severity == \"high\" and .principal == \"$batch\""
check "ai: bedrock-guardrail-delete, high" \
  any_finding "$f" ".rule == \"ai_changes.guardrail_deleted\" and .severity == \"high\" and .principal == \"$batch\""
check "ai: the LLMjacking steps of the leaked key (recon, logging check, probe, logging deleted)" \
  any_finding "$f" ".rule == \"ai_changes.llmjacking_chain\" and .access_key_id == \"$leak\" and (.severity == \"high\" or .severity == \"critical\")"
check "ai: the logging configuration read with a long-term key" \
  any_finding "$f" ".rule == \"ai_changes.invocation_logging_checked_with_long_term_key\" and .access_key_id == \"$leak\""
check "ai: the max_tokens_to_sample probe" cites "$f" invocation.max_tokens_probe "$probe_id" medium
check "ai: the probes in two regions are repeated probe errors" \
  any_finding "$f" ".rule == \"invocation.probe_errors\" and .principal == \"$batch\""
check "ai: the AI-changes question says yes" \
  answer_is "$tmp/det.json" ai_changes.models_resources yes

# --- The instance-role credentials stolen over SSM (ec2-steal-instance-credentials) ---------
check "instance: the instance-role key used from two outside networks, high" \
  any_finding "$f" ".rule == \"access.compute_credentials_used_elsewhere\" and .severity == \"high\" and .access_key_id == \"$inst_key\" and (.source_ips | index(\"$kali\") != null and index(\"$proxy\") != null)"
check "instance: the proxy's python-urllib3 on Bedrock is an LLMjacking client" \
  any_finding "$f" ".rule == \"access.llmjacking_tool_user_agent\" and (.source_ips // [] | index(\"$proxy\") != null)"
check "instance: the stolen key's logging check, recon and burst are a chain" \
  any_finding "$f" '.rule == "ai_changes.llmjacking_chain" and (.principal // "" | contains("rag-ingest-instance-role")) and (.severity == "high" or .severity == "critical")'
check "instance: the burst on the worker's role" \
  any_finding "$f" '.rule == "invocation.volume_burst" and (.principal // "" | contains("rag-ingest-instance-role"))'
check "instance: Claude 3.5 Sonnet is a new model" \
  any_finding "$f" '.rule == "invocation.new_model" and .severity == "medium" and (tostring | contains("claude-3-5-sonnet"))'
check "instance: us-west-2 is a new model region" \
  any_finding "$f" '.rule == "invocation.new_region" and .region == "us-west-2"'
check "instance: the role assumed from outside calls models for the first time" \
  any_finding "$f" '.rule == "invocation.new_principal" and (.principal // "" | contains("role/BedrockBatchInferenceRole"))'
check "instance: the stolen key is a principal of interest, high" \
  any_finding "$f" ".rule == \"access.principal_of_interest\" and .severity == \"high\" and .access_key_id == \"$inst_key\""

# --- Secrets and exfiltration ----------------------------------------------------------------
check "data: Pacu's secrets__enum read 11 secrets in an hour" \
  any_finding "$f" ".rule == \"private_data.secret_retrieval_burst\" and .principal == \"$batch\" and $medium_up"
check "data: rds-share-snapshot with the attacker's account, high" \
  any_finding "$f" ".rule == \"private_data.snapshot_shared_external\" and .severity == \"high\" and (tostring | contains(\"$ext\"))"
check "data: ec2-share-ebs-snapshot of the vector store's volume" \
  any_finding "$f" ".rule == \"data_store.snapshot_shared_with_account\" and .principal == \"$batch\" and any(.evidence[]; .action == \"ModifySnapshotAttribute\")"
# Was a gap: Sigma findings on snapshot and image shares now name the snapshot (snapshotId) and the
# recipients (shared_with: createVolumePermission/launchPermission add items).
check "data: the EBS snapshot shares name the account they were shared with" \
  bash -c "jq -s -e 'any(.[]; .rule == \"data_store.snapshot_shared_with_account\" and (.principal | endswith(\"user/svc-ml-batch\")) and (tostring | contains(\"$ext\"))) and any(.[]; .rule == \"data_store.snapshot_shared_with_account\" and (.principal | contains(\"PurpleTeam\")) and (tostring | contains(\"012345678912\")))' '$f' >/dev/null"
# Was a gap: a bucket policy granting another account (Principal.AWS naming 908027385716) is
# private_data.bucket_shared_external (high).
check "data: s3-backdoor-bucket-policy (the knowledge-base bucket readable by the attacker's account), above low" \
  any_finding "$f" "$specific and $medium_up and any(.evidence[]?; .action == \"PutBucketPolicy\") and (tostring | contains(\"$ext\"))"
check "data: the data-store question says yes" \
  answer_is "$tmp/det.json" data_store.accessed_or_tampered yes
check "data: the private-data question says yes" \
  answer_is "$tmp/det.json" private_data.accessed yes

# --- Near misses: the account's ordinary day --------------------------------------------------
# Was a gap: alice's Bedrock console visit (settings, catalogue, Cohere Embed enabled, all with
# console credentials) made an LLMjacking chain at high; a chain made entirely in the console is low.
check "benign: the administrator (console, SSO) stays at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | contains(\"alice@example.com\"))"
check "benign: the GitHub Actions deploy role stays at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | contains(\"GitHubActionsDeployRole\"))"
check "benign: the chat application stays at low or below" \
  no_finding "$f" "$medium_up and (.principal // \"\" | contains(\"chat-app-task-role\"))"
check "benign: service-linked roles and AWS services are not flagged" \
  no_finding "$f" '(.severity != "info") and (.principal // "" | test("AWSServiceRole|amazonaws\\.com$"))'
check "benign: nothing of the quiet night (before 06:00) above low" \
  no_finding "$f" "$medium_up and (.last_seen // \"9\") < \"2026-05-12T06:00:00Z\""
check "benign: the administrator's ingress from 10.20.0.0/16 is not opened to the internet" \
  no_finding "$f" '.rule == "infrastructure.security_group_opened_to_internet"'
check "benign: the nightly job's own address is never named with the leaked key" \
  no_finding "$f" ".access_key_id == \"$leak\" and (.source_ips // [] | index(\"192.0.2.44\") != null) and (.rule | IN(\"access.long_term_key_new_ip\", \"access.offensive_platform_user_agent\"))"
check "benign: at high or above only the attacker's credentials and the detonations" \
  jq -s -e 'all(.[] | select(.severity == "high" or .severity == "critical"); (.principal // "" | test("svc-ml-batch|rag-ingest-instance-role|BedrockBatchInferenceRole|aws-cloud-ops|ci-deployer|PurpleTeam|stratus-red-team|^AWSAccount:")) or ((.source_ips // []) | length > 0 and all(.[]; IN("203.0.113.77", "198.51.100.19"))))' "$f" >/dev/null

# --- Findings that are there but mislead ------------------------------------------------------
# Was a gap: a person's Identity Center permission-set role (AWSReservedSSO_PurpleTeam_*) that
# made one InvokeModel was taken for an AI application; such roles and console sessions no longer are.
check "agency: a person's Identity Center session is not taken for an AI application" \
  no_finding "$f" '.element == "agency" and (.principal // "" | contains("AWSReservedSSO_"))'
# Was a gap: invocation.volume_burst named the role's first key and all its addresses; it now names
# the key and addresses of the burst windows' own calls.
check "instance: the burst names the stolen key and only the proxy's address" \
  any_finding "$f" ".rule == \"invocation.volume_burst\" and .access_key_id == \"$inst_key\" and .source_ips == [\"$proxy\"]"
# Was a gap: the instance's session name is shared by its later keys, so the stolen key was said to
# be active at the end; a flagged temporary key's span is now its own uses'.
check "instance: the stolen instance key is not said to be active at the end" \
  no_finding "$f" ".rule == \"access.activity_continues\" and .access_key_id == \"$inst_key\""
# Was a gap: overlapping burst windows and two roles of one finding cited a record twice; a
# finding now cites each record once (Finding::finalize, and the burst windows share buckets).
check "report: every finding cites each record once" \
  jq -s -e 'all(.[]; (.evidence // []) | map("\(.file):\(.record)") | length == (unique | length))' "$f" >/dev/null
# Was a gap: access.session_credentials_by_flagged_principal named no address; it names its calls'.
check "access: the outside account's findings name the address it came from" \
  jq -s -e --arg ip "$proxy" 'all(.[] | select(.principal // "" | startswith("AWSAccount:")); (.source_ips // []) | index($ip) != null)' "$f" >/dev/null
# Was a gap: only RunInstances-like calls counted; a stopped instance started again (after new user
# data) is now named in the compute answer.
check "infrastructure: the compute question does not say no compute was started" \
  jq -e '.questions[] | select(.id == "infrastructure.compute_launched") | .explanation | test("no compute was started") | not' "$tmp/det.json" >/dev/null

# --- The report -------------------------------------------------------------------------------
check "report: the Markdown names the leaked key, the stolen key and both addresses" \
  bash -c "grep -q '$leak' '$tmp/det.md' && grep -q '$inst_key' '$tmp/det.md' && grep -q '$kali' '$tmp/det.md' && grep -q '$proxy' '$tmp/det.md'"
check "report: the backdoor key is in the Markdown" grep -q "$backdoor_key" "$tmp/det.md"
check "report: nothing from the logs is live in the Markdown" md_inert "$tmp/det.md"

echo "scenarios_detonation: $pass passed, $fail failed, $known known bugs"
[ "$fail" -eq 0 ]
