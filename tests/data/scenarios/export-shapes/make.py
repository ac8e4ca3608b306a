#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One small LLMjacking incident, delivered in every export shape AWS and responders produce.

A leaked IAM user access key (svc-reporting, AKIA5SVCREPORTLEAK01) is used from 203.0.113.45:
GetCallerIdentity, ListFoundationModels in five regions, GetModelInvocationLoggingConfiguration,
a ValidationException probe, model access enabled (PutUseCaseForModelAccess,
CreateFoundationModelAgreement, PutFoundationModelEntitlement), DeleteGuardrail, then 15
InvokeModel calls on Claude 3 Opus (10 in us-east-1, 5 in us-west-2). Background: the key's own
reporting job (from the office), the chat application's ECS task role with its model calls and
S3 data events, an administrator and a developer in the console, AWS services, and the
responder who deactivates the key.

The same records are written, each shape in its own folder:
  s3-org-trail/        S3 delivery of an organization trail, a digest, the invocation-log tree
  lookup-events/       `aws cloudtrail lookup-events` pages per region (management events only)
                       + the invocation-log tree
  cloudwatch-api/      `aws logs filter-log-events` of the trail's and the invocation log groups
  cloudwatch-export/   CloudWatch Logs export-to-S3 objects of both log groups, with the marker
  jsonl/               jq -c '.Records[]' JSON Lines (.jsonl and .json.gz) + invocation JSON Lines
  lake/                CloudTrail Lake get-query-results pages + the invocation-log tree
  event-history-csv/   console Event history CSV downloads per region + the invocation-log tree
  event-history-json/  console Event history JSON downloads per region + the invocation-log tree
  messy/               a mix: org trail and account trail overlapping, a truncated .json.gz, a
                       UTF-8 BOM file, an empty file, a README.txt, a > 1 MB single-line record,
                       a file downloaded twice
expected.json lists the counts each folder should give.

