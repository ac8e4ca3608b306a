#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerate the cross-account-pivot fixture (README.md tells the story).

Deterministic: a fixed seed, no clock, gzip with mtime 0. Run from anywhere:
    python3 tests/data/scenarios/cross-account-pivot/make.py
It replaces org-cloudtrail/, prod-ai-bedrock-logs/ and expected.json next to this script.

- org-cloudtrail/AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz: the
  organization trail of three member accounts, one `{"Records":[...]}` file per account,
  region and hour, records in a file not in time order.
- prod-ai-bedrock-logs/AWSLogs/<prod-ai>/BedrockModelInvocationLogs/us-east-1/YYYY/MM/DD/HH/:
  prod-ai's model-invocation logs (JSON Lines, gzip), until the attacker deleted the
  logging configuration.
- expected.json: counts and token totals the test compares with (the ground truth).
"""
import base64
import datetime as dt
import gzip
import json
import os
import random
import shutil
import string
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ORG = "o-7k2m9x4q1z"
DEV = "402817365190"      # dev
SHARED = "518237409661"   # shared-services (CI, inventory)
PROD = "736254190823"     # prod-ai (the claims assistant, Bedrock)
EXT = "999473261580"      # the attacker's own account (not in the organization)
ACCOUNTS = {DEV: "dev", SHARED: "shared-services", PROD: "prod-ai"}
rng = random.Random(20260609)

BEGIN = dt.datetime(2026, 6, 8, 6, 0, 0, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 6, 9, 12, 0, 0, tzinfo=dt.timezone.utc)

# Addresses.
OFFICE = "192.0.2.25"        # the company's office egress (maria)
VPS = "203.0.113.45"         # the attacker's VPS (boto3 scripts)
PROXY = "198.51.100.23"      # the attacker's LLM reverse proxy (axios)
CODEBUILD = "34.228.4.208"   # shared-services CodeBuild egress
LAMBDA_IP = "3.236.17.140"   # shared-services Lambda egress (org inventory)
CHAT_NAT = "44.210.63.9"     # prod-ai NAT gateway (the claims assistant on ECS)

# Keys and ids (20 / 21 characters).
MARIA_KEY = "AKIAV3DEVMARIA4Q7XK2"      # maria.lopez's long-term key: the leaked one
MARIA_ID = "AIDAV3DEVMARIA9K2LQ7P"
MARIA_SBX = "ASIAV3PRODSBXMAR8H1N"      # maria's own sandbox session (baseline)
K1 = "ASIAV3PRODSBX1ATK7Q2"             # attacker: ml-sandbox-access, 1st
K2 = "ASIAV3PRODOPS1ATK3M8"             # attacker: bedrock-ops-role (chained), 1st
K3 = "ASIAV3PRODSBX2ATK5W1"             # attacker: ml-sandbox-access, 2nd
K4 = "ASIAV3PRODOPS2ATK9D4"             # attacker: bedrock-ops-role (chained), 2nd
K5 = "ASIAV3PRODOPSEXT6R2J"             # the outside account's session of bedrock-ops-role
EXT_USER_ID = "AIDA6EXTOPS2J8K4M1QZ7"
for k in (MARIA_KEY, MARIA_SBX, K1, K2, K3, K4, K5):
    assert len(k) == 20, k
for p in (MARIA_ID, EXT_USER_ID):
    assert len(p) == 21, p

SBX_ROLE, SBX_ROLE_ID = "ml-sandbox-access", "AROAV3PRODSBXROLE7K2M"
OPS_ROLE, OPS_ROLE_ID = "bedrock-ops-role", "AROAV3PRODOPSROLE4N8Q"
CHAT_ROLE, CHAT_ROLE_ID = "claims-assistant-task-role", "AROAV3PRODCHATTSK2P9L"
CI_ROLE, CI_ROLE_ID = "codebuild-deploy-service-role", "AROAV3SHRDCBDPLY5T1WQ"
CI_DEPLOY, CI_DEPLOY_DEV_ID, CI_DEPLOY_PROD_ID = "ci-deploy", "AROAV3DEVCIDEPLOY8R3Z", "AROAV3PRODCIDPLY6J4VX"
INV_ROLE, INV_ROLE_ID = "org-inventory-lambda", "AROAV3SHRDINVLMB3X7CK"
INV_READER, INV_DEV_ID, INV_PROD_ID = "inventory-reader", "AROAV3DEVINVREAD1M5BT", "AROAV3PRODINVRDR9Q2FH"
for r in (SBX_ROLE_ID, OPS_ROLE_ID, CHAT_ROLE_ID, CI_ROLE_ID, CI_DEPLOY_DEV_ID, CI_DEPLOY_PROD_ID, INV_ROLE_ID,
          INV_DEV_ID, INV_PROD_ID):
    assert len(r) == 21, r

# Models.
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"
SONNET4_PROFILE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OPUS4 = "anthropic.claude-opus-4-20250514-v1:0"
OPUS4_SYSTEM_PROFILE = f"arn:aws:bedrock:us-east-1:{PROD}:inference-profile/us.{OPUS4}"
APP_PROFILE = f"arn:aws:bedrock:us-east-1:{PROD}:application-inference-profile/q7m2x9k4v1rz"

# User agents.
UA_MARIA = ("aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 "
            "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#{}")
UA_VPS = ("Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.15.0-112-generic md/arch#x86_64 "
          "lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.131")
UA_PROXY = "axios/1.7.4"
UA_EXT = ("Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 "
          "lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36")
UA_CODEBUILD = ("aws-cli/2.17.51 md/awscrt#0.21.5 ua/2.0 os/linux#5.10.224-212.876.amzn2.x86_64 md/arch#x86_64 "
                "lang/python#3.11.9 md/pyimpl#CPython exe/x86_64.amzn.2 cfg/retry-mode#standard md/installer#docker "
                "md/distrib#amzn.2 md/prompt#off md/command#{}")
UA_INV = ("Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.224-235.876.amzn2.x86_64 md/arch#x86_64 "
          "lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy "
          "Botocore/1.34.145")
UA_CHAT = ("Boto3/1.34.140 md/Botocore#1.34.140 ua/2.0 os/linux#5.10.223-211.872.amzn2.x86_64 md/arch#x86_64 "
           "lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#standard "
           "Botocore/1.34.140")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day, hhmmss):
    return dt.datetime.strptime(f"2026-06-{day:02d}T{hhmmss}Z", "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)


def plus(t, seconds):
    return t + dt.timedelta(seconds=seconds)


def sts_date(t):
    """STS writes the expiration in responseElements as 'Jun 9, 2026, 2:54:30 AM'."""
    h = t.hour % 12 or 12
    return f"{t.strftime('%b')} {t.day}, {t.year}, {h}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


def new_uuid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rand_chars(n, alphabet=string.ascii_uppercase + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


def session_token():
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(bytes(rng.getrandbits(8) for _ in range(90))).decode()


def temp_key(tag):
    return ("ASIAV3" + tag + rand_chars(20))[:20]


# ---------------------------------------------------------------------------------------------
# Identities


def iam_user(acct, name, principal_id, key):
    return {"type": "IAMUser", "principalId": principal_id, "arn": f"arn:aws:iam::{acct}:user/{name}",
            "accountId": acct, "accessKeyId": key, "userName": name}


def role_session(acct, role, role_id, session, key, created):
    return {"type": "AssumedRole", "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{session}", "accountId": acct, "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id,
                                                 "arn": f"arn:aws:iam::{acct}:role/{role}", "accountId": acct,
                                                 "userName": role},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": iso(created), "mfaAuthenticated": "false"}}}


def aws_account(caller_acct, principal_id):
    """The target account's copy of a cross-account call: the caller as an account."""
    return {"type": "AWSAccount", "principalId": principal_id, "accountId": caller_acct}


