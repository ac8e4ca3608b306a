#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerate the detonation-captures fixture (README.md tells the story).

Deterministic: a fixed seed, no clock, files gzipped with `gzip -n`. Run from anywhere:
    python3 tests/data/scenarios/detonation-captures/make.py
It replaces AWSLogs/ next to this script. Records follow CloudTrail's S3 delivery: one
`{"Records":[...]}` object per file, one file per region and delivery (here: per hour),
records in a file not in time order.
"""
import base64
import datetime as dt
import json
import os
import random
import shutil
import string
import subprocess
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ACCT = "210987654321"
EXT = "908027385716"          # the attacker's own account
STRATUS_EXT = "012345678912"  # the outside account Stratus Red Team shares with
rng = random.Random(20260512)

# Addresses.
KALI = "203.0.113.77"         # the attacker's VPS: aws-cli on Kali, Pacu
PROXY = "198.51.100.19"       # the LLMjacking proxy
OFFICE = "192.0.2.10"         # the company's egress: administrators, the purple team
AIRFLOW = "192.0.2.44"        # on-premises Airflow (svc-ml-batch's nightly job)
JENKINS = "192.0.2.60"        # on-premises Jenkins (ci-deployer)
NAT = "52.4.118.23"           # production NAT gateway (ECS tasks, Lambda)
RAG_IP = "54.197.44.12"       # the RAG worker instance's public address
GH_RUNNERS = ["20.57.41.203", "4.246.137.88", "172.183.9.41"]

# Keys.
LEAK = "AKIA5ML7BATCHQ2ZK4WX"
CI_KEY = "AKIA5CIDEPLOY3J8N2QP"
BACKDOOR = "AKIA5CIBKDR9X4T7M2LE"
OPS_KEY = "AKIA5OPSNEW6W2R8K3ZD"
RAG_K3 = "ASIA5RAGINST3J8K9L0M"
DANA_KEY = "ASIA5PURPLEDANA7Q2W3"
GPD_KEY = "ASIA5STRATUSGPD4X8Y1"
OPS_CONSOLE = "ASIA5OPSCONSOLE3V8B1"
EXT_SESSION = "ASIA5EXTBATCH6H3J9KQ"
PROBE_ID = "7d3f9a2e-5b1c-4e8a-9f6d-2c4b8a1e3f57"

STOP = "2026-05-12T13:41:07Z"   # the attacker's StopLogging on this trail
START = "2026-05-12T14:06:55Z"  # the administrator's StartLogging

# User agents.
UA_KALI = ("aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.8 "
           "md/pyimpl#CPython exe/x86_64.kali.2023 cfg/retry-mode#standard md/installer#exe md/distrib#kali.2023 "
           "md/prompt#off md/command#{}")
UA_PACU = "Boto3/1.7.48 Python/3.9.1 Windows/7 Botocore/1.10.48"  # Pacu swaps the Kali agent for one of its list
UA_PROXY = "python-urllib3/2.0.7"
UA_STRATUS = "stratus-red-team_6d1f0c57-9a4e-4b8e-a1f2-3c5b7e9d0a14"
UA_TF = ("APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.46.0 "
         "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 ua/2.0 os/macos lang/go#1.22.1 "
         "md/GOOS#darwin md/GOARCH#arm64 api/{}#{} stratus-red-team_{}")
TF_WARMUP = "6d1f0c57-9a4e-4b8e-a1f2-3c5b7e9d0a14"
TF_CLEANUP = "b2e87c41-0d5f-4a3b-9c8e-7f1a2b3c4d5e"
UA_CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/124.0.0.0 Safari/537.36")
UA_FIREFOX_KALI = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"
UA_ECS = ("Boto3/1.34.100 md/Botocore#1.34.100 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 "
          "lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#standard Botocore/1.34.100")
UA_RAG = ("Boto3/1.34.90 md/Botocore#1.34.90 ua/2.0 os/linux#6.1.84-99.169.amzn2023.x86_64 md/arch#x86_64 "
          "lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.90")
UA_SSM_AGENT = "aws-sdk-go/1.44.260 (go1.21.9; linux; amd64) amazon-ssm-agent/3.3.380.0"
UA_AIRFLOW = ("Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#5.15.0-91-generic md/arch#x86_64 lang/python#3.10.12 "
              "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57")
UA_JENKINS = ("aws-cli/1.32.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.15.0-105-generic md/arch#x86_64 lang/python#3.10.12 "
              "md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.34.84")
UA_GHA_STS = ("aws-sdk-js/3.574.0 ua/2.1 os/linux#6.5.0-1021-azure lang/js md/nodejs#20.13.1 api/sts#3.574.0 m/E "
              "configure-aws-credentials-for-github-actions")
UA_GHA_CLI = ("aws-cli/2.15.51 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1021-azure md/arch#x86_64 lang/python#3.11.8 "
              "md/pyimpl#CPython exe/x86_64.ubuntu.22 cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 "
              "md/prompt#off md/command#{}")
UA_LAMBDA_ROT = ("Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.216-225.855.amzn2.x86_64 md/arch#x86_64 "
                 "lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.84")
UA_EXT = ("Boto3/1.34.98 md/Botocore#1.34.98 ua/2.0 os/linux#6.8.0-31-generic md/arch#x86_64 lang/python#3.12.3 "
          "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.98")


def t_(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(hhmmss, day=12):
    return t_(f"2026-05-{day:02d}T{hhmmss}Z")


def plus(t, seconds):
    return t + dt.timedelta(seconds=seconds)


def iam_date(t):
    """IAM and SSM write dates in responseElements as 'May 12, 2026, 2:15:10 PM'."""
    h = t.hour % 12 or 12
    return f"{t.strftime('%b')} {t.day}, {t.year}, {h}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


def new_uuid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rand_chars(n, alphabet=string.ascii_uppercase + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


def s3_request_id():
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(16))


def amz_id_2():
    raw = bytes(rng.getrandbits(8) for _ in range(56))
    return base64.b64encode(raw).decode()


def session_token():
    raw = bytes(rng.getrandbits(8) for _ in range(90))
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(raw).decode()


def key_id(prefix, tag):
    return (prefix + tag + rand_chars(20))[:20]


def pid(prefix, tag):
    return (prefix + tag + rand_chars(21))[:21]


for k in (LEAK, CI_KEY, BACKDOOR, OPS_KEY, RAG_K3, DANA_KEY, GPD_KEY, OPS_CONSOLE, EXT_SESSION):
    assert len(k) == 20, k

# ---------------------------------------------------------------------------------------------
# Identities


def iam_user(name, principal_id, key=None, console_created=None):
    u = {"type": "IAMUser", "principalId": principal_id, "arn": f"arn:aws:iam::{ACCT}:user/{name}",
         "accountId": ACCT}
    if key:
        u["accessKeyId"] = key
    u["userName"] = name
    if console_created:
        u["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                               "attributes": {"creationDate": console_created, "mfaAuthenticated": "false"}}
    return u


def role_session(role, role_id, session, key, created, path="/", ec2=False, invoked_by=None):
    role_arn = f"arn:aws:iam::{ACCT}:role{path}{role}"
    ctx = {"sessionIssuer": {"type": "Role", "principalId": role_id, "arn": role_arn, "accountId": ACCT,
                             "userName": role},
           "webIdFederationData": {},
           "attributes": {"creationDate": created, "mfaAuthenticated": "false"}}
    if ec2:
        ctx["ec2RoleDelivery"] = "2.0"
    u = {"type": "AssumedRole", "principalId": f"{role_id}:{session}",
         "arn": f"arn:aws:sts::{ACCT}:assumed-role/{role}/{session}", "accountId": ACCT}
    if key:
        u["accessKeyId"] = key
    u["sessionContext"] = ctx
    if invoked_by:
        u["invokedBy"] = invoked_by
    return u


def aws_service(name):
    return {"type": "AWSService", "invokedBy": name}


# ---------------------------------------------------------------------------------------------
# Records

RECORDS = []
READ_PREFIXES = ("Get", "List", "Describe", "LookupEvents", "BatchGet", "Search", "Head", "Invoke", "Converse")

VERSIONS = {"iam": "1.09", "sts": "1.08", "ec2": "1.10", "bedrock": "1.10", "s3": "1.10", "signin": "1.09",
            "secretsmanager": "1.09", "ssm": "1.08", "lambda": "1.08", "cloudtrail": "1.09", "rds": "1.08",
            "organizations": "1.09", "rolesanywhere": "1.08", "kms": "1.08", "ecs": "1.08", "ecr": "1.08"}


def default_host(source, region, name):
    svc = source.split(".")[0]
    if svc == "iam":
        return "iam.amazonaws.com"
    if svc == "sts":
        return "sts.amazonaws.com" if region == "us-east-1" else f"sts.{region}.amazonaws.com"
    if svc == "signin":
        return "signin.aws.amazon.com"
    if svc == "organizations":
        return "organizations.us-east-1.amazonaws.com"
    if svc == "bedrock" and (name.startswith("Invoke") or name.startswith("Converse")):
        return f"bedrock-runtime.{region}.amazonaws.com"
    if svc == "ecr":
        return f"api.ecr.{region}.amazonaws.com"
    return f"{svc}.{region}.amazonaws.com"


def ev(t, region, source, name, ident, ip, ua, req=None, resp=None, *, ro=None, err=None, msg=None,
       host=None, etype="AwsApiCall", console=False, rid=None, resources=None, add=None, shared=None,
       tls=True, tls12=False, recipient=ACCT, version=None):
    svc = source.split(".")[0]
    r = {"eventVersion": version or VERSIONS.get(svc, "1.09"), "userIdentity": ident,
         "eventTime": iso(t) if isinstance(t, dt.datetime) else t,
         "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua}
    if err:
        r["errorCode"] = err
        if msg:
            r["errorMessage"] = msg
    r["requestParameters"] = req
    r["responseElements"] = resp
    if add is not None:
        r["additionalEventData"] = add
    if rid is not False:
        r["requestID"] = rid or (s3_request_id() if svc == "s3" else new_uuid())
    r["eventID"] = new_uuid()
    r["readOnly"] = ro if ro is not None else name.startswith(READ_PREFIXES)
    if resources:
        r["resources"] = resources
    r["eventType"] = etype
    r["managementEvent"] = True
    r["recipientAccountId"] = recipient
    if shared:
        r["sharedEventID"] = shared
    r["eventCategory"] = "Management"
    if tls:
        r["tlsDetails"] = {"tlsVersion": "TLSv1.2" if tls12 else "TLSv1.3",
                           "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256" if tls12 else "TLS_AES_128_GCM_SHA256",
                           "clientProvidedHostHeader": host or default_host(source, region, name)}
    if console:
        r["sessionCredentialFromConsole"] = "true"
    RECORDS.append(r)
    return r


def s3_add(bytes_in=0):
    return {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": bytes_in,
            "AuthenticationMethod": "AuthHeader", "x-amz-id-2": amz_id_2(), "bytesTransferredOut": 0}


def denied(principal_arn, action, resource, exc=False):
    text = (f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")
    return ("AccessDeniedException" if exc else "AccessDenied"), text


def sts_creds(key, t, hours=1):
    return {"accessKeyId": key, "sessionToken": session_token(), "expiration": iam_date(plus(t, 3600 * hours))}


# Resource names.
TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/management-events"
TRAIL_BUCKET = f"aws-cloudtrail-logs-{ACCT}-3f9a1c2e"
KB_BUCKET = f"genai-kb-docs-{ACCT}"
RAG_INSTANCE = "i-0f3c8a6b2d1e4f507"
WORKER_INSTANCE = "i-0b5d1e7f3a9c2e461"
PROD_FLOW_LOG = "fl-0e4d2c1b3a5f6e7d8"
PROD_VPC = "vpc-0c1d2e3f4a5b6c7d8"
VECTOR_SNAPSHOT = "snap-0a9b8c7d6e5f40312"
GUARDRAIL = "q8w2e4r6t1yz"
KMS_KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/5e1f9c2a-7b3d-4e8f-a6c1-0d2b4f6e8a93"

# ---------------------------------------------------------------------------------------------
# Background: the account's ordinary day (2026-05-11 20:00 to 2026-05-12 17:55)

BEGIN = at("20:00:00", 11)
END = at("17:55:00")

# The chat application: an ECS Fargate task role calling Claude 3 Haiku through Converse.
CHAT_ROLE, CHAT_ROLE_ID = "chat-app-task-role", "AROA5CHATAPPTASK7Y3QX"
chat_sessions = []  # (from, key, task id, created)
t = at("17:58:12", 11)
for i in range(9):
    task = rand_chars(32, "0123456789abcdef")
    chat_sessions.append((t, key_id("ASIA5CHAT", f"K{i}"), task, iso(t)))
    t = plus(t, 3 * 3600)


def chat_session_at(t):
    cur = chat_sessions[0]
    for s in chat_sessions:
        if s[0] <= t:
            cur = s
    return cur


for i, (since, key, task, created) in enumerate(chat_sessions):
    if BEGIN <= since <= END:
        # ECS assumes the task role, and its service-linked role wires the task's network interface.
        ev(since, "us-east-1", "sts.amazonaws.com", "AssumeRole", aws_service("ecs-tasks.amazonaws.com"),
           "ecs-tasks.amazonaws.com", "ecs-tasks.amazonaws.com",
           {"roleArn": f"arn:aws:iam::{ACCT}:role/{CHAT_ROLE}", "roleSessionName": task},
           {"credentials": sts_creds(key, since, 6),
            "assumedRoleUser": {"assumedRoleId": f"{CHAT_ROLE_ID}:{task}",
                                "arn": f"arn:aws:sts::{ACCT}:assumed-role/{CHAT_ROLE}/{task}"}},
           resources=[{"accountId": ACCT, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{ACCT}:role/{CHAT_ROLE}"}],
           tls=False)
        slr = role_session("AWSServiceRoleForECS", "AROA5ECSSLR0SCHED4KQ", "ecs-service-scheduler", None,
                           iso(plus(since, -40)), path="/aws-service-role/ecs.amazonaws.com/",
                           invoked_by="ecs.amazonaws.com")
        eni = "eni-0" + rand_chars(16, "0123456789abcdef")
        ev(plus(since, -35), "us-east-1", "ec2.amazonaws.com", "CreateNetworkInterface", slr, "ecs.amazonaws.com",
           "ecs.amazonaws.com",
           {"subnetId": "subnet-0a1b2c3d4e5f60718", "description": "arn:aws:ecs:us-east-1:" + ACCT +
            ":attachment/" + new_uuid(), "groupSet": {"items": [{"groupId": "sg-0c7d8e9f0a1b2c3d4"}]},
            "privateIpAddressesSet": {}, "ipv6AddressCount": 0},
           {"requestId": new_uuid(), "networkInterface": {"networkInterfaceId": eni,
                                                          "subnetId": "subnet-0a1b2c3d4e5f60718",
                                                          "vpcId": PROD_VPC, "status": "pending",
                                                          "interfaceType": "interface"}},
           tls=False)
        # The task reads its database secret at start (Secrets Manager decrypts through KMS).
        sess = role_session(CHAT_ROLE, CHAT_ROLE_ID, task, key, created)
        ts = plus(since, 50)
        ev(ts, "us-east-1", "secretsmanager.amazonaws.com", "GetSecretValue", sess, NAT, UA_ECS,
           {"secretId": "prod/chat-app/db"}, None)
        kms_sess = role_session(CHAT_ROLE, CHAT_ROLE_ID, task, key, created, invoked_by="secretsmanager.amazonaws.com")
        ev(ts, "us-east-1", "kms.amazonaws.com", "Decrypt", kms_sess, "secretsmanager.amazonaws.com",
           "secretsmanager.amazonaws.com",
           {"encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "encryptionContext": {"SecretARN": f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod/chat-app/db-Xr4T2p",
                                  "SecretVersionId": new_uuid()}},
           None, resources=[{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": KMS_KEY}], tls=False)

t = at("20:02:41", 11)
while t < END:
    busy = at("09:00:00") <= t < at("17:00:00")
    for j in range(2 if busy else 1):
        tt = plus(t, j * 611 + rng.randint(0, 40))
        since, key, task, created = chat_session_at(tt)
        sess = role_session(CHAT_ROLE, CHAT_ROLE_ID, task, key, created)
        ev(tt, "us-east-1", "bedrock.amazonaws.com", "Converse", sess, NAT, UA_ECS,
           {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None,
           add={"inputTokens": rng.randint(400, 1900), "outputTokens": rng.randint(60, 420)})
    t = plus(t, 30 * 60)

# The RAG ingestion worker, EC2 i-0f3c8a6b2d1e4f507 with rag-ingest-instance-role: hourly SSM
# agent check-in and Titan embeddings. Its instance-role key rotates every six hours.
RAG_ROLE, RAG_ROLE_ID = "rag-ingest-instance-role", "AROA5RAGINGEST8N2WQ4"
rag_keys = [(at("14:30:00", 11), key_id("ASIA5RAGINST", "1"), at("14:30:00", 11)),
            (at("02:30:00"), key_id("ASIA5RAGINST", "2"), at("02:30:00")),
            (at("08:30:00"), RAG_K3, at("08:30:00")),
            (at("14:30:00"), key_id("ASIA5RAGINST", "4"), at("14:30:00"))]


def rag_session(t):
    cur = rag_keys[0]
    for k in rag_keys:
        if k[0] <= t:
            cur = k
    return role_session(RAG_ROLE, RAG_ROLE_ID, RAG_INSTANCE, cur[1], iso(plus(cur[2], -312)), ec2=True)


t = at("20:17:09", 11)
while t < END:
    if t.hour % 2 == 0:  # the agent checks in every few minutes; every other hour is kept here
        ev(t, "us-east-1", "ssm.amazonaws.com", "UpdateInstanceInformation", rag_session(t), RAG_IP, UA_SSM_AGENT,
           {"instanceId": RAG_INSTANCE, "agentVersion": "3.3.380.0", "agentStatus": "Active",
            "platformType": "Linux", "platformName": "Amazon Linux", "platformVersion": "2023",
            "iPAddress": "10.20.3.41", "computerName": "ip-10-20-3-41.ec2.internal", "agentName": "amazon-ssm-agent",
            "availabilityZone": "us-east-1b", "availabilityZoneId": "use1-az2",
            "sSMConnectionChannel": "ssmmessages"},
           None)
    for j in range(1):
        tt = plus(t, 23 * 60 + rng.randint(0, 20))
        ev(tt, "us-east-1", "bedrock.amazonaws.com", "InvokeModel", rag_session(tt), RAG_IP, UA_RAG,
           {"modelId": "amazon.titan-embed-text-v2:0"}, None,
           add={"inputTokens": rng.randint(300, 1100), "outputTokens": 0})
    t = plus(t, 3600)

# svc-ml-batch's nightly job on the on-premises Airflow: a Bedrock batch inference job.
BATCH_ID = "AIDA5MLBATCHQ7X2KD4PW"
batch_key_user = iam_user("svc-ml-batch", BATCH_ID, LEAK)
BATCH_ARN = f"arn:aws:iam::{ACCT}:user/svc-ml-batch"
BATCH_ROLE, BATCH_ROLE_ID = "BedrockBatchInferenceRole", "AROA5BEDROCKBATCH3KZ"
t = at("22:00:31", 11)
ev(t, "us-east-1", "bedrock.amazonaws.com", "ListFoundationModels", batch_key_user, AIRFLOW, UA_AIRFLOW,
   {"byOutputModality": "TEXT"}, None)
job = "k2x9f7m1q3ab"
ev(plus(t, 14), "us-east-1", "bedrock.amazonaws.com", "CreateModelInvocationJob", batch_key_user, AIRFLOW, UA_AIRFLOW,
   {"jobName": "nightly-ticket-summaries-20260511", "roleArn": f"arn:aws:iam::{ACCT}:role/{BATCH_ROLE}",
    "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
    "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://genai-batch-io-{ACCT}/input/2026-05-11/"}},
    "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://genai-batch-io-{ACCT}/output/2026-05-11/"}}},
   {"jobArn": f"arn:aws:bedrock:us-east-1:{ACCT}:model-invocation-job/{job}"})
ev(plus(t, 16), "us-east-1", "sts.amazonaws.com", "AssumeRole", aws_service("bedrock.amazonaws.com"),
   "bedrock.amazonaws.com", "bedrock.amazonaws.com",
   {"roleArn": f"arn:aws:iam::{ACCT}:role/{BATCH_ROLE}", "roleSessionName": "BedrockBatchInference-" + job},
   {"credentials": sts_creds(key_id("ASIA5BDRKBATCH", "S"), plus(t, 16)),
    "assumedRoleUser": {"assumedRoleId": f"{BATCH_ROLE_ID}:BedrockBatchInference-{job}",
                        "arn": f"arn:aws:sts::{ACCT}:assumed-role/{BATCH_ROLE}/BedrockBatchInference-{job}"}},
   resources=[{"accountId": ACCT, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{ACCT}:role/{BATCH_ROLE}"}],
   tls=False)
for j in range(4):
    ev(plus(t, 300 * (j + 1) + rng.randint(0, 9)), "us-east-1", "bedrock.amazonaws.com", "GetModelInvocationJob",
       batch_key_user, AIRFLOW, UA_AIRFLOW,
       {"jobIdentifier": f"arn:aws:bedrock:us-east-1:{ACCT}:model-invocation-job/{job}"}, None)

# ci-deployer, a legacy IAM user whose key Jenkins uses to roll the kb-sync worker.
CI_ID = "AIDA5CIDEPLOYER2M7QX"
ci_user = iam_user("ci-deployer", CI_ID, CI_KEY)
for t in (at("23:04:12", 11), at("11:04:40")):
    ev(t, "us-east-1", "ecr.amazonaws.com", "GetAuthorizationToken", ci_user, JENKINS, UA_JENKINS, {}, None)
    ev(plus(t, 31), "us-east-1", "ecs.amazonaws.com", "DescribeServices", ci_user, JENKINS, UA_JENKINS,
       {"cluster": "genai-prod", "services": ["kb-sync-worker"]}, None)
    ev(plus(t, 33), "us-east-1", "ecs.amazonaws.com", "UpdateService", ci_user, JENKINS, UA_JENKINS,
       {"cluster": "genai-prod", "service": "kb-sync-worker", "forceNewDeployment": True},
       {"service": {"serviceName": "kb-sync-worker", "clusterArn": f"arn:aws:ecs:us-east-1:{ACCT}:cluster/genai-prod",
                    "status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "launchType": "FARGATE"}})

# GitHub Actions deploys the chat API three times.
GHA_ROLE, GHA_ROLE_ID = "GitHubActionsDeployRole", "AROA5GHACTIONSDEP9L2"
OIDC = f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
SUB = "repo:example-corp/genai-chat:ref:refs/heads/main"
for n, (t, ip) in enumerate(zip((at("21:10:05", 11), at("09:40:17"), at("16:20:44")), GH_RUNNERS)):
    key = key_id("ASIA5GHACTIONS", f"R{n}")
    ev(t, "us-east-1", "sts.amazonaws.com", "AssumeRoleWithWebIdentity",
       {"type": "WebIdentityUser", "principalId": f"{OIDC}:sts.amazonaws.com:{SUB}", "userName": SUB,
        "identityProvider": OIDC},
       ip, UA_GHA_STS,
       {"roleArn": f"arn:aws:iam::{ACCT}:role/{GHA_ROLE}", "roleSessionName": "GitHubActions", "durationSeconds": 3600},
       {"credentials": sts_creds(key, t), "subjectFromWebIdentityToken": SUB,
        "assumedRoleUser": {"assumedRoleId": f"{GHA_ROLE_ID}:GitHubActions",
                            "arn": f"arn:aws:sts::{ACCT}:assumed-role/{GHA_ROLE}/GitHubActions"},
        "provider": OIDC, "audience": "sts.amazonaws.com"},
       add={"identityProviderConnectionVerificationMethod": "IAMTrustStore"},
       resources=[{"accountId": ACCT, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{ACCT}:role/{GHA_ROLE}"},
                  {"accountId": ACCT, "type": "AWS::IAM::OIDCProvider", "ARN": OIDC}])
    sess = role_session(GHA_ROLE, GHA_ROLE_ID, "GitHubActions", key, iso(t))
    steps = [
        (12, "sts.amazonaws.com", "GetCallerIdentity", "sts.get-caller-identity", None, None),
        (19, "ecr.amazonaws.com", "GetAuthorizationToken", "ecr.get-login-password", {}, None),
        (95, "ecs.amazonaws.com", "DescribeTaskDefinition", "ecs.describe-task-definition",
         {"taskDefinition": "chat-api"}, None),
        (97, "ecs.amazonaws.com", "RegisterTaskDefinition", "ecs.register-task-definition",
         {"family": "chat-api", "taskRoleArn": f"arn:aws:iam::{ACCT}:role/{CHAT_ROLE}", "networkMode": "awsvpc",
          "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024",
          "containerDefinitions": [{"name": "chat-api", "image": f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/chat-api:"
                                    + rand_chars(40, "0123456789abcdef"), "essential": True}]},
         {"taskDefinition": {"family": "chat-api", "revision": 88 + n, "status": "ACTIVE"}}),
        (101, "ec2.amazonaws.com", "DescribeSecurityGroups", "ec2.describe-security-groups",
         {"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": "sg-0c7d8e9f0a1b2c3d4"}]},
          "filterSet": {}}, None),
        (104, "ecs.amazonaws.com", "UpdateService", "ecs.update-service",
         {"cluster": "genai-prod", "service": "chat-api", "taskDefinition": f"chat-api:{88 + n}"},
         {"service": {"serviceName": "chat-api", "status": "ACTIVE", "desiredCount": 2}}),
        (140, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "lambda.update-function-code",
         {"functionName": "chat-api-authorizer", "s3Bucket": f"genai-artifacts-{ACCT}",
          "s3Key": f"chat-api-authorizer/{rand_chars(40, '0123456789abcdef')}.zip", "publish": True},
         {"functionName": "chat-api-authorizer",
          "functionArn": f"arn:aws:lambda:us-east-1:{ACCT}:function:chat-api-authorizer:{31 + n}",
          "runtime": "python3.12", "role": f"arn:aws:iam::{ACCT}:role/chat-api-authorizer-role",
          "handler": "app.handler", "codeSize": 48211, "version": str(31 + n), "state": "Pending"}),
        (150, "lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", "lambda.get-function-configuration",
         {"functionName": "chat-api-authorizer"}, None),
    ]
    for off, source, name, cmd, req, resp in steps:
        err = msg = None
        if n == 1 and name == "DescribeSecurityGroups":  # throttled once, retried
            ev(plus(t, off - 1), "us-east-1", source, name, sess, ip, UA_GHA_CLI.format(cmd), req, None,
               err="Client.RequestLimitExceeded", msg="Request limit exceeded.")
        ev(plus(t, off), "us-east-1", source, name, sess, ip, UA_GHA_CLI.format(cmd), req, resp)

# AWS services: a secret rotation (service events and the rotation Lambda's calls).
rot = at("04:00:12")
SUPPORT_SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:prod/support-db/admin-Qm7Lx2"
ev(rot, "us-east-1", "secretsmanager.amazonaws.com", "RotationStarted",
   {"accountId": ACCT, "invokedBy": "secretsmanager.amazonaws.com"}, "secretsmanager.amazonaws.com",
   "secretsmanager.amazonaws.com", None, None, rid=False, etype="AwsServiceEvent", ro=False,
   add={"SecretId": SUPPORT_SECRET}, tls=False)
rot_role = role_session("SecretsManagerRDSPostgreSQLRotationSingleUser-role", "AROA5ROTATIONLAMBDA7",
                        "SecretsManagerRDSPostgreSQLRotationSingleUser", key_id("ASIA5ROTLAMBDA", "X"), iso(rot))
for off, name, req in ((3, "DescribeSecret", {"secretId": SUPPORT_SECRET}),
                       (4, "GetSecretValue", {"secretId": SUPPORT_SECRET, "versionStage": "AWSCURRENT"}),
                       (5, "GetRandomPassword", {"excludeCharacters": "/@\"'\\", "passwordLength": 32}),
                       (6, "PutSecretValue", {"secretId": SUPPORT_SECRET, "clientRequestToken": new_uuid(),
                                              "secretString": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                              "versionStages": ["AWSPENDING"]}),
                       (9, "UpdateSecretVersionStage", {"secretId": SUPPORT_SECRET, "versionStage": "AWSCURRENT",
                                                        "moveToVersionId": new_uuid(),
                                                        "removeFromVersionId": new_uuid()})):
    ev(plus(rot, off), "us-east-1", "secretsmanager.amazonaws.com", name, rot_role, NAT, UA_LAMBDA_ROT, req, None,
       ro=name in ("DescribeSecret", "GetSecretValue", "GetRandomPassword"))
ev(plus(rot, 10), "us-east-1", "secretsmanager.amazonaws.com", "RotationSucceeded",
   {"accountId": ACCT, "invokedBy": "secretsmanager.amazonaws.com"}, "secretsmanager.amazonaws.com",
   "secretsmanager.amazonaws.com", None, None, rid=False, etype="AwsServiceEvent", ro=False,
   add={"SecretId": SUPPORT_SECRET}, tls=False)

# Alice, an administrator, through IAM Identity Center in the console.
ALICE_ROLE = "AWSReservedSSO_AdministratorAccess_9a8b7c6d5e4f3a2b"
ALICE_ROLE_ID = "AROA5ALICEADMINSSO3Q"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


def alice(key, created):
    return role_session(ALICE_ROLE, ALICE_ROLE_ID, "alice@example.com", key, created, path=SSO_PATH)


def console_login(t, ident, ip, ua, mfa="No"):
    return ev(t, "us-east-1", "signin.amazonaws.com", "ConsoleLogin", ident, ip, ua, None,
              {"ConsoleLogin": "Success"},
              add={"LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state="
                              "hashArgsFromTB_us-east-1_" + rand_chars(16, "0123456789abcdef"),
                   "MobileVersion": "No", "MFAUsed": mfa},
              rid=False, etype="AwsConsoleSignIn", ro=False)


a1 = key_id("ASIA5ALICECON", "A")
t = at("20:05:33", 11)
al = alice(a1, iso(t))
console_login(t, role_session(ALICE_ROLE, ALICE_ROLE_ID, "alice@example.com", None, iso(t), path=SSO_PATH),
              OFFICE, UA_CHROME)
for off, source, name, region, req in (
        (41, "ec2.amazonaws.com", "DescribeInstances", "us-east-1", {"instancesSet": {}, "filterSet": {}}),
        (44, "ec2.amazonaws.com", "DescribeAccountAttributes", "us-east-1",
         {"accountAttributeNameSet": {"items": [{"attributeName": "supported-platforms"}]}, "filterSet": {}}),
        (70, "s3.amazonaws.com", "ListBuckets", "us-east-1", {"Host": "s3.us-east-1.amazonaws.com"}),
        (95, "bedrock.amazonaws.com", "ListGuardrails", "us-east-1", {"maxResults": 50}),
        (97, "bedrock.amazonaws.com", "GetGuardrail", "us-east-1",
         {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "DRAFT"}),
        (140, "cloudtrail.amazonaws.com", "GetTrailStatus", "us-east-1", {"name": TRAIL})):
    if name == "DescribeAccountAttributes":  # the console's own back end
        ev(plus(t, off), region, source, name, al, "AWS Internal", "AWS Internal", req, None, console=True, tls=False)
    else:
        ev(plus(t, off), region, source, name, al, OFFICE, UA_CHROME, req, None, console=True,
           add=s3_add() if source.startswith("s3") else None)

a2 = key_id("ASIA5ALICECON", "B")
t = at("06:30:02")
al = alice(a2, iso(t))
console_login(t, role_session(ALICE_ROLE, ALICE_ROLE_ID, "alice@example.com", None, iso(t), path=SSO_PATH),
              OFFICE, UA_CHROME)
ev(plus(t, 60), "us-east-1", "iam.amazonaws.com", "CreateUser", al, OFFICE, UA_CHROME,
   {"userName": "new-analyst", "tags": [{"key": "team", "value": "analytics"}]},
   {"user": {"path": "/", "userName": "new-analyst", "userId": pid("AIDA5NEWANALYST", ""),
             "arn": f"arn:aws:iam::{ACCT}:user/new-analyst", "createDate": iam_date(plus(t, 60)),
             "tags": [{"key": "team", "value": "analytics"}]}}, console=True)
ev(plus(t, 71), "us-east-1", "iam.amazonaws.com", "AddUserToGroup", al, OFFICE, UA_CHROME,
   {"groupName": "analysts", "userName": "new-analyst"}, None, console=True)
ev(plus(t, 84), "us-east-1", "iam.amazonaws.com", "CreateLoginProfile", al, OFFICE, UA_CHROME,
   {"userName": "new-analyst", "passwordResetRequired": True},
   {"loginProfile": {"userName": "new-analyst", "createDate": iam_date(plus(t, 84)), "passwordResetRequired": True}},
   console=True)
ev(plus(t, 290), "us-east-1", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", al, OFFICE, UA_CHROME,
   {"groupId": "sg-0db5a6c7e8f901234",
    "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "groups": {},
                                 "ipRanges": {"items": [{"cidrIp": "10.20.0.0/16", "description": "analytics VPC"}]},
                                 "ipv6Ranges": {}, "prefixListIds": {}}]}},
   {"requestId": new_uuid(), "_return": True,
    "securityGroupRuleSet": {"items": [{"groupOwnerId": ACCT, "groupId": "sg-0db5a6c7e8f901234",
                                        "securityGroupRuleId": "sgr-0" + rand_chars(16, "0123456789abcdef"),
                                        "isEgress": False, "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432,
                                        "cidrIpv4": "10.20.0.0/16", "description": "analytics VPC"}]}},
   console=True)
# The Bedrock console: settings page, model catalogue, access to Cohere Embed for the analysts.
bt = plus(t, 600)
cohere = "cohere.embed-english-v3"
for off, name, req, resp in (
        (0, "GetModelInvocationLoggingConfiguration", None, None),
        (31, "ListFoundationModels", {}, None),
        (33, "ListInferenceProfiles", {"maxResults": 1000}, None),
        (58, "GetFoundationModelAvailability", {"modelId": cohere}, None),
        (64, "ListFoundationModelAgreementOffers", {"modelId": cohere, "offerType": "PUBLIC"}, None),
        (71, "CreateFoundationModelAgreement", {"modelId": cohere, "offerToken": rand_chars(120)},
         {"modelId": cohere}),
        (72, "PutFoundationModelEntitlement", {"modelId": cohere}, {"status": "SUCCESS"}),
        (90, "GetFoundationModelAvailability", {"modelId": cohere}, None)):
    ev(plus(bt, off), "us-east-1", "bedrock.amazonaws.com", name, al, OFFICE, UA_CHROME, req, resp, console=True,
       ro=name.startswith(("Get", "List")))

# ---------------------------------------------------------------------------------------------
# The purple team: Stratus Red Team from Dana's Identity Center CLI session (us-west-2)

DANA_ROLE = "AWSReservedSSO_PurpleTeam_4c1d2e3f5a6b7c8d"
DANA_ROLE_ID = "AROA5PURPLETEAMSSO8M"
dana = role_session(DANA_ROLE, DANA_ROLE_ID, "dana@example.com", DANA_KEY, "2026-05-12T07:51:40Z", path=SSO_PATH)
W2 = "us-west-2"
SFX = "p3n9x"
CES_TRAIL = f"stratus-red-team-ces-trail-{SFX}"
CES_TRAIL_ARN = f"arn:aws:cloudtrail:{W2}:{ACCT}:trail/{CES_TRAIL}"
CES_BUCKET = f"stratus-red-team-ces-bucket-{SFX}"
GPD_ROLE = "stratus-red-team-get-password-data-role-qx7vbn"
GPD_ROLE_ID = "AROA5STRATUSGPDROLE2"


def tf(api, ver, run=TF_WARMUP):
    return UA_TF.format(api, ver, run)


t = at("07:58:12")
ev(t, W2, "s3.amazonaws.com", "CreateBucket", dana, OFFICE, tf("s3", "1.53.1"),
   {"bucketName": CES_BUCKET, "Host": f"{CES_BUCKET}.s3.{W2}.amazonaws.com",
    "CreateBucketConfiguration": {"LocationConstraint": W2, "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}},
   None, add=s3_add(153), host=f"{CES_BUCKET}.s3.{W2}.amazonaws.com",
   resources=[{"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{CES_BUCKET}"}])
ev(plus(t, 8), W2, "s3.amazonaws.com", "PutBucketPolicy", dana, OFFICE, tf("s3", "1.53.1"),
   {"bucketName": CES_BUCKET, "Host": f"{CES_BUCKET}.s3.{W2}.amazonaws.com", "policy": "",
    "bucketPolicy": {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{CES_BUCKET}"},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{CES_BUCKET}/AWSLogs/{ACCT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}},
   None, add=s3_add(612), host=f"{CES_BUCKET}.s3.{W2}.amazonaws.com",
   resources=[{"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{CES_BUCKET}"}])
ev(plus(t, 19), W2, "cloudtrail.amazonaws.com", "CreateTrail", dana, OFFICE, tf("cloudtrail", "1.39.1"),
   {"name": CES_TRAIL, "s3BucketName": CES_BUCKET, "includeGlobalServiceEvents": True, "isMultiRegionTrail": False,
    "enableLogFileValidation": False, "isOrganizationTrail": False},
   {"name": CES_TRAIL, "s3BucketName": CES_BUCKET, "includeGlobalServiceEvents": True, "isMultiRegionTrail": False,
    "trailARN": CES_TRAIL_ARN, "logFileValidationEnabled": False, "isOrganizationTrail": False})
ev(plus(t, 21), W2, "cloudtrail.amazonaws.com", "StartLogging", dana, OFFICE, tf("cloudtrail", "1.39.1"),
   {"name": CES_TRAIL_ARN}, None)
sv = "vpc-0" + rand_chars(16, "0123456789abcdef")
ev(plus(t, 28), W2, "ec2.amazonaws.com", "CreateVpc", dana, OFFICE, tf("ec2", "1.156.0"),
   {"cidrBlock": "10.0.0.0/16", "instanceTenancy": "default", "amazonProvidedIpv6CidrBlock": False},
   {"requestId": new_uuid(), "vpc": {"vpcId": sv, "state": "pending", "cidrBlock": "10.0.0.0/16",
                                     "ownerId": ACCT, "instanceTenancy": "default", "isDefault": False}})
sfl = "fl-0" + rand_chars(16, "0123456789abcdef")
ev(plus(t, 36), W2, "ec2.amazonaws.com", "CreateFlowLogs", dana, OFFICE, tf("ec2", "1.156.0"),
   {"CreateFlowLogsRequest": {"ResourceId": {"tag": 1, "content": sv}, "ResourceType": "VPC", "TrafficType": "ALL",
                              "LogDestinationType": "cloud-watch-logs",
                              "LogGroupName": f"/stratus-red-team/vpc-flow-logs-{SFX}",
                              "DeliverLogsPermissionArn": f"arn:aws:iam::{ACCT}:role/stratus-red-team-flow-logs-{SFX}"}},
   {"CreateFlowLogsResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": new_uuid(),
                               "flowLogIdSet": {"item": sfl}, "unsuccessful": ""}})
ev(plus(t, 50), "us-east-1", "iam.amazonaws.com", "CreateRole", dana, OFFICE, tf("iam", "1.31.4"),
   {"roleName": GPD_ROLE,
    "assumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}]}),
    "description": "Role used by Stratus Red Team for aws.credential-access.ec2-get-password-data"},
   {"role": {"path": "/", "roleName": GPD_ROLE, "roleId": GPD_ROLE_ID, "arn": f"arn:aws:iam::{ACCT}:role/{GPD_ROLE}",
             "createDate": iam_date(plus(t, 50))}})
stratus_secrets = [f"stratus-red-team-batch-retrieve-secret-{SFX}-{i}" for i in range(12)]
for i, name in enumerate(stratus_secrets):
    ev(plus(t, 63 + i), W2, "secretsmanager.amazonaws.com", "CreateSecret", dana, OFFICE,
       tf("secretsmanager", "1.28.6"),
       {"name": name, "secretString": "HIDDEN_DUE_TO_SECURITY_REASONS", "clientRequestToken": new_uuid(),
        "tags": [{"key": "StratusRedTeam", "value": "true"}], "forceOverwriteReplicaSecret": False},
       {"aRN": f"arn:aws:secretsmanager:{W2}:{ACCT}:secret:{name}-{rand_chars(6, string.ascii_letters)}",
        "name": name, "versionId": new_uuid()})
svol = "vol-0" + rand_chars(16, "0123456789abcdef")
ssnap = "snap-0" + rand_chars(16, "0123456789abcdef")
ev(plus(t, 92), W2, "ec2.amazonaws.com", "CreateVolume", dana, OFFICE, tf("ec2", "1.156.0"),
   {"size": 1, "zone": "us-west-2a", "volumeType": "gp3", "encrypted": False},
   {"requestId": new_uuid(), "volumeId": svol, "size": 1, "zone": "us-west-2a", "status": "creating",
    "volumeType": "gp3", "encrypted": False})
ev(plus(t, 110), W2, "ec2.amazonaws.com", "CreateSnapshot", dana, OFFICE, tf("ec2", "1.156.0"),
   {"volumeId": svol, "description": "stratus-red-team-ebs-snapshot"},
   {"requestId": new_uuid(), "snapshotId": ssnap, "volumeId": svol, "status": "pending",
    "ownerId": ACCT, "volumeSize": 1, "description": "stratus-red-team-ebs-snapshot"})

# Detonations.
t = at("08:02:03")
ev(t, W2, "cloudtrail.amazonaws.com", "PutEventSelectors", dana, OFFICE, UA_STRATUS,
   {"trailName": CES_TRAIL, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": False,
                                                 "dataResources": [], "excludeManagementEventSources": []}]},
   {"trailARN": CES_TRAIL_ARN, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": False,
                                                    "dataResources": [], "excludeManagementEventSources": []}]})
ev(plus(t, 128), W2, "ec2.amazonaws.com", "DeleteFlowLogs", dana, OFFICE, UA_STRATUS,
   {"DeleteFlowLogsRequest": {"FlowLogId": {"content": sfl, "tag": 1}}},
   {"DeleteFlowLogsResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": new_uuid(),
                               "unsuccessful": ""}})
ev(plus(t, 267), W2, "secretsmanager.amazonaws.com", "BatchGetSecretValue", dana, OFFICE, UA_STRATUS,
   {"filters": [{"key": "tag-key", "values": ["StratusRedTeam"]}], "maxResults": 20}, None)
t = at("08:09:00")
gpd_created = plus(t, 0)
ev(t, W2, "sts.amazonaws.com", "AssumeRole", dana, OFFICE, UA_STRATUS,
   {"roleArn": f"arn:aws:iam::{ACCT}:role/{GPD_ROLE}", "roleSessionName": "stratus-red-team-get-password-data"},
   {"credentials": sts_creds(GPD_KEY, t),
    "assumedRoleUser": {"assumedRoleId": f"{GPD_ROLE_ID}:stratus-red-team-get-password-data",
                        "arn": f"arn:aws:sts::{ACCT}:assumed-role/{GPD_ROLE}/stratus-red-team-get-password-data"}},
   resources=[{"accountId": ACCT, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{ACCT}:role/{GPD_ROLE}"}])
gpd = role_session(GPD_ROLE, GPD_ROLE_ID, "stratus-red-team-get-password-data", GPD_KEY, iso(t))
gpd_arn = gpd["arn"]
for i in range(30):
    iid = "i-0" + rand_chars(16, "0123456789abcdef")
    ev(plus(t, 2 + i), W2, "ec2.amazonaws.com", "GetPasswordData", gpd, OFFICE, UA_STRATUS, {"instanceId": iid}, None,
       err="Client.UnauthorizedOperation",
       msg=(f"You are not authorized to perform this operation. User: {gpd_arn} is not authorized to perform: "
            f"ec2:GetPasswordData on resource: arn:aws:ec2:{W2}:{ACCT}:instance/{iid} because no identity-based "
            f"policy allows the ec2:GetPasswordData action"))
t = at("08:12:00")
ev(t, W2, "ec2.amazonaws.com", "ModifySnapshotAttribute", dana, OFFICE, UA_STRATUS,
   {"snapshotId": ssnap, "createVolumePermission": {"add": {"items": [{"userId": STRATUS_EXT}]}},
    "attributeType": "CREATE_VOLUME_PERMISSION"},
   {"requestId": new_uuid(), "_return": True})
# aws.impact.bedrock-invoke-model: the use-case form, the offer, the agreement, the entitlement,
# nine availability polls ten seconds apart, then the call.
t = at("08:15:10")
haiku = "anthropic.claude-3-haiku-20240307-v1:0"
form = base64.b64encode(base64.b64encode(json.dumps(
    {"companyName": "test", "companyWebsite": "https://test.com", "intendedUsers": "0", "industryOption": "Government",
     "otherIndustryOption": "", "useCases": "None of the Above. test"}).encode())).decode()
ev(t, W2, "bedrock.amazonaws.com", "PutUseCaseForModelAccess", dana, OFFICE, UA_STRATUS, {"formData": form}, None,
   ro=False)
ev(plus(t, 1), W2, "bedrock.amazonaws.com", "ListFoundationModelAgreementOffers", dana, OFFICE, UA_STRATUS,
   {"modelId": haiku}, None)
ev(plus(t, 1), W2, "bedrock.amazonaws.com", "GetFoundationModelAvailability", dana, OFFICE, UA_STRATUS,
   {"modelId": haiku}, None)
ev(plus(t, 2), W2, "bedrock.amazonaws.com", "CreateFoundationModelAgreement", dana, OFFICE, UA_STRATUS,
   {"modelId": haiku, "offerToken": rand_chars(120)}, {"modelId": haiku})
ev(plus(t, 3), W2, "bedrock.amazonaws.com", "PutFoundationModelEntitlement", dana, OFFICE, UA_STRATUS,
   {"modelId": haiku}, {"status": "SUCCESS"})
for i in range(9):
    ev(plus(t, 13 + 10 * i), W2, "bedrock.amazonaws.com", "GetFoundationModelAvailability", dana, OFFICE, UA_STRATUS,
       {"modelId": haiku}, None)
ev(plus(t, 94), W2, "bedrock.amazonaws.com", "InvokeModel", dana, OFFICE, UA_STRATUS, {"modelId": haiku}, None,
   add={"inputTokens": 12, "outputTokens": 21})

# Revert and cleanup.
t = at("08:31:40")
ev(t, W2, "cloudtrail.amazonaws.com", "PutEventSelectors", dana, OFFICE, UA_STRATUS,
   {"trailName": CES_TRAIL, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True,
                                                 "dataResources": [], "excludeManagementEventSources": []}]},
   {"trailARN": CES_TRAIL_ARN, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True,
                                                    "dataResources": [], "excludeManagementEventSources": []}]})
ev(plus(t, 9), W2, "ec2.amazonaws.com", "ModifySnapshotAttribute", dana, OFFICE, UA_STRATUS,
   {"snapshotId": ssnap, "createVolumePermission": {"remove": {"items": [{"userId": STRATUS_EXT}]}},
    "attributeType": "CREATE_VOLUME_PERMISSION"},
   {"requestId": new_uuid(), "_return": True})
t = at("08:40:05")
ev(t, W2, "cloudtrail.amazonaws.com", "DeleteTrail", dana, OFFICE, tf("cloudtrail", "1.39.1", TF_CLEANUP),
   {"name": CES_TRAIL_ARN}, None)
ev(plus(t, 4), W2, "s3.amazonaws.com", "DeleteBucket", dana, OFFICE, tf("s3", "1.53.1", TF_CLEANUP),
   {"bucketName": CES_BUCKET, "Host": f"{CES_BUCKET}.s3.{W2}.amazonaws.com"}, None, add=s3_add(),
   host=f"{CES_BUCKET}.s3.{W2}.amazonaws.com",
   resources=[{"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{CES_BUCKET}"}])
ev(plus(t, 9), W2, "ec2.amazonaws.com", "DeleteVpc", dana, OFFICE, tf("ec2", "1.156.0", TF_CLEANUP),
   {"vpcId": sv}, {"requestId": new_uuid(), "_return": True})
ev(plus(t, 12), W2, "ec2.amazonaws.com", "DeleteSnapshot", dana, OFFICE, tf("ec2", "1.156.0", TF_CLEANUP),
   {"snapshotId": ssnap}, {"requestId": new_uuid(), "_return": True})
ev(plus(t, 14), W2, "ec2.amazonaws.com", "DeleteVolume", dana, OFFICE, tf("ec2", "1.156.0", TF_CLEANUP),
   {"volumeId": svol}, {"requestId": new_uuid(), "_return": True})
ev(plus(t, 20), "us-east-1", "iam.amazonaws.com", "DeleteRole", dana, OFFICE, tf("iam", "1.31.4", TF_CLEANUP),
   {"roleName": GPD_ROLE}, None)
for i, name in enumerate(stratus_secrets[:3]):
    ev(plus(t, 24 + i), W2, "secretsmanager.amazonaws.com", "DeleteSecret", dana, OFFICE,
       tf("secretsmanager", "1.28.6", TF_CLEANUP),
       {"secretId": name, "forceDeleteWithoutRecovery": True},
       {"aRN": f"arn:aws:secretsmanager:{W2}:{ACCT}:secret:{name}", "name": name,
        "deletionDate": iam_date(plus(t, 24 + i))})

# ---------------------------------------------------------------------------------------------
# The attack: svc-ml-batch's key, leaked in a public repository

leak = batch_key_user


def kali(cmd):
    return UA_KALI.format(cmd)


def leak_ev(t, region, source, name, req=None, resp=None, ua=None, **kw):
    ua = ua or UA_PACU
    return ev(t, region, source, name, leak, KALI, ua, req, resp, tls12=(ua == UA_PACU), **kw)


t = at("12:51:04")
leak_ev(t, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", None, None, ua=kali("sts.get-caller-identity"))
# Pacu: iam__enum_permissions, then iam__bruteforce_permissions style probing (denied).
t = at("12:53:10")
for off, name, req in ((0, "GetUser", {"userName": "svc-ml-batch"}),
                       (2, "ListAttachedUserPolicies", {"userName": "svc-ml-batch"}),
                       (3, "ListUserPolicies", {"userName": "svc-ml-batch"}),
                       (5, "GetUserPolicy", {"userName": "svc-ml-batch", "policyName": "ml-batch-ops"}),
                       (6, "ListGroupsForUser", {"userName": "svc-ml-batch"}),
                       (8, "GetPolicy", {"policyArn": "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"}),
                       (9, "GetPolicyVersion", {"policyArn": "arn:aws:iam::aws:policy/AmazonBedrockFullAccess",
                                                "versionId": "v5"})):
    leak_ev(plus(t, off), "us-east-1", "iam.amazonaws.com", name, req)
denials = [
    (14, "iam.amazonaws.com", "GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails", "*",
     {"filter": ["User", "Role", "Group", "LocalManagedPolicy"]}, False),
    (17, "iam.amazonaws.com", "ListRoles", "iam:ListRoles", f"arn:aws:iam::{ACCT}:role/", None, False),
    (18, "iam.amazonaws.com", "ListUsers", "iam:ListUsers", f"arn:aws:iam::{ACCT}:user/", None, False),
    (19, "iam.amazonaws.com", "ListGroups", "iam:ListGroups", f"arn:aws:iam::{ACCT}:group/", None, False),
    (21, "iam.amazonaws.com", "ListPolicies", "iam:ListPolicies", f"arn:aws:iam::{ACCT}:policy/",
     {"scope": "Local", "onlyAttached": False}, False),
    (40, "guardduty.amazonaws.com", "ListDetectors", "guardduty:ListDetectors",
     f"arn:aws:guardduty:us-east-1:{ACCT}:detector/*", {}, True),
    (44, "cloudtrail.amazonaws.com", "DescribeTrails", "cloudtrail:DescribeTrails",
     f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/*", {"includeShadowTrails": True}, True),
    (47, "organizations.amazonaws.com", "DescribeOrganization", "organizations:DescribeOrganization", "*", None,
     True),
    (51, "config.amazonaws.com", "DescribeConfigurationRecorders", "config:DescribeConfigurationRecorders", "*",
     {}, True),
    (55, "kms.amazonaws.com", "ListKeys", "kms:ListKeys", "*", {}, True),
    (58, "rds.amazonaws.com", "DescribeDBInstances", "rds:DescribeDBInstances",
     f"arn:aws:rds:us-east-1:{ACCT}:db:*", {}, False),
    (62, "sso.amazonaws.com", "ListInstances", "sso:ListInstances", "*", {}, True),
    (66, "logs.amazonaws.com", "DescribeLogGroups", "logs:DescribeLogGroups",
     f"arn:aws:logs:us-east-1:{ACCT}:log-group::log-stream:", {}, True),
]
for off, source, name, action, res, req, exc in denials:
    code, text = denied(BATCH_ARN, action, res, exc)
    leak_ev(plus(t, off), "us-east-1", source, name, req, None, err=code, msg=text,
            version="1.09" if source.split(".")[0] not in VERSIONS else None)
# iam__privesc_scan finds iam:AttachUserPolicy on itself and uses it.
t = at("13:02:14")
leak_ev(t, "us-east-1", "iam.amazonaws.com", "AttachUserPolicy",
        {"userName": "svc-ml-batch", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, None)
for off, name, req in ((40, "ListUsers", None), (42, "ListRoles", None), (44, "ListGroups", None),
                       (46, "ListPolicies", {"scope": "Local", "onlyAttached": False})):
    leak_ev(plus(t, off), "us-east-1", "iam.amazonaws.com", name, req)
# ec2__enum in three regions.
t = at("13:05:02")
for r_i, region in enumerate(("us-east-1", "us-west-2", "eu-west-1")):
    base = plus(t, r_i * 75)
    for off, name, req in ((0, "DescribeInstances", {"instancesSet": {}, "filterSet": {}, "maxResults": 1000}),
                           (6, "DescribeSecurityGroups", {"securityGroupSet": {}, "securityGroupIdSet": {},
                                                          "filterSet": {}}),
                           (11, "DescribeVpcs", {"vpcSet": {}, "filterSet": {}}),
                           (15, "DescribeSubnets", {"subnetSet": {}, "filterSet": {}}),
                           (22, "DescribeImages", {"executableBySet": {}, "imagesSet": {},
                                                   "ownersSet": {"items": [{"owner": "self"}]}, "filterSet": {}}),
                           (30, "DescribeSnapshots", {"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]},
                                                      "restorableBySet": {}, "filterSet": {}}),
                           (38, "DescribeVolumes", {"volumeSet": {}, "filterSet": {}, "maxResults": 1000})):
        if region == "us-east-1" and name == "DescribeSnapshots":
            leak_ev(plus(base, off - 1), region, "ec2.amazonaws.com", name, req, None,
                    err="Client.RequestLimitExceeded", msg="Request limit exceeded.")
        leak_ev(plus(base, off), region, "ec2.amazonaws.com", name, req)
# lambda__enum.
t = at("13:10:15")
leak_ev(t, "us-east-1", "lambda.amazonaws.com", "ListFunctions20150331", {"functionVersion": "ALL"})
for off, fn in ((3, "kb-sync"), (4, "chat-api-authorizer")):
    leak_ev(plus(t, off), "us-east-1", "lambda.amazonaws.com", "GetFunction20150331v2", {"functionName": fn})
# secrets__enum: every secret and SecureString parameter.
t = at("13:11:20")
prod_secrets = ["prod/chat-app/db", "prod/rag/opensearch-master", "prod/support-db/admin", "prod/stripe/api-key",
                "prod/zendesk/token", "prod/slack/bot-token", "prod/github/deploy-key", "prod/datadog/api-key",
                "prod/kb-sync/confluence", "prod/ses/smtp", "prod/jwt/signing-key"]
leak_ev(t, "us-east-1", "secretsmanager.amazonaws.com", "ListSecrets", {"maxResults": 100})
for i, s in enumerate(prod_secrets):
    leak_ev(plus(t, 3 + i * 2), "us-east-1", "secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": s})
leak_ev(plus(t, 30), "us-east-1", "ssm.amazonaws.com", "DescribeParameters", {"maxResults": 50})
for i, p in enumerate(["/prod/rag/opensearch/password", "/prod/chat/api-key", "/prod/support-db/url",
                       "/prod/kb-sync/token", "/prod/ses/smtp-password", "/prod/stripe/webhook-secret"]):
    leak_ev(plus(t, 33 + i * 2), "us-east-1", "ssm.amazonaws.com", "GetParameter", {"name": p, "withDecryption": True})
# Bedrock: is invocation logging on? Which models? Can this key call them?
t = at("13:15:02")
leak_ev(t, "us-east-1", "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", None, None,
        ua=kali("bedrock.get-model-invocation-logging-configuration"))
for off, region in ((21, "us-east-1"), (25, "us-west-2"), (29, "eu-west-1")):
    leak_ev(plus(t, off), region, "bedrock.amazonaws.com", "ListFoundationModels", {}, None,
            ua=kali("bedrock.list-foundation-models"))
for off, region, rid in ((70, "us-east-1", PROBE_ID), (96, "us-west-2", None)):
    leak_ev(plus(t, off), region, "bedrock.amazonaws.com", "InvokeModel", {"modelId": "anthropic.claude-v2"}, None,
            ua=kali("bedrock-runtime.invoke-model"), err="ValidationException",
            msg="max_tokens_to_sample: range: 1..1,000,000", rid=rid)
# ec2-steal-instance-credentials: a shell command on the RAG worker reads its role's credentials.
t = at("13:20:31")
cmd_id = new_uuid()
leak_ev(t, "us-east-1", "ssm.amazonaws.com", "SendCommand",
        {"instanceIds": [RAG_INSTANCE], "documentName": "AWS-RunShellScript",
         "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": False},
        {"command": {"commandId": cmd_id, "documentName": "AWS-RunShellScript", "documentVersion": "$DEFAULT",
                     "comment": "", "expiresAfter": iam_date(plus(t, 7200)),
                     "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "instanceIds": [RAG_INSTANCE], "targets": [],
                     "requestedDateTime": iam_date(t), "status": "Pending", "statusDetails": "Pending",
                     "outputS3Region": "us-east-1", "outputS3BucketName": "", "outputS3KeyPrefix": "",
                     "maxConcurrency": "50", "maxErrors": "0", "targetCount": 1, "completedCount": 0,
                     "errorCount": 0, "deliveryTimedOutCount": 0, "serviceRole": "",
                     "notificationConfig": {"notificationArn": "", "notificationEvents": [], "notificationType": ""},
                     "cloudWatchOutputConfig": {"cloudWatchLogGroupName": "", "cloudWatchOutputEnabled": False},
                     "timeoutSeconds": 3600, "alarmConfiguration": {"ignorePollAlarmFailure": False, "alarms": []},
                     "triggeredAlarms": []}},
        ua=kali("ssm.send-command"))
for off in (9, 21):
    leak_ev(plus(t, off), "us-east-1", "ssm.amazonaws.com", "GetCommandInvocation",
            {"commandId": cmd_id, "instanceId": RAG_INSTANCE}, None, ua=kali("ssm.get-command-invocation"))

# The stolen instance-role key: checked and used for discovery from the VPS (ec2-enumerate),
# then by the LLMjacking proxy in us-west-2.
stolen = role_session(RAG_ROLE, RAG_ROLE_ID, RAG_INSTANCE, RAG_K3, iso(plus(rag_keys[2][2], -312)), ec2=True)
stolen_arn = stolen["arn"]
t = at("13:23:12")
ev(t, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", stolen, KALI, kali("sts.get-caller-identity"))
for off, source, name, req, cmd in ((20, "ec2.amazonaws.com", "DescribeInstances",
                                     {"instancesSet": {}, "filterSet": {}}, "ec2.describe-instances"),
                                    (34, "s3.amazonaws.com", "ListBuckets", {"Host": "s3.us-east-1.amazonaws.com"},
                                     "s3.ls"),
                                    (51, "ec2.amazonaws.com", "DescribeVolumes", {"volumeSet": {}, "filterSet": {}},
                                     "ec2.describe-volumes"),
                                    (66, "ec2.amazonaws.com", "DescribeSecurityGroups",
                                     {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
                                     "ec2.describe-security-groups")):
    ev(plus(t, off), "us-east-1", source, name, stolen, KALI, kali(cmd), req, None,
       add=s3_add() if source.startswith("s3") else None)
code, text = denied(stolen_arn, "iam:ListRoles", f"arn:aws:iam::{ACCT}:role/")
ev(plus(t, 80), "us-east-1", "iam.amazonaws.com", "ListRoles", stolen, KALI, kali("iam.list-roles"), None, None,
   err=code, msg=text)
t = at("13:27:40")
ev(t, W2, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", stolen, PROXY, UA_PROXY)
ev(plus(t, 3), W2, "bedrock.amazonaws.com", "ListFoundationModels", stolen, PROXY, UA_PROXY, {}, None)
sonnet = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def proxy_call(t, throttled=False):
    if throttled:
        ev(t, W2, "bedrock.amazonaws.com", "InvokeModelWithResponseStream", stolen, PROXY, UA_PROXY,
           {"modelId": sonnet}, None, err="ThrottlingException",
           msg="Too many requests, please wait before trying again.")
    else:
        ev(t, W2, "bedrock.amazonaws.com", "InvokeModelWithResponseStream", stolen, PROXY, UA_PROXY,
           {"modelId": sonnet}, None,
           add={"inputTokens": rng.randint(2500, 14000), "outputTokens": rng.randint(300, 2900)})


t = at("13:30:05")
for i in range(36):
    proxy_call(plus(t, i * 14 + rng.randint(0, 5)), throttled=i in (17, 18, 29))
# The proxy does not stop; what it did while the trail was off is not in these logs.
t = at("13:39:10")
while t < at("14:20:00"):
    proxy_call(t)
    t = plus(t, 47 + rng.randint(0, 30))

# Defense evasion.
t = at("13:36:02")
leak_ev(t, "us-east-1", "cloudtrail.amazonaws.com", "DescribeTrails", {"includeShadowTrails": True})
leak_ev(plus(t, 6), "us-east-1", "cloudtrail.amazonaws.com", "GetTrailStatus", {"name": TRAIL})
leak_ev(plus(t, 9), "us-east-1", "cloudtrail.amazonaws.com", "GetEventSelectors", {"trailName": TRAIL})
leak_ev(at("13:37:15"), "us-east-1", "s3.amazonaws.com", "PutBucketLifecycle",
        {"bucketName": TRAIL_BUCKET, "Host": f"{TRAIL_BUCKET}.s3.us-east-1.amazonaws.com", "lifecycle": "",
         "LifecycleConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                                    "Rule": {"ID": "nuke-cloudtrail-logs-after-1-day", "Status": "Enabled",
                                             "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}}},
        None, ua=kali("s3api.put-bucket-lifecycle-configuration"), add=s3_add(245),
        host=f"{TRAIL_BUCKET}.s3.us-east-1.amazonaws.com",
        resources=[{"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{TRAIL_BUCKET}"}])
leak_ev(at("13:38:02"), "us-east-1", "ec2.amazonaws.com", "DescribeFlowLogs", {"filterSet": {}})
leak_ev(at("13:38:20"), "us-east-1", "ec2.amazonaws.com", "DeleteFlowLogs",
        {"DeleteFlowLogsRequest": {"FlowLogId": {"content": PROD_FLOW_LOG, "tag": 1}}},
        {"DeleteFlowLogsResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": new_uuid(),
                                    "unsuccessful": ""}})
leak_ev(at("13:39:30"), "us-east-1", "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", None, None,
        ua=kali("bedrock.delete-model-invocation-logging-configuration"))
leak_ev(t_(STOP), "us-east-1", "cloudtrail.amazonaws.com", "StopLogging", {"name": TRAIL}, None)

# --- the trail is off until 14:06:55 ---
a3 = key_id("ASIA5ALICECON", "C")
al3 = alice(a3, "2026-05-12T14:05:48Z")  # signed in while the trail was off: no ConsoleLogin record
t = t_(START)
ev(t, "us-east-1", "cloudtrail.amazonaws.com", "StartLogging", al3, OFFICE, UA_CHROME, {"name": TRAIL}, None,
   console=True)
ev(plus(t, 9), "us-east-1", "cloudtrail.amazonaws.com", "GetTrailStatus", al3, OFFICE, UA_CHROME, {"name": TRAIL},
   None, console=True)
ev(plus(t, 40), "us-east-1", "cloudtrail.amazonaws.com", "LookupEvents", al3, OFFICE, UA_CHROME,
   {"lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "StopLogging"}], "maxResults": 50}, None,
   console=True)
ev(plus(t, 71), "us-east-1", "cloudtrail.amazonaws.com", "LookupEvents", al3, OFFICE, UA_CHROME,
   {"lookupAttributes": [{"attributeKey": "Username", "attributeValue": "svc-ml-batch"}], "maxResults": 50}, None,
   console=True)

# Persistence: an administrator user with a password and a key.
t = at("14:15:10")
OPS_ID = "AIDA5AWSCLOUDOPS4Z7RN"
leak_ev(t, "us-east-1", "iam.amazonaws.com", "CreateUser", {"userName": "aws-cloud-ops"},
        {"user": {"path": "/", "userName": "aws-cloud-ops", "userId": OPS_ID,
                  "arn": f"arn:aws:iam::{ACCT}:user/aws-cloud-ops", "createDate": iam_date(t)}},
        ua=kali("iam.create-user"))
leak_ev(plus(t, 31), "us-east-1", "iam.amazonaws.com", "AttachUserPolicy",
        {"userName": "aws-cloud-ops", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, None,
        ua=kali("iam.attach-user-policy"))
leak_ev(plus(t, 52), "us-east-1", "iam.amazonaws.com", "CreateLoginProfile",
        {"userName": "aws-cloud-ops", "passwordResetRequired": False},
        {"loginProfile": {"userName": "aws-cloud-ops", "createDate": iam_date(plus(t, 52)),
                          "passwordResetRequired": False}},
        ua=kali("iam.create-login-profile"))
leak_ev(plus(t, 80), "us-east-1", "iam.amazonaws.com", "CreateAccessKey", {"userName": "aws-cloud-ops"},
        {"accessKey": {"userName": "aws-cloud-ops", "accessKeyId": OPS_KEY, "status": "Active",
                       "createDate": iam_date(plus(t, 80))}},
        ua=kali("iam.create-access-key"))
# Pacu iam__backdoor_users_keys on ci-deployer.
t = at("14:18:05")
leak_ev(t, "us-east-1", "iam.amazonaws.com", "ListAccessKeys", {"userName": "ci-deployer"})
leak_ev(plus(t, 2), "us-east-1", "iam.amazonaws.com", "CreateAccessKey", {"userName": "ci-deployer"},
        {"accessKey": {"userName": "ci-deployer", "accessKeyId": BACKDOOR, "status": "Active",
                       "createDate": iam_date(plus(t, 2))}})
# iam-backdoor-role: BedrockBatchInferenceRole now also trusts the attacker's account.
t = at("14:20:12")
leak_ev(t, "us-east-1", "iam.amazonaws.com", "UpdateAssumeRolePolicy",
        {"roleName": BATCH_ROLE,
         "policyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
              "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}},
             {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{EXT}:root"}, "Action": "sts:AssumeRole"}]},
             indent=2)},
        None, ua=kali("iam.update-assume-role-policy"))
# rolesanywhere-create-trust-anchor: a role for Roles Anywhere with admin rights, trusted from the
# attacker's own certificate authority.
t = at("14:21:40")
RA_ROLE = "ops-automation-anywhere"
leak_ev(t, "us-east-1", "iam.amazonaws.com", "CreateRole",
        {"roleName": RA_ROLE,
         "assumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
              "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})},
        {"role": {"path": "/", "roleName": RA_ROLE, "roleId": pid("AROA5OPSANYWHERE", ""),
                  "arn": f"arn:aws:iam::{ACCT}:role/{RA_ROLE}", "createDate": iam_date(t)}},
        ua=kali("iam.create-role"))
leak_ev(plus(t, 18), "us-east-1", "iam.amazonaws.com", "AttachRolePolicy",
        {"roleName": RA_ROLE, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, None,
        ua=kali("iam.attach-role-policy"))
ta_id = new_uuid()
cert = ("-----BEGIN CERTIFICATE-----\nMIIBkTCCATegAwIBAgIUB3M2bGx2ZXJ0ZXN0Y2VydGlmaWNhdGUwCgYIKoZIzj0EAwIw\n"
        "HjEcMBoGA1UEAwwTb3BzLWF1dG9tYXRpb24tcm9vdDAeFw0yNjA1MTIxNDAwMDBa\n-----END CERTIFICATE-----\n")
leak_ev(plus(t, 50), "us-east-1", "rolesanywhere.amazonaws.com", "CreateTrustAnchor",
        {"enabled": True, "name": "ops-automation",
         "source": {"sourceData": {"x509CertificateData": cert}, "sourceType": "CERTIFICATE_BUNDLE"}},
        {"trustAnchor": {"createdAt": iso(plus(t, 50)), "enabled": True, "name": "ops-automation",
                         "source": {"sourceData": {"x509CertificateData": cert}, "sourceType": "CERTIFICATE_BUNDLE"},
                         "trustAnchorArn": f"arn:aws:rolesanywhere:us-east-1:{ACCT}:trust-anchor/{ta_id}",
                         "trustAnchorId": ta_id, "updatedAt": iso(plus(t, 50))}},
        ua=kali("rolesanywhere.create-trust-anchor"), ro=False)
prof_id = new_uuid()
leak_ev(plus(t, 78), "us-east-1", "rolesanywhere.amazonaws.com", "CreateProfile",
        {"durationSeconds": 43200, "enabled": True, "name": "ops-automation",
         "roleArns": [f"arn:aws:iam::{ACCT}:role/{RA_ROLE}"]},
        {"profile": {"createdAt": iso(plus(t, 78)), "durationSeconds": 43200, "enabled": True,
                     "name": "ops-automation", "profileArn": f"arn:aws:rolesanywhere:us-east-1:{ACCT}:profile/{prof_id}",
                     "profileId": prof_id, "roleArns": [f"arn:aws:iam::{ACCT}:role/{RA_ROLE}"],
                     "updatedAt": iso(plus(t, 78))}},
        ua=kali("rolesanywhere.create-profile"), ro=False)
# lambda-backdoor-function: kb-sync invocable by anyone.
t = at("14:25:40")
leak_ev(t, "us-east-1", "lambda.amazonaws.com", "AddPermission20150331v2",
        {"functionName": "kb-sync", "statementId": "allow-ops-invoke", "action": "lambda:InvokeFunction",
         "principal": "*"},
        {"statement": json.dumps({"Sid": "allow-ops-invoke", "Effect": "Allow", "Principal": "*",
                                  "Action": "lambda:InvokeFunction",
                                  "Resource": f"arn:aws:lambda:us-east-1:{ACCT}:function:kb-sync"},
                                 separators=(",", ":"))},
        ua=kali("lambda.add-permission"))
leak_ev(at("14:27:05"), "us-east-1", "bedrock.amazonaws.com", "DeleteGuardrail", {"guardrailIdentifier": GUARDRAIL},
        None, ua=kali("bedrock.delete-guardrail"))
code = "AccessDeniedException"
text = (f"User: {BATCH_ARN} is not authorized to perform: organizations:LeaveOrganization on resource: * "
        f"with an explicit deny in a service control policy")
leak_ev(at("14:29:13"), "us-east-1", "organizations.amazonaws.com", "LeaveOrganization", None, None,
        ua=kali("organizations.leave-organization"), err=code, msg=text)
# Exfiltration: the support database's snapshot, the vector store's volume snapshot, the KB bucket.
t = at("14:31:00")
RDS_SNAP = "support-db-snap-0512"
leak_ev(t, "us-east-1", "rds.amazonaws.com", "CreateDBSnapshot",
        {"dBSnapshotIdentifier": RDS_SNAP, "dBInstanceIdentifier": "support-db"},
        {"dBSnapshotIdentifier": RDS_SNAP, "dBInstanceIdentifier": "support-db", "engine": "postgres",
         "allocatedStorage": 100, "status": "creating", "port": 5432, "availabilityZone": "us-east-1b",
         "vpcId": PROD_VPC, "masterUsername": "support_admin", "engineVersion": "16.2", "snapshotType": "manual",
         "encrypted": False,
         "dBSnapshotArn": f"arn:aws:rds:us-east-1:{ACCT}:snapshot:{RDS_SNAP}"},
        ua=kali("rds.create-db-snapshot"))
leak_ev(at("14:33:20"), "us-east-1", "ec2.amazonaws.com", "ModifySnapshotAttribute",
        {"snapshotId": VECTOR_SNAPSHOT, "createVolumePermission": {"add": {"items": [{"userId": EXT}]}},
         "attributeType": "CREATE_VOLUME_PERMISSION"},
        {"requestId": new_uuid(), "_return": True}, ua=kali("ec2.modify-snapshot-attribute"))
leak_ev(at("14:35:45"), "us-east-1", "s3.amazonaws.com", "PutBucketPolicy",
        {"bucketName": KB_BUCKET, "Host": f"{KB_BUCKET}.s3.us-east-1.amazonaws.com", "policy": "",
         "bucketPolicy": {"Version": "2012-10-17", "Statement": [
             {"Sid": "AllowCrossAccountRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{EXT}:root"},
              "Action": ["s3:GetObject", "s3:ListBucket"],
              "Resource": [f"arn:aws:s3:::{KB_BUCKET}", f"arn:aws:s3:::{KB_BUCKET}/*"]}]}},
        None, ua=kali("s3api.put-bucket-policy"), add=s3_add(391), host=f"{KB_BUCKET}.s3.us-east-1.amazonaws.com",
        resources=[{"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{KB_BUCKET}"}])
leak_ev(at("14:41:10"), "us-east-1", "rds.amazonaws.com", "ModifyDBSnapshotAttribute",
        {"dBSnapshotIdentifier": RDS_SNAP, "attributeName": "restore", "valuesToAdd": [EXT]},
        {"dBSnapshotIdentifier": RDS_SNAP,
         "dBSnapshotAttributes": [{"attributeName": "restore", "attributeValues": [EXT]}]},
        ua=kali("rds.modify-db-snapshot-attribute"))
# ec2-user-data: stop the batch worker, replace its user data, start it.
t = at("14:44:50")
leak_ev(t, "us-east-1", "ec2.amazonaws.com", "StopInstances",
        {"instancesSet": {"items": [{"instanceId": WORKER_INSTANCE}]}, "force": False},
        {"requestId": new_uuid(), "instancesSet": {"items": [
            {"instanceId": WORKER_INSTANCE, "currentState": {"code": 64, "name": "stopping"},
             "previousState": {"code": 16, "name": "running"}}]}},
        ua=kali("ec2.stop-instances"))
leak_ev(plus(t, 128), "us-east-1", "ec2.amazonaws.com", "ModifyInstanceAttribute",
        {"instanceId": WORKER_INSTANCE, "userData": "<sensitiveDataRemoved>"},
        {"requestId": new_uuid(), "_return": True}, ua=kali("ec2.modify-instance-attribute"))
leak_ev(plus(t, 160), "us-east-1", "ec2.amazonaws.com", "StartInstances",
        {"instancesSet": {"items": [{"instanceId": WORKER_INSTANCE}]}},
        {"requestId": new_uuid(), "instancesSet": {"items": [
            {"instanceId": WORKER_INSTANCE, "currentState": {"code": 0, "name": "pending"},
             "previousState": {"code": 80, "name": "stopped"}}]}},
        ua=kali("ec2.start-instances"))

# The new administrator signs in from the VPS, without MFA.
t = at("14:52:31")
console_login(t, iam_user("aws-cloud-ops", OPS_ID), KALI, UA_FIREFOX_KALI)
ops_console = iam_user("aws-cloud-ops", OPS_ID, OPS_CONSOLE, console_created=iso(t))
for off, source, name, req in ((48, "iam.amazonaws.com", "GetAccountSummary", None),
                               (55, "iam.amazonaws.com", "ListUsers", {"maxItems": 100}),
                               (61, "iam.amazonaws.com", "ListRoles", {"maxItems": 100}),
                               (130, "ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
                               (188, "s3.amazonaws.com", "ListBuckets", {"Host": "s3.us-east-1.amazonaws.com"})):
    ev(plus(t, off), "us-east-1", source, name, ops_console, KALI, UA_FIREFOX_KALI, req, None, console=True,
       add=s3_add() if source.startswith("s3") else None)

# The attacker's account assumes the backdoored role and calls models through the proxy.
t = at("15:05:20")
ext_ident = {"type": "AWSAccount", "principalId": "AIDA5EXTATTACKERK8M2Q", "accountId": EXT}
ev(t, "us-east-1", "sts.amazonaws.com", "AssumeRole", ext_ident, PROXY, UA_EXT,
   {"roleArn": f"arn:aws:iam::{ACCT}:role/{BATCH_ROLE}", "roleSessionName": "batch"},
   {"credentials": sts_creds(EXT_SESSION, t),
    "assumedRoleUser": {"assumedRoleId": f"{BATCH_ROLE_ID}:batch",
                        "arn": f"arn:aws:sts::{ACCT}:assumed-role/{BATCH_ROLE}/batch"}},
   resources=[{"accountId": ACCT, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{ACCT}:role/{BATCH_ROLE}"}],
   shared=new_uuid())
ext_sess = role_session(BATCH_ROLE, BATCH_ROLE_ID, "batch", EXT_SESSION, iso(t))
ev(plus(t, 50), "us-east-1", "bedrock.amazonaws.com", "ListFoundationModels", ext_sess, PROXY, UA_PROXY, {}, None)
for i in range(6):
    ev(plus(t, 70 + i * 41), "us-east-1", "bedrock.amazonaws.com", "InvokeModel", ext_sess, PROXY, UA_PROXY,
       {"modelId": sonnet}, None, add={"inputTokens": rng.randint(3000, 9000), "outputTokens": rng.randint(400, 2000)})

# Containment: the administrator deactivates the leaked key.
a4 = key_id("ASIA5ALICECON", "D")
t = at("15:29:50")
console_login(t, role_session(ALICE_ROLE, ALICE_ROLE_ID, "alice@example.com", None, iso(t), path=SSO_PATH),
              OFFICE, UA_CHROME)
al4 = alice(a4, iso(t))
ev(plus(t, 110), "us-east-1", "iam.amazonaws.com", "ListAccessKeys", al4, OFFICE, UA_CHROME,
   {"userName": "svc-ml-batch"}, None, console=True)
ev(plus(t, 135), "us-east-1", "iam.amazonaws.com", "UpdateAccessKey", al4, OFFICE, UA_CHROME,
   {"userName": "svc-ml-batch", "accessKeyId": LEAK, "status": "Inactive"}, None, console=True)
ev(plus(t, 150), "us-east-1", "iam.amazonaws.com", "GetAccessKeyLastUsed", al4, OFFICE, UA_CHROME,
   {"accessKeyId": LEAK}, None, console=True)

# The backdoors are used at the end of the day.
t = at("17:40:10")
bk = iam_user("ci-deployer", CI_ID, BACKDOOR)
ev(t, "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", bk, KALI, kali("sts.get-caller-identity"))
ev(plus(t, 22), "us-east-1", "s3.amazonaws.com", "ListBuckets", bk, KALI, kali("s3.ls"),
   {"Host": "s3.us-east-1.amazonaws.com"}, None, add=s3_add())
ev(plus(t, 40), "us-east-1", "ec2.amazonaws.com", "DescribeInstances", bk, KALI, kali("ec2.describe-instances"),
   {"instancesSet": {}, "filterSet": {}}, None)
t = at("17:44:30")
ops_user = iam_user("aws-cloud-ops", OPS_ID, OPS_KEY)
ev(t, "us-east-1", "iam.amazonaws.com", "ListAccessKeys", ops_user, KALI, kali("iam.list-access-keys"),
   {"userName": "svc-ml-batch"}, None)
ev(plus(t, 15), "us-east-1", "iam.amazonaws.com", "ListUsers", ops_user, KALI, kali("iam.list-users"), None, None)

# ---------------------------------------------------------------------------------------------
# The trail was off between STOP and START: nothing in that window was delivered.

stop, start = t_(STOP), t_(START)
RECORDS = [r for r in RECORDS if not (stop < t_(r["eventTime"]) < start)]
RECORDS = [r for r in RECORDS if BEGIN <= t_(r["eventTime"]) <= END]
assert len({r["eventID"] for r in RECORDS}) == len(RECORDS)


def write():
    root = os.path.join(HERE, "AWSLogs")
    if os.path.isdir(root):
        shutil.rmtree(root)
    files = {}
    for r in sorted(RECORDS, key=lambda r: (r["awsRegion"], r["eventTime"], r["eventID"])):
        hour = t_(r["eventTime"]).replace(minute=0, second=0)
        files.setdefault((r["awsRegion"], hour), []).append(r)
    for (region, hour), recs in sorted(files.items()):
        rng.shuffle(recs)  # CloudTrail does not order the records of a file
        delivered = hour + dt.timedelta(minutes=60 + rng.randint(2, 9))
        folder = os.path.join(root, ACCT, "CloudTrail", region, delivered.strftime("%Y/%m/%d"))
        os.makedirs(folder, exist_ok=True)
        name = (f"{ACCT}_CloudTrail_{region}_{delivered.strftime('%Y%m%dT%H%MZ')}_"
                f"{rand_chars(16, string.ascii_letters + string.digits)}.json")
        path = os.path.join(folder, name)
        with open(path, "w") as fh:
            fh.write(json.dumps({"Records": recs}, separators=(",", ":")))
        subprocess.run(["gzip", "-n", "-9", "-f", path], check=True)
    return len(files)


if __name__ == "__main__":
    n = write()
    print(f"{len(RECORDS)} records in {n} files")