Deterministic: no clock, no randomness, gzip with mtime 0 and no file name (gzip -n).
Run: python3 make.py   (rewrites the folders next to this script)
"""
import base64
import copy
import datetime as dt
import gzip
import hashlib
import json
import os
import shutil

ROOT = os.path.dirname(os.path.abspath(__file__))
A = "444455556666"
ORG = "o-k3x9m2p7q1"
TRAIL_BUCKET = "example-org-cloudtrail"
ACCT_TRAIL_BUCKET = "example-acct-cloudtrail"
INV_BUCKET = "example-bedrock-invocation-logs"
ATTACKER_IP = "203.0.113.45"
KEY = "AKIA5SVCREPORTLEAK01"
OPUS = "anthropic.claude-3-opus-20240229-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
GUARDRAIL_ID = "gr5x8k2m1q9z"
SHAPES = ["s3-org-trail", "lookup-events", "cloudwatch-api", "cloudwatch-export", "jsonl", "lake",
          "event-history-csv", "event-history-json", "messy"]


def hx(tag, n=32):
    return hashlib.sha256(tag.encode()).hexdigest()[:n]


def uid(tag):
    x = hx(tag)
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-8{x[17:20]}-{x[20:32]}"


def rand16(tag):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    d = hashlib.sha256(tag.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in d[:16])


def T(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(t):
    return int(t.timestamp() * 1000)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def dumps(o):
    return json.dumps(o, separators=(",", ":"))


# ---------------------------------------------------------------- identities

def iam_user(name, pid, key):
    return {"type": "IAMUser", "principalId": pid, "arn": f"arn:aws:iam::{A}:user/{name}",
            "accountId": A, "accessKeyId": key, "userName": name}


def role_session(role, session, role_pid, key, created, mfa=False):
    return {"type": "AssumedRole", "principalId": f"{role_pid}:{session}",
            "arn": f"arn:aws:sts::{A}:assumed-role/{role}/{session}", "accountId": A, "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_pid,
                                                 "arn": f"arn:aws:iam::{A}:role/{role}", "accountId": A,
                                                 "userName": role},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": created, "mfaAuthenticated": "true" if mfa else "false"}}}


def service(name):
    return {"type": "AWSService", "invokedBy": name}


LEAKED = iam_user("svc-reporting", "AIDA5SVCREPORT7Q2W3E", KEY)
ALICE = role_session("Admin", "alice@example.com", "AROA5ADMINROLE4K7Q2Z", "ASIA5ADMINALICE00001",
                     "2026-04-01T08:00:12Z", mfa=True)
DAVE = role_session("Developer", "dave@example.com", "AROA5DEVELOPER8M3N1X", "ASIA5DEVDAVE00000001",
                    "2026-04-01T13:02:40Z", mfa=True)
BOB = role_session("IR-Responder", "bob@example.com", "AROA5IRRESPONDER2P9L", "ASIA5IRRESPONDBOB001",
                   "2026-04-02T17:20:05Z", mfa=True)
APP_TASK = ["7c1e2f9a0b3d4e5f8a6b1c2d3e4f5a6b", "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a"]
APP = [role_session("chat-app-task-role", APP_TASK[0], "AROA5CHATAPPTASK0R1E", "ASIA5CHATAPPDAY00001",
                    "2026-04-01T08:29:00Z"),
       role_session("chat-app-task-role", APP_TASK[1], "AROA5CHATAPPTASK0R1E", "ASIA5CHATAPPDAY00002",
                    "2026-04-02T08:59:00Z")]

UA_ATTACKER = ("Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#6.2.0-39-generic md/arch#x86_64 "
               "lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.50")
UA_REPORTING = ("Boto3/1.34.10 md/Botocore#1.34.10 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.11.6 "
                "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.10")
UA_APP = ("Boto3/1.34.40 md/Botocore#1.34.40 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.11.9 "
          "exec-env/AWS_ECS_FARGATE Botocore/1.34.40")
UA_BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/123.0.0.0 Safari/537.36")
OFFICE_IP = "198.51.100.20"
ADMIN_IP = "198.51.100.10"
DEV_IP = "198.51.100.31"
BOB_IP = "192.0.2.140"
APP_IPS = ["10.0.12.34", "10.0.14.77"]

# ---------------------------------------------------------------- CloudTrail records

RECORDS = []      # CloudTrail records, in the order they were built (not time order)
INVOCATIONS = []  # Bedrock invocation-log records


def ct(time, ident, source, name, region, ip, ua, req=None, resp=None, err=None, ro=True,
       etype="AwsApiCall", category="Management", console=False, resources=None, add=None, vpce=None, tls=False):
    n = len(RECORDS)
    r = {"eventVersion": "1.10" if source != "bedrock.amazonaws.com" else "1.09", "userIdentity": ident,
         "eventTime": time, "eventSource": source, "eventName": name, "awsRegion": region,
         "sourceIPAddress": ip, "userAgent": ua}
    if err:
        r["errorCode"], r["errorMessage"] = err
    r["requestParameters"] = req
    r["responseElements"] = resp
    if add is not None:
        r["additionalEventData"] = add
    r["requestID"] = uid(f"req-{n}-{name}")
    r["eventID"] = uid(f"evt-{n}-{name}")
    r["readOnly"] = ro
    if resources is not None:
        r["resources"] = resources
    r["eventType"] = etype
    r["managementEvent"] = category == "Management"
    r["recipientAccountId"] = A
    if vpce:
        r["vpcEndpointId"] = vpce
        r["vpcEndpointAccountId"] = A
    r["eventCategory"] = category
    if (tls or ip == ATTACKER_IP) and etype == "AwsApiCall" and not ip.endswith("amazonaws.com"):
        host = {"bedrock.amazonaws.com": f"bedrock.{region}.amazonaws.com"}.get(source, source.replace(
            ".amazonaws.com", f".{region}.amazonaws.com"))
        if name.startswith("Invoke"):
            host = f"bedrock-runtime.{region}.amazonaws.com"
        r["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                           "clientProvidedHostHeader": host}
    if console:
        r["sessionCredentialFromConsole"] = "true"
    RECORDS.append(r)
    return r


def invoke(time, ident, region, ip, ua, model, prompt, answer, tin, tout, err=None, vpce=None):
    res = [{"accountId": A, "type": "AWS::Bedrock::Model",
            "ARN": f"arn:aws:bedrock:{region}::foundation-model/{model}"}]
    r = ct(time, ident, "bedrock.amazonaws.com", "InvokeModel", region, ip, ua, req={"modelId": model},
           err=err, resources=res, vpce=vpce,
           add=None if err else {"inputTokens": tin, "outputTokens": tout})
    body_in = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024,
               "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]}
    if err:
        body_in = {"prompt": prompt, "max_tokens_to_sample": 5}
    inv = {"timestamp": time, "accountId": A, "identity": {"arn": ident["arn"]}, "region": region,
           "requestId": r["requestID"], "operation": "InvokeModel", "modelId": model,
           "input": {"inputContentType": "application/json", "inputBodyJson": body_in,
                     "inputTokenCount": 0 if err else tin}}
    if err:
        inv["errorCode"] = err[0]
        inv["output"] = {}
    else:
        inv["output"] = {"outputContentType": "application/json",
                         "outputBodyJson": {"id": "msg_bdrk_" + hx(r["requestID"], 24), "type": "message",
                                            "role": "assistant", "model": model.split(".", 1)[1].rsplit("-v", 1)[0],
                                            "content": [{"type": "text", "text": answer}],
                                            "stop_reason": "end_turn", "stop_sequence": None,
                                            "usage": {"input_tokens": tin, "output_tokens": tout}},
                         "outputTokenCount": tout}
    inv["schemaType"] = "ModelInvocationLog"
    inv["schemaVersion"] = "1.0"
    INVOCATIONS.append(inv)
    return r


def at(base, seconds):
    return iso(T(base) + dt.timedelta(seconds=seconds))


# --- day 1: the administrator sets up the guardrail
ct("2026-04-01T08:00:12Z", {k: v for k, v in ALICE.items() if k != "accessKeyId"}, "signin.amazonaws.com",
   "ConsoleLogin", "us-east-1", ADMIN_IP, UA_BROWSER, resp={"ConsoleLogin": "Success"},
   add={"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"},
   ro=False, etype="AwsConsoleSignIn")
ct("2026-04-01T08:05:31Z", ALICE, "bedrock.amazonaws.com", "CreateGuardrail", "us-east-1", ADMIN_IP, UA_BROWSER,
   req={"name": "chat-app-guardrail", "blockedInputMessaging": "***", "blockedOutputsMessaging": "***",
        "contentPolicyConfig": {"filtersConfig": [
            {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"},
            {"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"}]}},
   resp={"guardrailId": GUARDRAIL_ID, "guardrailArn": f"arn:aws:bedrock:us-east-1:{A}:guardrail/{GUARDRAIL_ID}",
         "version": "DRAFT", "createdAt": "2026-04-01T08:05:31Z"},
   ro=False, console=True)
ct("2026-04-01T08:06:02Z", ALICE, "bedrock.amazonaws.com", "CreateGuardrailVersion", "us-east-1", ADMIN_IP,
   UA_BROWSER, req={"guardrailIdentifier": GUARDRAIL_ID, "description": "v1"},
   resp={"guardrailId": GUARDRAIL_ID, "version": "1"}, ro=False, console=True)
ct("2026-04-01T08:07:40Z", ALICE, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", "us-east-1",
   ADMIN_IP, UA_BROWSER, console=True)
ct("2026-04-01T08:12:09Z", ALICE, "ec2.amazonaws.com", "DescribeInstances", "us-east-1", ADMIN_IP, UA_BROWSER,
   req={"instancesSet": {}, "filterSet": {}}, console=True)
ct("2026-04-01T08:13:44Z", ALICE, "s3.amazonaws.com", "ListBuckets", "us-east-1", ADMIN_IP, UA_BROWSER,
   req={"Host": "s3.amazonaws.com"}, console=True)
ct("2026-04-01T08:15:02Z", ALICE, "iam.amazonaws.com", "ListUsers", "us-east-1", ADMIN_IP, UA_BROWSER,
   console=True)

# --- the reporting job: the key's own use, from the office, two days
for day in ("2026-04-01", "2026-04-02"):
    for i, hour in enumerate((9, 10, 11, 12)):
        t = f"{day}T{hour:02d}:15:{7 + i * 3:02d}Z"
        if i % 2 == 0:
            ct(t, LEAKED, "ce.amazonaws.com", "GetCostAndUsage", "us-east-1", OFFICE_IP, UA_REPORTING,
               req={"timePeriod": {"start": "2026-03-01", "end": "2026-04-01"}, "granularity": "DAILY",
                    "metrics": ["UnblendedCost"]})
        else:
            ct(t, LEAKED, "monitoring.amazonaws.com", "GetMetricData", "us-east-1", OFFICE_IP, UA_REPORTING,
               req={"startTime": f"{day}T00:00:00Z", "endTime": f"{day}T{hour:02d}:00:00Z"})

# --- the chat application: its task role, its model calls, its S3 reads (data events)
APP_PROMPTS = [
    ("Summarise this support ticket in two sentences: customer cannot reset password after the update.",
     "The customer cannot reset their password since the latest update. They need a working reset link."),
    ("Classify the sentiment of: 'The delivery was late again, third time this month.'", "Negative."),
    ("Translate to French: 'Your order has shipped.'", "Votre commande a été expédiée."),
    ("Write a polite reply asking the customer for their order number.",
     "Thank you for reaching out. Could you please share your order number so we can look into this?"),
]
app_times = [["08:30:14", "09:30:40", "10:31:02", "11:30:55", "13:00:21", "15:00:09", "17:00:33"],
             ["09:00:18", "11:00:44", "13:00:05", "15:00:37", "16:30:12"]]
for d, day in enumerate(("2026-04-01", "2026-04-02")):
    ct(f"{day}T{'08:29:00' if d == 0 else '08:59:00'}Z", service("ecs-tasks.amazonaws.com"), "sts.amazonaws.com",
       "AssumeRole", "us-east-1", "ecs-tasks.amazonaws.com", "ecs-tasks.amazonaws.com",
       req={"roleArn": f"arn:aws:iam::{A}:role/chat-app-task-role", "roleSessionName": APP_TASK[d]},
       resp={"credentials": {"accessKeyId": APP[d]["accessKeyId"], "sessionToken": "<redacted>",
                             "expiration": "Apr 2, 2026, 2:29:00 PM"},
             "assumedRoleUser": {"assumedRoleId": f"AROA5CHATAPPTASK0R1E:{APP_TASK[d]}",
                                 "arn": APP[d]["arn"]}},
       resources=[{"accountId": A, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{A}:role/chat-app-task-role"}],
       ro=True)
    for j, hm in enumerate(app_times[d]):
        p, a = APP_PROMPTS[(j + d) % len(APP_PROMPTS)]
        invoke(f"{day}T{hm}Z", APP[d], "us-east-1", APP_IPS[d], UA_APP, HAIKU, p, a, 180 + 7 * j, 60 + 5 * j,
               vpce="vpce-0a1b2c3d4e5f60718")
    for hm in (("08:31:10", "13:05:51") if d == 0 else ("09:01:27", "15:02:03")):
        ct(f"{day}T{hm}Z", APP[d], "s3.amazonaws.com", "GetObject", "us-east-1", APP_IPS[d], "[" + UA_APP + "]",
           req={"bucketName": "example-chat-app-config", "Host": "example-chat-app-config.s3.us-east-1.amazonaws.com",
                "key": "prompts/system.txt"},
           add={"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "bytesTransferredOut": 2048},
           resources=[{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::example-chat-app-config/prompts/system.txt"},
                      {"accountId": A, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::example-chat-app-config"}],
           category="Data", vpce="vpce-0f1e2d3c4b5a69788")

# --- AWS services: the trail's KMS key
for day in ("2026-04-01T06:00:04Z", "2026-04-02T06:00:03Z"):
    ct(day, service("cloudtrail.amazonaws.com"), "kms.amazonaws.com", "GenerateDataKey", "us-east-1",
       "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com",
       req={"keySpec": "AES_256", "encryptionContext": {
           "aws:cloudtrail:arn": f"arn:aws:cloudtrail:us-east-1:{A}:trail/org-trail"}},
       resources=[{"accountId": A, "type": "AWS::KMS::Key",
                   "ARN": f"arn:aws:kms:us-east-1:{A}:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}])

# --- a developer in the console: Lambda
for hm, name, ro in (("13:02:55", "ListFunctions20150331", True), ("13:03:30", "GetFunction20150331v2", True),
                     ("13:10:02", "UpdateFunctionCode20150331v2", False),
                     ("13:11:18", "GetFunctionConfiguration20150331v2", True)):
    ct(f"2026-04-01T{hm}Z", DAVE, "lambda.amazonaws.com", name, "eu-west-1", DEV_IP, UA_BROWSER,
       req=None if name.startswith("List") else {"functionName": "order-webhook"}, ro=ro, console=True)

# --- the attack, day 2, 14:02-14:38, the leaked key from 203.0.113.45
base = "2026-04-02T14:02:11Z"
ct(base, LEAKED, "sts.amazonaws.com", "GetCallerIdentity", "us-east-1", ATTACKER_IP, UA_ATTACKER)
for k, region in enumerate(("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")):
    ct(at(base, 49 + 8 * k), LEAKED, "bedrock.amazonaws.com", "ListFoundationModels", region, ATTACKER_IP,
       UA_ATTACKER)
for k, region in enumerate(("us-east-1", "us-west-2")):
    ct(at(base, 119 + 5 * k), LEAKED, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", region,
       ATTACKER_IP, UA_ATTACKER)
invoke(at(base, 169), LEAKED, "us-east-1", ATTACKER_IP, UA_ATTACKER, OPUS, "\n\nHuman: hi\n\nAssistant:", None,
       0, 0, err=("ValidationException",
                  "Malformed input request: #: required key [messages] not found, please reformat your input and try again."))
ct(at(base, 229), LEAKED, "bedrock.amazonaws.com", "ListFoundationModelAgreementOffers", "us-east-1", ATTACKER_IP,
   UA_ATTACKER, req={"modelId": OPUS})
ct(at(base, 249), LEAKED, "bedrock.amazonaws.com", "PutUseCaseForModelAccess", "us-east-1", ATTACKER_IP,
   UA_ATTACKER, req={"formData": base64.b64encode(b'{"companyName":"Acme Research","useCases":"chatbot"}').decode()},
   ro=False)
ct(at(base, 269), LEAKED, "bedrock.amazonaws.com", "CreateFoundationModelAgreement", "us-east-1", ATTACKER_IP,
   UA_ATTACKER, req={"modelId": OPUS, "offerToken": "Zm9vYmFyb2ZmZXJ0b2tlbg=="}, resp={"modelId": OPUS}, ro=False)
ct(at(base, 289), LEAKED, "bedrock.amazonaws.com", "PutFoundationModelEntitlement", "us-east-1", ATTACKER_IP,
   UA_ATTACKER, req={"modelId": OPUS}, resp={"status": "SUCCESS"}, ro=False)
ct(at(base, 319), LEAKED, "bedrock.amazonaws.com", "GetFoundationModelAvailability", "us-east-1", ATTACKER_IP,
   UA_ATTACKER, req={"modelId": OPUS})
ct(at(base, 359), LEAKED, "bedrock.amazonaws.com", "ListGuardrails", "us-east-1", ATTACKER_IP, UA_ATTACKER)
ct(at(base, 379), LEAKED, "bedrock.amazonaws.com", "DeleteGuardrail", "us-east-1", ATTACKER_IP, UA_ATTACKER,
   req={"guardrailIdentifier": GUARDRAIL_ID},
   resources=[{"accountId": A, "type": "AWS::Bedrock::Guardrail",
               "ARN": f"arn:aws:bedrock:us-east-1:{A}:guardrail/{GUARDRAIL_ID}"}], ro=False)
STORY = [
    ("You are Mira, a tavern keeper in a fantasy city. Stay in character. A stranger walks in.",
     "*Mira wipes the counter and looks up.* Evening, traveller. Ale or news?"),
    ("Continue the story. The stranger asks about the old lighthouse.",
     "*She lowers her voice.* Nobody goes there since the storm. Why do you ask?"),
    ("Write 800 words continuing the scene, with dialogue.", "The rain drummed on the shutters as ..."),
]
for k in range(15):
    region = "us-east-1" if k < 10 else "us-west-2"
    p, a = STORY[k % len(STORY)]
    invoke(at("2026-04-02T14:10:03Z", 130 * k), LEAKED, region, ATTACKER_IP, UA_ATTACKER, OPUS, p, a,
           1400 + 37 * k, 850 + 23 * k)

# --- the responder, day 2 evening
ct("2026-04-02T17:20:05Z", {k: v for k, v in BOB.items() if k != "accessKeyId"}, "signin.amazonaws.com",
   "ConsoleLogin", "us-east-1", BOB_IP, UA_BROWSER, resp={"ConsoleLogin": "Success"},
   add={"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"},
   ro=False, etype="AwsConsoleSignIn")
ct("2026-04-02T17:24:40Z", BOB, "bedrock.amazonaws.com", "GetGuardrail", "us-east-1", BOB_IP, UA_BROWSER,
   req={"guardrailIdentifier": GUARDRAIL_ID},
   err=("ResourceNotFoundException", "The guardrail was not found."), console=True)
ct("2026-04-02T17:25:02Z", BOB, "bedrock.amazonaws.com", "ListGuardrails", "us-east-1", BOB_IP, UA_BROWSER,
   console=True)
ct("2026-04-02T17:26:19Z", BOB, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", "us-east-1",
   BOB_IP, UA_BROWSER, console=True)
ct("2026-04-02T17:40:51Z", BOB, "iam.amazonaws.com", "ListAccessKeys", "us-east-1", BOB_IP, UA_BROWSER,
   req={"userName": "svc-reporting"}, console=True)
ct("2026-04-02T17:41:30Z", BOB, "iam.amazonaws.com", "UpdateAccessKey", "us-east-1", BOB_IP, UA_BROWSER,
   req={"userName": "svc-reporting", "accessKeyId": KEY, "status": "Inactive"}, ro=False, console=True)

# The extra event of the messy folder: a template body over 1 MB on one line.
HUGE = ct("2026-04-02T16:05:44Z", ALICE, "cloudformation.amazonaws.com", "CreateStack", "us-east-1", ADMIN_IP,
          UA_BROWSER, req={"stackName": "bulk-parameters", "templateBody": "".join(
              f"  Param{i:05d}:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n"
              f"      Value: 'default-{i % 7}'\n" for i in range(14000)),
              "capabilities": ["CAPABILITY_IAM"]},
          resp={"stackId": f"arn:aws:cloudformation:us-east-1:{A}:stack/bulk-parameters/" + uid("stack")},
          ro=False, console=True)
RECORDS.remove(HUGE)

RECORDS.sort(key=lambda r: (r["eventTime"], r["eventID"]))
INVOCATIONS.sort(key=lambda r: (r["timestamp"], r["requestId"]))
MGMT = [r for r in RECORDS if r["managementEvent"]]
REGIONS = sorted({r["awsRegion"] for r in RECORDS})

# ---------------------------------------------------------------- writers

FILES = {}  # path relative to ROOT -> bytes


def put(path, data):
    if isinstance(data, str):
        data = data.encode()
    FILES[path] = data


def window(t, minutes):
    t = T(t)
    return t.replace(minute=t.minute - t.minute % minutes, second=0)


def s3_trail(prefix, records, bucket, acct_path, minutes, tag):
    """Trail delivery: one {"Records":[...]} per region and delivery window, gzip'd. Returns
    [(s3 key, uncompressed bytes, records)]."""
    groups = {}
    for r in records:
        groups.setdefault((r["awsRegion"], window(r["eventTime"], minutes)), []).append(r)
    out = []
    for (region, w), recs in sorted(groups.items()):
        deliver = w + dt.timedelta(minutes=minutes + 3)
        name = f"{A}_CloudTrail_{region}_{deliver.strftime('%Y%m%dT%H%MZ')}_{rand16(tag + region + iso(w))}.json.gz"
        key = f"AWSLogs/{acct_path}/CloudTrail/{region}/{deliver.strftime('%Y/%m/%d')}/{name}"
        raw = dumps({"Records": recs}).encode()
        put(f"{prefix}/{bucket}/{key}", gz(raw))
        out.append((key, raw, recs, deliver))
    return out


def digest(prefix, files, region, start, end):
    listed = [f for f in files if f[0].split("/CloudTrail/")[1].startswith(region + "/") and start <= f[3] < end]
    key = (f"AWSLogs/{ORG}/{A}/CloudTrail-Digest/{region}/{end.strftime('%Y/%m/%d')}/"
           f"{A}_CloudTrail-Digest_{region}_org-trail_us-east-1_{end.strftime('%Y%m%dT%H%M%SZ')}.json.gz")
    times = [r["eventTime"] for f in listed for r in f[2]]
    d = {"awsAccountId": A, "digestStartTime": iso(start), "digestEndTime": iso(end),
         "digestS3Bucket": TRAIL_BUCKET, "digestS3Object": key,
         "digestPublicKeyFingerprint": hx("fingerprint"), "digestSignatureAlgorithm": "SHA256withRSA",
         "newestEventTime": max(times), "oldestEventTime": min(times),
         "previousDigestS3Bucket": None, "previousDigestS3Object": None, "previousDigestHashValue": None,
         "previousDigestHashAlgorithm": None, "previousDigestSignature": None,
         "logFiles": [{"s3Bucket": TRAIL_BUCKET, "s3Object": f[0], "hashValue": hashlib.sha256(f[1]).hexdigest(),
                       "hashAlgorithm": "SHA-256", "newestEventTime": max(r["eventTime"] for r in f[2]),
                       "oldestEventTime": min(r["eventTime"] for r in f[2])} for f in listed]}
    put(f"{prefix}/{TRAIL_BUCKET}/{key}", gz(dumps(d).encode()))


def s3_invocations(prefix):
    groups = {}
    for r in INVOCATIONS:
        t = window(r["timestamp"], 10)
        groups.setdefault((r["region"], t), []).append(r)
    for (region, w), recs in sorted(groups.items()):
        deliver = w + dt.timedelta(minutes=10, seconds=41)
        name = f"{deliver.strftime('%Y%m%dT%H%M%S')}123Z_{rand16('inv' + region + iso(w))}.json.gz"
        key = (f"AWSLogs/{A}/BedrockModelInvocationLogs/{region}/{deliver.strftime('%Y/%m/%d/%H')}/{name}")
        put(f"{prefix}/{INV_BUCKET}/{key}", gz("".join(dumps(r) + "\n" for r in recs).encode()))
    put(f"{prefix}/{INV_BUCKET}/AWSLogs/{A}/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check", b"")


def cw_event(msg, t, stream, n):
    return {"logStreamName": stream, "timestamp": ms(T(t)), "message": msg,
            "ingestionTime": ms(T(t)) + 1200 + (n * 37) % 900,
            "eventId": str(int(hx(f"cw{stream}{t}{n}", 15), 16)).rjust(56, "3")}


def filter_log_events(records, stream_of, time_of, per_page, tag):
    events = [cw_event(dumps(r), time_of(r), stream_of(r), i) for i, r in enumerate(records)]
    events.sort(key=lambda e: (e["timestamp"], e["eventId"]))
    pages = []
    for i in range(0, len(events), per_page):
        page = {"events": events[i:i + per_page], "searchedLogStreams": []}
        if i + per_page < len(events):
            page["nextToken"] = base64.b64encode(hx(f"{tag}{i}", 48).encode()).decode()
        pages.append(page)
    return pages


def invocation_cloudwatch(prefix):
    for region in sorted({r["region"] for r in INVOCATIONS}):
        recs = [r for r in INVOCATIONS if r["region"] == region]
        (page,) = filter_log_events(recs, lambda r: "aws/bedrock/modelinvocations", lambda r: r["timestamp"],
                                    1000, "inv" + region)
        put(f"{prefix}/filter-log-events_bedrock-model-invocations_{region}.json", json.dumps(page, indent=4))


def lookup_page(records, token):
    evs = []
    for r in records:
        ui = r["userIdentity"]
        e = {"EventId": r["eventID"], "EventName": r["eventName"], "ReadOnly": "true" if r["readOnly"] else "false"}
        if ui.get("accessKeyId"):
            e["AccessKeyId"] = ui["accessKeyId"]
        local = T(r["eventTime"]) + dt.timedelta(hours=2)  # CLI v2: the local time of the responder (+02:00)
        e["EventTime"] = local.strftime("%Y-%m-%dT%H:%M:%S+02:00")
        e["EventSource"] = r["eventSource"]
        user = ui.get("userName") or (ui["arn"].rsplit("/", 1)[1] if ui.get("arn") else None)
        if user:
            e["Username"] = user
        e["Resources"] = [{"ResourceType": x["type"], "ResourceName": x["ARN"]} for x in r.get("resources") or []]
        e["CloudTrailEvent"] = dumps(r)
        evs.append(e)
    page = {"Events": evs}
    if token:
        page["NextToken"] = token
    return page


def lookup_pages(region, size=50):
    """Newest first, `size` events a page (the CLI's --max-items / --page-size)."""
    recs = sorted([r for r in MGMT if r["awsRegion"] == region], key=lambda r: r["eventTime"], reverse=True)
    pages = []
    for i in range(0, len(recs), size):
        more = i + size < len(recs)
        pages.append(lookup_page(recs[i:i + size], base64.b64encode(hx(region + str(i), 60).encode()).decode()
                                 if more else None))
    return pages


# --- (a) S3 delivery, organization trail, with a digest and the invocation-log tree
P = "s3-org-trail"
org_files = s3_trail(P, RECORDS, TRAIL_BUCKET, f"{ORG}/{A}", 10, "org")
digest(P, org_files, "us-east-1", T("2026-04-02T14:00:00Z"), T("2026-04-02T15:00:00Z"))
s3_invocations(P)

# --- (b) lookup-events pages per region, + the invocation log groups through filter-log-events
P = "lookup-events"
for region in REGIONS:
    pages = lookup_pages(region, 25 if region == "us-east-1" else 50)
    if region == "us-east-1":
        put(f"{P}/lookup-events_{region}_page1.json", json.dumps(pages[0], indent=4))
        # pages 2.. saved to one file, one JSON document after the other (a shell loop with >>)
        put(f"{P}/lookup-events_{region}_page2-{len(pages)}.json",
            "".join(json.dumps(p, indent=4) + "\n" for p in pages[1:]))
    else:
        for n, page in enumerate(pages, 1):
            put(f"{P}/lookup-events_{region}_page{n}.json", json.dumps(page, indent=4))
s3_invocations(P)

# --- (c) the trail's CloudWatch log group through filter-log-events, 3 pages, + the invocation log groups
P = "cloudwatch-api"
ct_stream = lambda r: f"{ORG}_{A}_CloudTrail_{r['awsRegion']}"  # noqa: E731
ct_ts = lambda r: at(r["eventTime"], 0)  # noqa: E731
pages = filter_log_events(RECORDS, ct_stream, ct_ts, 30, "ct")
for n, page in enumerate(pages, 1):
    put(f"{P}/filter-log-events_aws-cloudtrail-logs-{A}-org_page{n}.json", json.dumps(page, indent=4))
invocation_cloudwatch(P)

# --- (d) CloudWatch Logs export to S3: both log groups, with the write-test marker
P = "cloudwatch-export/example-ir-exports/exportedlogs"
put(f"{P}/aws-logs-write-test", "Permission Check Successful")


def export_lines(recs, time_of, delay_s):
    lines = []
    for r in recs:
        t = T(time_of(r)) + dt.timedelta(seconds=delay_s)
        lines.append((t, t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms(t) % 1000:03d}Z " + dumps(r) + "\n"))
    lines.sort(key=lambda x: x[0])
    return [x[1] for x in lines]


task = uid("export-task-trail")
for region in REGIONS:
    lines = export_lines([r for r in RECORDS if r["awsRegion"] == region], lambda r: r["eventTime"], 0)
    for n in range(0, len(lines), 40):
        put(f"{P}/{task}/{ORG}_{A}_CloudTrail_{region}/{n // 40:06d}.gz", gz("".join(lines[n:n + 40]).encode()))
for region in sorted({r["region"] for r in INVOCATIONS}):
    task = uid("export-task-bedrock-" + region)
    lines = export_lines([r for r in INVOCATIONS if r["region"] == region], lambda r: r["timestamp"], 0)
    put(f"{P}/{task}/aws/bedrock/modelinvocations/000000.gz", gz("".join(lines).encode()))

# --- (e) JSON Lines of bare records: jq -c '.Records[]' of the S3 files, one .jsonl and one .json.gz
P = "jsonl"
day1 = [r for f in org_files for r in f[2] if r["eventTime"].startswith("2026-04-01")]
day2 = [r for f in org_files for r in f[2] if r["eventTime"].startswith("2026-04-02")]
put(f"{P}/cloudtrail_2026-04-01.jsonl", "".join(dumps(r) + "\n" for r in day1))
put(f"{P}/cloudtrail_2026-04-02.json.gz", gz("".join(dumps(r) + "\n" for r in day2).encode()))
put(f"{P}/bedrock-invocations.jsonl", "".join(dumps(r) + "\n" for r in INVOCATIONS))

# --- (f) CloudTrail Lake get-query-results: the columns the query selected, structs and maps as Lake
# renders them ({key=value, ...}), eventTime as a timestamp. Not selected: responseElements,
# additionalEventData, sessionCredentialFromConsole, tlsDetails, vpcEndpointId.
P = "lake"
LAKE_COLUMNS = ["eventID", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
                "userIdentity", "requestParameters", "resources", "errorCode", "errorMessage", "requestID",
                "readOnly", "eventType", "eventCategory", "managementEvent", "recipientAccountId"]
UI_FIELDS = ["type", "principalid", "arn", "accountid", "accesskeyid", "username", "sessioncontext", "invokedby"]


def lake_value(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={lake_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(lake_value(x) for x in v) + "]"
    return str(v)


def lake_ui(ui):
    low = {k.lower(): v for k, v in ui.items()}
    out = {}
    for f in UI_FIELDS:
        v = low.get(f)
        if f == "sessioncontext" and v is not None:
            v = {"attributes": {"creationdate": v["attributes"]["creationDate"].replace("T", " ").replace("Z", ".000"),
                                "mfaauthenticated": v["attributes"]["mfaAuthenticated"]},
                 "sessionissuer": {k.lower(): x for k, x in v["sessionIssuer"].items()},
                 "webidfederationdata": None, "sourceidentity": None, "ec2roledelivery": None, "ec2issuedinvpc": None}
        out[f] = v
    return lake_value(out)


def lake_map(m):
    if m is None:
        return None
    return "{" + ", ".join(f"{k}={x if isinstance(x, str) else dumps(x)}" for k, x in m.items()) + "}"


def lake_row(r):
    row = []
    for c in LAKE_COLUMNS:
        v = r.get(c)
        if c == "eventTime":
            v = v.replace("T", " ").replace("Z", ".000")
        elif c == "userIdentity":
            v = lake_ui(v)
        elif c == "requestParameters":
            v = lake_map(v)
        elif c == "resources":
            v = None if v is None else lake_value([{"accountid": x.get("accountId"), "type": x["type"],
                                                    "arn": x["ARN"]} for x in v])
        elif isinstance(v, bool):
            v = "true" if v else "false"
        if v is not None:
            row.append({c: v})
    return row


lake_recs = sorted(RECORDS, key=lambda r: r["eventTime"])
half = (len(lake_recs) + 1) // 2
for n, chunk in enumerate((lake_recs[:half], lake_recs[half:]), 1):
    page = {"QueryStatus": "FINISHED",
            "QueryStatistics": {"ResultsCount": len(chunk), "TotalResultsCount": len(lake_recs),
                                "BytesScanned": 1843290},
            "QueryResultRows": [lake_row(r) for r in chunk]}
    if n == 1:
        page["NextToken"] = base64.b64encode(hx("lake", 60).encode()).decode()
    put(f"{P}/get-query-results_{uid('query')}_page{n}.json", dumps(page))
s3_invocations(P)

# --- (g) console Event history downloads, per region (management events only, newest first):
# CSV with the console table's columns, and JSON
HISTORY_COLUMNS = ["Event name", "Event time", "User name", "Event source", "Resource type", "Resource name",
                   "AWS access key", "AWS region", "Error code", "Event ID", "Read-only", "Source IP address"]


def csv_cell(v):
    v = "" if v is None else str(v)
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v


for region in REGIONS:
    recs = sorted([r for r in MGMT if r["awsRegion"] == region], key=lambda r: r["eventTime"], reverse=True)
    lines = [",".join(HISTORY_COLUMNS)]
    for r in recs:
        page = lookup_page([r], None)["Events"][0]
        res = r.get("resources") or []
        lines.append(",".join(csv_cell(v) for v in [
            r["eventName"], r["eventTime"], page.get("Username"), r["eventSource"],
            ", ".join(x["type"] for x in res), ", ".join(x["ARN"] for x in res),
            r["userIdentity"].get("accessKeyId"), r["awsRegion"], r.get("errorCode"), r["eventID"],
            "true" if r["readOnly"] else "false", r["sourceIPAddress"]]))
    put(f"event-history-csv/event_history_{region}.csv", "\r\n".join(lines) + "\r\n")
    put(f"event-history-json/event_history_{region}.json", dumps({"Records": recs}))
s3_invocations("event-history-csv")
s3_invocations("event-history-json")

# --- (h) messy: what lands on a responder's disk
P = "messy"
# The organization trail (org bucket), without the two regions that only the BOM file below holds.
org_messy = s3_trail(P, [r for r in RECORDS if r["awsRegion"] not in ("ap-northeast-1", "eu-central-1")],
                     TRAIL_BUCKET, f"{ORG}/{A}", 10, "org")
digest(P, org_messy, "us-east-1", T("2026-04-02T14:00:00Z"), T("2026-04-02T15:00:00Z"))
# The account's own trail delivers the same us-east-1 events again (other files, hourly): all duplicates.
acct = s3_trail(P, [r for r in RECORDS if r["awsRegion"] == "us-east-1"], ACCT_TRAIL_BUCKET, A, 60, "acct")
# The same us-west-2 file downloaded twice, the second copy renamed by the browser.
dup_key, dup_raw, dup_recs, _ = [f for f in org_messy if "_us-west-2_" in f[0]][0]
put(f"{P}/downloads/{dup_key.rsplit('/', 1)[1].replace('.json.gz', ' (1).json.gz')}", gz(dup_raw))
# A truncated download of the largest us-east-1 file: the gzip stream ends at 55%.
big_key, big_raw, big_recs, _ = max((f for f in org_messy if "_us-east-1_" in f[0]), key=lambda f: len(f[2]))
big = gz(big_raw)
put(f"{P}/downloads/{big_key.rsplit('/', 1)[1].replace('.json.gz', '.partial.json.gz')}", big[:len(big) * 55 // 100])
# ap-northeast-1 and eu-central-1 only from lookup-events pages saved by PowerShell (UTF-8 with BOM),
# the two pages as one JSON array.
bom_pages = [lookup_pages(r)[0] for r in ("ap-northeast-1", "eu-central-1")]
put(f"{P}/downloads/lookup-events_ap-northeast-1_eu-central-1.json",
    b"\xef\xbb\xbf" + json.dumps(bom_pages, indent=2).encode())
# The invocation logs: the S3 tree, and the us-east-1 log group again as a CloudWatch Logs export.
s3_invocations(P)
inv_dup = export_lines([r for r in INVOCATIONS if r["region"] == "us-east-1"], lambda r: r["timestamp"], 0)
put(f"{P}/downloads/exportedlogs/{uid('export-task-bedrock-us-east-1')}/aws/bedrock/modelinvocations/000000.gz",
    gz("".join(inv_dup).encode()))
# One record over 1 MB on one line (a CloudFormation template body), gzip'd JSON Lines.
put(f"{P}/downloads/cloudformation-createstack.jsonl.gz", gz((dumps(HUGE) + "\n").encode()))
put(f"{P}/downloads/empty.json", b"")
put(f"{P}/README.txt", "Case 2026-0417: CloudTrail and Bedrock logs copied from the org log archive\n"
                       "account and from the member account's bucket, plus a few console downloads.\n"
                       "Collected by J. Doe on 2026-04-03. Hashes in the case notes.\n")

# ---------------------------------------------------------------- expected counts

n_ct = len(RECORDS)
n_mgmt = len(MGMT)
expected = {
    "cloudtrail_events": n_ct, "management_events": n_mgmt, "data_events": n_ct - n_mgmt,
    "invocation_records": len(INVOCATIONS), "regions": REGIONS,
    "time_range": {"first": RECORDS[0]["eventTime"], "last": RECORDS[-1]["eventTime"]},
    "messy_cloudtrail_events": n_ct + 1,
    "messy_duplicates_at_least": sum(len(f[2]) for f in acct) + len(dup_recs) + len(inv_dup),
    "files": {s: sum(1 for p in FILES if p.startswith(s + "/")) for s in SHAPES},
    "attacker_invoke_calls": sum(1 for r in INVOCATIONS if r["identity"]["arn"].endswith("user/svc-reporting")),
}

for s in SHAPES:
    shutil.rmtree(os.path.join(ROOT, s), ignore_errors=True)
for path, data in sorted(FILES.items()):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as fh:
        fh.write(data)
with open(os.path.join(ROOT, "expected.json"), "w") as fh:
    fh.write(json.dumps(expected, indent=2, sort_keys=True) + "\n")
print(json.dumps(expected, sort_keys=True))