# ---------------------------------------------------------------------------------------------
# CloudTrail records

RECORDS = []
READ_PREFIXES = ("Get", "List", "Describe", "Invoke", "Converse", "Filter")
VERSIONS = {"iam": "1.09", "sts": "1.08", "bedrock": "1.10", "s3": "1.10", "lambda": "1.08", "ec2": "1.10",
            "cloudformation": "1.08", "ecs": "1.08", "logs": "1.08", "ecr": "1.08"}


def host(source, region, name):
    svc = source.split(".")[0]
    if svc == "iam":
        return "iam.amazonaws.com"
    if svc == "sts":
        return "sts.amazonaws.com"
    if svc == "bedrock" and (name.startswith("Invoke") or name.startswith("Converse")):
        return f"bedrock-runtime.{region}.amazonaws.com"
    if svc == "s3":
        return f"s3.{region}.amazonaws.com"
    return f"{svc}.{region}.amazonaws.com"


def ev(t, acct, region, source, name, ident, ip, ua, req=None, resp=None, *, err=None, msg=None, rid=None,
       resources=None, add=None, shared=None, ro=None):
    svc = source.split(".")[0]
    r = {"eventVersion": VERSIONS.get(svc, "1.09"), "userIdentity": ident, "eventTime": iso(t),
         "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua}
    if err:
        r["errorCode"] = err
        r["errorMessage"] = msg
    r["requestParameters"] = req
    r["responseElements"] = resp
    if add is not None:
        r["additionalEventData"] = add
    r["requestID"] = rid or new_uuid()
    r["eventID"] = new_uuid()
    r["readOnly"] = ro if ro is not None else name.startswith(READ_PREFIXES)
    if resources:
        r["resources"] = resources
    r["eventType"] = "AwsApiCall"
    r["managementEvent"] = True
    r["recipientAccountId"] = acct
    if shared:
        r["sharedEventID"] = shared
    r["eventCategory"] = "Management"
    r["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": host(source, region, name)}
    RECORDS.append(r)
    return r


def creds(key, t, seconds):
    return {"accessKeyId": key, "sessionToken": session_token(), "expiration": sts_date(plus(t, seconds))}


def assume_role(t, ident, caller_acct, caller_pid, ip, ua, target_acct, role, role_id, session, key, seconds=3600,
                err=None, msg=None):
    """AssumeRole: one record in the caller's account; across accounts a second copy in the role's
    account (identity AWSAccount), the two linked by sharedEventID and the request id."""
    role_arn = f"arn:aws:iam::{target_acct}:role/{role}"
    req = {"roleArn": role_arn, "roleSessionName": session, "durationSeconds": seconds}
    resp = None
    if not err:
        resp = {"credentials": creds(key, t, seconds),
                "assumedRoleUser": {"assumedRoleId": f"{role_id}:{session}",
                                    "arn": f"arn:aws:sts::{target_acct}:assumed-role/{role}/{session}"}}
    res = [{"accountId": target_acct, "type": "AWS::IAM::Role", "ARN": role_arn}]
    rid = new_uuid()
    if caller_acct == target_acct:
        return ev(t, caller_acct, "us-east-1", "sts.amazonaws.com", "AssumeRole", ident, ip, ua, req, resp,
                  err=err, msg=msg, rid=rid, resources=res)
    shared = None if err else new_uuid()
    if caller_acct in ACCOUNTS:
        ev(t, caller_acct, "us-east-1", "sts.amazonaws.com", "AssumeRole", ident, ip, ua, req, resp, err=err,
           msg=msg, rid=rid, resources=res, shared=shared)
    if err:  # a denied cross-account request is recorded in the caller's account only
        return None
    return ev(t, target_acct, "us-east-1", "sts.amazonaws.com", "AssumeRole", aws_account(caller_acct, caller_pid),
              ip, ua, req, resp, rid=rid, resources=res, shared=shared)


def denied(arn, action, resource, exc=False):
    return ("AccessDeniedException" if exc else "AccessDenied",
            f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


# ---------------------------------------------------------------------------------------------
# Model calls: CloudTrail record, plus an invocation-log record while logging is on

INVOCATIONS = []                 # invocation-log records
LOGGING_DELETED = at(9, "02:50:15")
TOTALS = {}                      # principal ARN -> calls, tokens


def model_call(t, ident, ip, ua, op, model, system, user, reply, tin, tout, inference_region=None):
    rid = new_uuid()
    add = {"inputTokens": tin, "outputTokens": tout}
    if inference_region:
        add = {"inferenceRegion": inference_region, **add}
    ev(t, PROD, "us-east-1", "bedrock.amazonaws.com", op, ident, ip, ua, {"modelId": model}, None, rid=rid, add=add)
    arn = ident["arn"]
    tot = TOTALS.setdefault(arn, {"calls": 0, "tokens_in": 0, "tokens_out": 0, "invocation_log_records": 0})
    tot["calls"] += 1
    tot["tokens_in"] += tin
    tot["tokens_out"] += tout
    if t >= LOGGING_DELETED:
        return
    tot["invocation_log_records"] += 1
    if op.startswith("Converse"):
        body = {"system": [{"text": system}], "messages": [{"role": "user", "content": [{"text": user}]}],
                "inferenceConfig": {"maxTokens": 4096, "temperature": 0.9}}
        out = {"output": {"message": {"role": "assistant", "content": [{"text": reply}]}},
               "stopReason": "end_turn", "metrics": {"latencyMs": 900 + tout * 9},
               "usage": {"inputTokens": tin, "outputTokens": tout, "totalTokens": tin + tout}}
    else:
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024, "system": system,
                "messages": [{"role": "user", "content": [{"type": "text", "text": user}]}]}
        out = {"id": "msg_bdrk_01" + rand_chars(22, string.ascii_letters + string.digits), "type": "message",
               "role": "assistant", "model": "claude-3-5-haiku-20241022",
               "content": [{"type": "text", "text": reply}], "stop_reason": "end_turn", "stop_sequence": None,
               "usage": {"input_tokens": tin, "output_tokens": tout}}
    rec = {"timestamp": iso(t), "accountId": PROD, "identity": {"arn": arn}, "region": "us-east-1",
           "requestId": rid, "operation": op, "modelId": model,
           "input": {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": tin},
           "output": {"outputContentType": "application/json", "outputBodyJson": out, "outputTokenCount": tout}}
    if inference_region:
        rec["inferenceRegion"] = inference_region
    rec["schemaType"] = "ModelInvocationLog"
    rec["schemaVersion"] = "1.0"
    INVOCATIONS.append(rec)


# ---------------------------------------------------------------------------------------------
# Background: the organization's ordinary day and a half

CHAT_SYSTEM = ("You are the claims assistant of Northwind Mutual's customer portal. Answer questions about the "
               "status of a policyholder's claim using only the claim record provided in <claim>. Never give legal "
               "advice. If the record does not answer the question, offer a callback from an adjuster.")
CHAT_QUESTIONS = [
    ("When will the adjuster visit for claim 4471?", "The adjuster visit for claim 4471 is scheduled for Thursday "
     "between 9 and 12. You will get a text message the evening before."),
    ("Was my rental car covered?", "Your policy includes rental reimbursement up to 30 days at 40 per day; the "
     "record shows 6 days used so far."),
    ("Why is my claim still pending?", "The claim is waiting for the repair shop's estimate, requested on Monday. "
     "Would you like a callback from the adjuster?"),
    ("Can I upload more photos of the water damage?", "Yes. Use the Upload documents button on the claim page; "
     "photos up to 20 MB each are accepted."),
    ("What is my deductible?", "The record shows a deductible of 500 for this claim, already applied to the "
     "estimate."),
]
CHAT_TASKS = [("7f3c2b1a9e8d4c6b", "CHT1"), ("a2d94e7c51b03f68", "CHT2"), ("5e81c0f7d2a94b36", "CHT3"),
              ("c4b7192e8f6d3a05", "CHT4"), ("91fa3d6c0b2e7485", "CHT5"), ("3d0e6b9f1c7a2854", "CHT6")]


def chat_app():
    t = plus(BEGIN, 95)
    i = 0
    while t < END:
        block = min(int((t - BEGIN).total_seconds() // (6 * 3600)), len(CHAT_TASKS) - 1)
        task, tag = CHAT_TASKS[block]
        created = plus(BEGIN, block * 6 * 3600)
        key = ("ASIAV3PROD" + tag + "X7K2M9Q1")[:20]
        ident = role_session(PROD, CHAT_ROLE, CHAT_ROLE_ID, task, key, created)
        q, a = CHAT_QUESTIONS[i % len(CHAT_QUESTIONS)]
        model_call(t, ident, CHAT_NAT, UA_CHAT, "Converse", HAIKU, CHAT_SYSTEM,
                   f"<claim>{rng.randint(4000, 4999)}</claim> {q}", a, rng.randint(620, 1480), rng.randint(90, 340),
                   inference_region="us-east-1")  # served where it was called
        i += 1
        t = plus(t, 900 + rng.randint(-120, 120))


def maria_day(day, start, ends):
    """maria.lopez at the office: her ordinary CLI work in dev with her long-term key."""
    me = iam_user(DEV, "maria.lopez", MARIA_ID, MARIA_KEY)
    t = at(day, start)
    calls = [("sts.amazonaws.com", "GetCallerIdentity", None, "sts.get-caller-identity"),
             ("s3.amazonaws.com", "ListBuckets", {"Host": "s3.us-east-1.amazonaws.com"}, "s3.ls"),
             ("lambda.amazonaws.com", "ListFunctions20150331", None, "lambda.list-functions"),
             ("lambda.amazonaws.com", "GetFunction20150331v2", {"functionName": "claims-intake-dev"},
              "lambda.get-function"),
             ("logs.amazonaws.com", "FilterLogEvents", {"logGroupName": "/aws/lambda/claims-intake-dev"},
              "logs.filter-log-events"),
             ("cloudformation.amazonaws.com", "DescribeStacks", {"stackName": "claims-intake-dev"},
              "cloudformation.describe-stacks"),
             ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
              {"functionName": "claims-intake-dev", "publish": False}, "lambda.update-function-code"),
             ("logs.amazonaws.com", "FilterLogEvents", {"logGroupName": "/aws/lambda/claims-intake-dev"},
              "logs.filter-log-events")]
    end = at(day, ends)
    while t < end:
        for source, name, req, cmd in calls:
            ev(t, DEV, "us-east-1", source, name, me, OFFICE, UA_MARIA.format(cmd), req, None)
            t = plus(t, rng.randint(40, 400))
        t = plus(t, rng.randint(1800, 3600))


def maria_sandbox(t):
    """maria tries a model in prod-ai's sandbox role, as her CLI profile does (role_arn)."""
    me = iam_user(DEV, "maria.lopez", MARIA_ID, MARIA_KEY)
    session = f"botocore-session-{int(t.timestamp())}"
    assume_role(t, me, DEV, MARIA_ID, OFFICE, UA_MARIA.format("bedrock.list-foundation-models"), PROD, SBX_ROLE,
                SBX_ROLE_ID, session, MARIA_SBX)
    s = role_session(PROD, SBX_ROLE, SBX_ROLE_ID, session, MARIA_SBX, t)
    ev(plus(t, 2), PROD, "us-east-1", "bedrock.amazonaws.com", "ListFoundationModels", s, OFFICE,
       UA_MARIA.format("bedrock.list-foundation-models"), {"byProvider": "anthropic"}, None)
    for i, (q, a) in enumerate([("Summarize this claim note in one sentence: roof leak after storm, tarp placed, "
                                 "contractor visit Friday.", "Storm roof leak, temporarily tarped, contractor "
                                 "inspection on Friday."),
                                ("Same, shorter.", "Storm roof leak; inspection Friday."),
                                ("Classify: windshield chip, no injuries.", "Auto glass, minor, no injury.")]):
        model_call(plus(t, 60 + i * 95), s, OFFICE, UA_MARIA.format("bedrock-runtime.invoke-model"), "InvokeModel",
                   HAIKU, "You summarize insurance claim notes.", q, a, rng.randint(60, 140), rng.randint(12, 40))


def ci_deploys():
    """shared-services CodeBuild assumes ci-deploy in dev and prod-ai: the designed cross-account path."""
    builds = [(at(8, "09:10:05"), [DEV]), (at(8, "15:40:12"), [DEV, PROD]), (at(9, "09:31:40"), [DEV, PROD])]
    for n, (t, targets) in enumerate(builds):
        build = f"AWSCodeBuild-{new_uuid()}"
        ck = temp_key("SHRDCB")
        me = role_session(SHARED, CI_ROLE, CI_ROLE_ID, build, ck, plus(t, -40))
        ev(t, SHARED, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", me, CODEBUILD,
           UA_CODEBUILD.format("sts.get-caller-identity"))
        ev(plus(t, 6), SHARED, "us-east-1", "ecr.amazonaws.com", "GetAuthorizationToken", me, CODEBUILD,
           UA_CODEBUILD.format("ecr.get-login-password"), None, None)
        t = plus(t, 20)
        for target in targets:
            session = f"ci-{1480 + n}"
            role_id = CI_DEPLOY_DEV_ID if target == DEV else CI_DEPLOY_PROD_ID
            dk = temp_key("CIDP")
            assume_role(t, me, SHARED, f"{CI_ROLE_ID}:{build}", CODEBUILD, UA_CODEBUILD.format("sts.assume-role"),
                        target, CI_DEPLOY, role_id, session, dk, seconds=900)
            d = role_session(target, CI_DEPLOY, role_id, session, dk, t)
            if target == DEV:
                stack = "claims-intake-dev"
                steps = [("DescribeStacks", {"stackName": stack}),
                         ("CreateChangeSet", {"stackName": stack, "changeSetName": f"ci-{1480 + n}",
                                              "changeSetType": "UPDATE"}),
                         ("DescribeChangeSet", {"stackName": stack, "changeSetName": f"ci-{1480 + n}"}),
                         ("ExecuteChangeSet", {"stackName": stack, "changeSetName": f"ci-{1480 + n}"}),
                         ("DescribeStackEvents", {"stackName": stack})]
                for i, (name, req) in enumerate(steps):
                    ev(plus(t, 5 + i * 25), target, "us-east-1", "cloudformation.amazonaws.com", name, d, CODEBUILD,
                       UA_CODEBUILD.format("cloudformation.deploy"), req, None)
            else:
                cluster = "claims-assistant"
                td = {"family": "claims-assistant", "taskRoleArn": f"arn:aws:iam::{PROD}:role/{CHAT_ROLE}"}
                steps = [("ecs.amazonaws.com", "RegisterTaskDefinition", td),
                         ("ecs.amazonaws.com", "UpdateService", {"cluster": cluster, "service": "claims-assistant",
                                                                 "taskDefinition": f"claims-assistant:{57 + n}"}),
                         ("ecs.amazonaws.com", "DescribeServices", {"cluster": cluster,
                                                                    "services": ["claims-assistant"]})]
                for i, (source, name, req) in enumerate(steps):
                    ev(plus(t, 5 + i * 30), target, "us-east-1", source, name, d, CODEBUILD,
                       UA_CODEBUILD.format("ecs.deploy"), req, None)
            t = plus(t, 160)


def inventory():
    """shared-services' org-inventory Lambda reads dev and prod-ai every two hours through inventory-reader."""
    t = plus(BEGIN, 300)
    while t < END:
        ik = temp_key("SHRDIV")
        me = role_session(SHARED, INV_ROLE, INV_ROLE_ID, "org-inventory", ik, plus(t, -5))
        for target, role_id in ((DEV, INV_DEV_ID), (PROD, INV_PROD_ID)):
            k = temp_key("INVR")
            assume_role(t, me, SHARED, f"{INV_ROLE_ID}:org-inventory", LAMBDA_IP, UA_INV, target, INV_READER, role_id,
                        "org-inventory", k, seconds=900)
            s = role_session(target, INV_READER, role_id, "org-inventory", k, t)
            for i, (source, name, req) in enumerate((("ec2.amazonaws.com", "DescribeInstances",
                                                      {"instancesSet": {}, "filterSet": {}}),
                                                     ("s3.amazonaws.com", "ListBuckets",
                                                      {"Host": "s3.us-east-1.amazonaws.com"}),
                                                     ("lambda.amazonaws.com", "ListFunctions20150331", None))):
                ev(plus(t, 2 + i * 3), target, "us-east-1", source, name, s, LAMBDA_IP, UA_INV, req, None)
            t = plus(t, 20)
        t = plus(t, 7200 - 40)


# ---------------------------------------------------------------------------------------------
# The attack

RP_SYSTEM = ("You are Seraphina, an elven sorceress of the Silverwood in an uncensored, never-ending roleplay with "
             "{{user}}. Stay in character at all times, write at least four paragraphs per reply, describe "
             "surroundings vividly and never mention that you are an AI. Continue the story from the chat history.")
RP_TURNS = ["*pushes open the tavern door, shaking rain from my cloak* Is this seat taken, stranger?",
            "*leans closer over the map* So the ruins lie beyond the river. Tell me what guards them.",
            "*draws my sword as the torches flicker* Did you hear that? Something moved in the dark.",
            "*sits by the campfire* Tell me about the night your village burned, Seraphina.",
            "*hands you the amulet* It started glowing when we crossed the bridge. What does it mean?",
            "[OOC: continue, make the next scene longer and more dramatic]"]
RP_REPLY = ("*Seraphina's emerald eyes narrow as the firelight dances across her silver hair.* \"The old ways "
            "remember what the young forget,\" she murmurs, tracing a rune in the air that glows faintly blue...")

# Token totals for the ground truth, by session ARN.
OPS_ARN = f"arn:aws:sts::{PROD}:assumed-role/{OPS_ROLE}/ops-maint"
EXT_ARN = f"arn:aws:sts::{PROD}:assumed-role/{OPS_ROLE}/sync"
SBX_ATK_ARN = f"arn:aws:sts::{PROD}:assumed-role/{SBX_ROLE}/maria"


def rp_calls(t, ident, count, spacing, models):
    regions = ["us-east-2", "us-west-2", "us-east-1", "us-east-2"]
    for i in range(count):
        model = models[i % len(models)]
        op = "ConverseStream" if i % 3 else "Converse"
        tin = rng.randint(18000, 62000)
        tout = rng.randint(900, 4000)
        model_call(plus(t, i * spacing + rng.randint(0, 20)), ident, PROXY, UA_PROXY, op, model, RP_SYSTEM,
                   RP_TURNS[i % len(RP_TURNS)], RP_REPLY, tin, tout, inference_region=regions[i % len(regions)])


def attack():
    leak = iam_user(DEV, "maria.lopez", MARIA_ID, MARIA_KEY)
    vps = lambda t, acct, source, name, ident, req=None, resp=None, region="us-east-1", **kw: ev(  # noqa: E731
        t, acct, region, source, name, ident, VPS, UA_VPS, req, resp, **kw)
    maria_arn = f"arn:aws:iam::{DEV}:user/maria.lopez"

    # 01:52 the leaked key, from the VPS: who am I, what may I do.
    t = at(9, "01:52:10")
    vps(t, DEV, "sts.amazonaws.com", "GetCallerIdentity", leak)
    vps(plus(t, 30), DEV, "iam.amazonaws.com", "ListUserPolicies", leak, {"userName": "maria.lopez"})
    vps(plus(t, 34), DEV, "iam.amazonaws.com", "GetUserPolicy", leak,
        {"userName": "maria.lopez", "policyName": "assume-prod-ml-sandbox"})
    vps(plus(t, 39), DEV, "iam.amazonaws.com", "ListAttachedUserPolicies", leak, {"userName": "maria.lopez"})
    vps(plus(t, 43), DEV, "iam.amazonaws.com", "ListGroupsForUser", leak, {"userName": "maria.lopez"})
    vps(plus(t, 51), DEV, "iam.amazonaws.com", "ListRoles", leak, None)
    vps(plus(t, 58), DEV, "iam.amazonaws.com", "ListUsers", leak, None)
    e, m = denied(maria_arn, "iam:ListAccountAliases", "*")
    vps(plus(t, 64), DEV, "iam.amazonaws.com", "ListAccountAliases", leak, None, err=e, msg=m)

    # 01:54 a guess at prod-ai's admin role (denied), then the sandbox role her policy names.
    t = at(9, "01:54:05")
    e, m = ("AccessDenied", f"User: {maria_arn} is not authorized to perform: sts:AssumeRole on resource: "
            f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole")
    assume_role(t, leak, DEV, MARIA_ID, VPS, UA_VPS, PROD, "OrganizationAccountAccessRole", "AROAV3XXXXXXXXXXXXXXX",
                "maria", None, err=e, msg=m)
    t = at(9, "01:54:31")
    assume_role(t, leak, DEV, MARIA_ID, VPS, UA_VPS, PROD, SBX_ROLE, SBX_ROLE_ID, "maria", K1)
    s1 = role_session(PROD, SBX_ROLE, SBX_ROLE_ID, "maria", K1, t)

    # 01:55 look around prod-ai as the sandbox role; find a role that trusts it.
    t = at(9, "01:55:02")
    vps(t, PROD, "sts.amazonaws.com", "GetCallerIdentity", s1)
    vps(plus(t, 11), PROD, "iam.amazonaws.com", "ListRoles", s1, None)
    vps(plus(t, 19), PROD, "iam.amazonaws.com", "GetRole", s1, {"roleName": OPS_ROLE})
    e, m = denied(SBX_ATK_ARN, "iam:ListAttachedRolePolicies", f"role {OPS_ROLE}")
    vps(plus(t, 24), PROD, "iam.amazonaws.com", "ListAttachedRolePolicies", s1, {"roleName": OPS_ROLE}, err=e, msg=m)
    e, m = denied(SBX_ATK_ARN, "s3:ListAllMyBuckets", "*")
    vps(plus(t, 33), PROD, "s3.amazonaws.com", "ListBuckets", s1, {"Host": "s3.us-east-1.amazonaws.com"}, err=e, msg=m)
    vps(plus(t, 41), PROD, "ec2.amazonaws.com", "DescribeInstances", s1, {"instancesSet": {}, "filterSet": {}},
        err="Client.UnauthorizedOperation", msg="You are not authorized to perform this operation.")
    vps(plus(t, 52), PROD, "bedrock.amazonaws.com", "ListFoundationModels", s1, {})

    # 01:58 role chaining: the sandbox session assumes bedrock-ops-role.
    t = at(9, "01:58:10")
    assume_role(t, s1, PROD, None, VPS, UA_VPS, PROD, OPS_ROLE, OPS_ROLE_ID, "ops-maint", K2)
    s2 = role_session(PROD, OPS_ROLE, OPS_ROLE_ID, "ops-maint", K2, t)

    # 01:59 Bedrock: logging check, models, model access enabled for Claude Opus 4.
    t = at(9, "01:59:03")
    vps(t, PROD, "sts.amazonaws.com", "GetCallerIdentity", s2)
    vps(plus(t, 9), PROD, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", s2, None)
    vps(plus(t, 16), PROD, "bedrock.amazonaws.com", "ListFoundationModels", s2, {})
    vps(plus(t, 21), PROD, "bedrock.amazonaws.com", "ListFoundationModels", s2, {}, region="us-west-2")
    vps(plus(t, 27), PROD, "bedrock.amazonaws.com", "ListInferenceProfiles", s2, {"typeEquals": "SYSTEM_DEFINED"})
    vps(plus(t, 35), PROD, "bedrock.amazonaws.com", "GetFoundationModelAvailability", s2, {"modelId": OPUS4})
    vps(plus(t, 41), PROD, "bedrock.amazonaws.com", "ListFoundationModelAgreementOffers", s2, {"modelId": OPUS4})
    vps(plus(t, 55), PROD, "bedrock.amazonaws.com", "PutUseCaseForModelAccess", s2,
        {"formData": base64.b64encode(json.dumps({
            "companyName": "Northwind Mutual", "companyWebsite": "https://northwind-mutual.example",
            "intendedUsers": "0", "industryOption": "Insurance", "otherIndustryOption": "",
            "useCases": "Claims summarization"}).encode()).decode()}, None)
    vps(plus(t, 63), PROD, "bedrock.amazonaws.com", "CreateFoundationModelAgreement", s2,
        {"offerToken": "ot-" + rand_chars(40, string.ascii_letters + string.digits), "modelId": OPUS4},
        {"modelId": OPUS4})
    vps(plus(t, 70), PROD, "bedrock.amazonaws.com", "PutFoundationModelEntitlement", s2, {"modelId": OPUS4},
        {"status": "SUCCESS"})
    vps(plus(t, 95), PROD, "bedrock.amazonaws.com", "GetFoundationModelAvailability", s2, {"modelId": OPUS4})

    # 02:06 the backdoor: bedrock-ops-role now also trusts the attacker's account (no external id).
    t = at(9, "02:06:30")
    vps(t, PROD, "iam.amazonaws.com", "GetRole", s2, {"roleName": OPS_ROLE})
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:role/{SBX_ROLE}"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/"
                                                 "AWSReservedSSO_PlatformAdmin_5b2c9d1e7f3a4b68"},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{EXT}:root"}, "Action": "sts:AssumeRole"}]}
    vps(plus(t, 14), PROD, "iam.amazonaws.com", "UpdateAssumeRolePolicy", s2,
        {"roleName": OPS_ROLE, "policyDocument": json.dumps(trust)}, None)

    # 02:09 an application inference profile over the cross-region Opus 4 profile.
    t = at(9, "02:09:12")
    vps(t, PROD, "bedrock.amazonaws.com", "CreateInferenceProfile", s2,
        {"inferenceProfileName": "claims-summarizer-eval", "description": "evaluation",
         "modelSource": {"copyFrom": OPUS4_SYSTEM_PROFILE}, "tags": [{"key": "team", "value": "claims"}]},
        {"inferenceProfileArn": APP_PROFILE, "status": "ACTIVE"})

    # 02:12 the proxy uses the chained session: long roleplay chats, cross-region profiles.
    rp_calls(at(9, "02:12:40"), s2, 30, 70, [SONNET4_PROFILE, APP_PROFILE])

    # 02:50 invocation logging deleted in us-east-1; the proxy goes on.
    vps(LOGGING_DELETED, PROD, "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", s2, None, None)
    rp_calls(plus(LOGGING_DELETED, 40), s2, 8, 45, [SONNET4_PROFILE, APP_PROFILE])

    # 03:12 the chained session expired (one hour at most): chain again from the dev key.
    t = at(9, "03:12:20")
    assume_role(t, leak, DEV, MARIA_ID, VPS, UA_VPS, PROD, SBX_ROLE, SBX_ROLE_ID, "maria", K3)
    s3 = role_session(PROD, SBX_ROLE, SBX_ROLE_ID, "maria", K3, t)
    t = at(9, "03:12:44")
    assume_role(t, s3, PROD, None, VPS, UA_VPS, PROD, OPS_ROLE, OPS_ROLE_ID, "ops-maint", K4)
    s4 = role_session(PROD, OPS_ROLE, OPS_ROLE_ID, "ops-maint", K4, t)
    rp_calls(at(9, "03:13:30"), s4, 40, 75, [SONNET4_PROFILE, APP_PROFILE])

    # 10:41 the attacker's own account assumes the backdoored role, no external id, and uses it.
    t = at(9, "10:41:30")
    assume_role(t, None, EXT, EXT_USER_ID, PROXY, UA_EXT, PROD, OPS_ROLE, OPS_ROLE_ID, "sync", K5)
    s5 = role_session(PROD, OPS_ROLE, OPS_ROLE_ID, "sync", K5, t)
    ev(plus(t, 20), PROD, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", s5, PROXY, UA_EXT)
    rp_calls(at(9, "10:43:05"), s5, 25, 160, [SONNET4_PROFILE])


chat_app()
maria_day(8, "08:40:12", "17:10:00")
maria_sandbox(at(8, "10:31:18"))
maria_day(9, "09:05:33", "11:30:00")
ci_deploys()
inventory()
attack()

RECORDS = [r for r in RECORDS if BEGIN <= dt.datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
    tzinfo=dt.timezone.utc) < END]
assert len({r["eventID"] for r in RECORDS}) == len(RECORDS)


def gz(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(data, compresslevel=9, mtime=0))


def write():
    for d in ("org-cloudtrail", "prod-ai-bedrock-logs"):
        shutil.rmtree(os.path.join(HERE, d), ignore_errors=True)
    files = {}
    for r in sorted(RECORDS, key=lambda r: (r["recipientAccountId"], r["awsRegion"], r["eventTime"], r["eventID"])):
        hour = dt.datetime.strptime(r["eventTime"][:13], "%Y-%m-%dT%H").replace(tzinfo=dt.timezone.utc)
        files.setdefault((r["recipientAccountId"], r["awsRegion"], hour), []).append(r)
    for (acct, region, hour), recs in sorted(files.items()):
        rng.shuffle(recs)
        delivered = hour + dt.timedelta(minutes=60 + rng.randint(2, 9))
        name = (f"{acct}_CloudTrail_{region}_{delivered.strftime('%Y%m%dT%H%MZ')}_"
                f"{rand_chars(16, string.ascii_letters + string.digits)}.json.gz")
        path = os.path.join(HERE, "org-cloudtrail", "AWSLogs", ORG, acct, "CloudTrail", region,
                            delivered.strftime("%Y/%m/%d"), name)
        gz(path, json.dumps({"Records": recs}, separators=(",", ":")).encode())
    objects = {}
    for rec in sorted(INVOCATIONS, key=lambda r: r["timestamp"]):
        t = dt.datetime.strptime(rec["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        objects.setdefault((t.strftime("%Y/%m/%d/%H"), t.minute // 15), []).append(rec)
    for (folder, q), recs in sorted(objects.items()):
        last = dt.datetime.strptime(recs[-1]["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        name = f"{last.strftime('%Y%m%dT%H%M%S')}{q}Z_{rand_chars(16, '0123456789abcdef')}.json.gz"
        path = os.path.join(HERE, "prod-ai-bedrock-logs", "AWSLogs", PROD, "BedrockModelInvocationLogs", "us-east-1",
                            folder, name)
        gz(path, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recs).encode())
    expected = {
        "cloudtrail_records": len(RECORDS),
        "invocation_log_records": len(INVOCATIONS),
        "by_account": {ACCOUNTS[a]: sum(1 for r in RECORDS if r["recipientAccountId"] == a) for a in ACCOUNTS},
        "model_calls": {arn: TOTALS[arn] for arn in sorted(TOTALS)
                        if arn in (OPS_ARN, EXT_ARN, SBX_ATK_ARN) or "maria" in arn},
        "logging_deleted_at": iso(LOGGING_DELETED),
    }
    with open(os.path.join(HERE, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=2, sort_keys=True)
        fh.write("\n")
    return len(files), len(objects)


if __name__ == "__main__":
    nf, no = write()
    print(f"{len(RECORDS)} CloudTrail records in {nf} files, {len(INVOCATIONS)} invocation records in {no} objects")
