// SPDX-License-Identifier: Apache-2.0
// Flat mode: rows of CloudTrail columns rebuilt as records.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <string>
#include <vector>

#include "decode/flat_record.h"

using aiir::FlatCell;
using aiir::flat_column_known;
using aiir::flat_to_record;

namespace {

/// The row as a record, parsed back so that tests read fields, not text.
struct Rebuilt {
  std::string json;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::size_t mapped = 0;

  explicit Rebuilt(const std::vector<FlatCell>& row) {
    mapped = flat_to_record(row, json);
    if (mapped > 0) REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
  }
  std::string at(const char* pointer) {
    std::string_view s;
    if (root.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) return "<absent>";
    return std::string(s);
  }
  bool has(const char* pointer) { return root.at_pointer(pointer).error() == simdjson::SUCCESS; }
};

}  // namespace

TEST_CASE("flat mode: column names in every spelling map to CloudTrail fields", "[decode][flat]") {
  for (const char* name : {"eventName", "Event name", "event_name", "EVENTNAME", "userIdentity.arn", "Source IP address",
                           "AWS access key", "requestParameters", "useridentity.sessioncontext.sessionissuer.arn"})
    CHECK(flat_column_known(name));
  for (const char* name : {"age", "type", "requestParameters.", "notes.arn", "@message"}) CHECK_FALSE(flat_column_known(name));
  // Logs Insights' @timestamp is the event time unless the row has eventTime itself.
  Rebuilt both({{"@timestamp", "2026-03-10 10:00:05.000"}, {"eventTime", "2026-03-10T10:00:00Z"}, {"eventName", "A"}});
  CHECK(both.at("/eventTime") == "2026-03-10T10:00:00Z");
  Rebuilt only({{"@timestamp", "2026-03-10 10:00:05.000"}, {"eventName", "A"}});
  CHECK(only.at("/eventTime") == "2026-03-10 10:00:05.000");

  Rebuilt r({{"eventID", "e1"},
             {"Event time", "2026-03-10 10:00:00.000"},
             {"eventSource", "s3.amazonaws.com"},
             {"eventName", "GetObject"},
             {"AWS access key", "AKIAIOSFODNN7EXAMPLE"},
             {"userIdentity.arn", "arn:aws:iam::111122223333:user/alice"},
             {"useridentity.sessioncontext.sessionissuer.arn", "arn:aws:iam::111122223333:role/R"},
             {"readOnly", "true"},
             {"errorCode", ""},
             {"notes", "ignored"}});
  CHECK(r.mapped == 8);  // the empty errorCode and the unknown column are not
  CHECK(r.at("/eventID") == "e1");
  CHECK(r.at("/eventTime") == "2026-03-10 10:00:00.000");
  CHECK(r.at("/userIdentity/accessKeyId") == "AKIAIOSFODNN7EXAMPLE");
  CHECK(r.at("/userIdentity/arn") == "arn:aws:iam::111122223333:user/alice");
  CHECK(r.at("/userIdentity/sessionContext/sessionIssuer/arn") == "arn:aws:iam::111122223333:role/R");
  bool ro = false;
  CHECK(r.root.at_pointer("/readOnly").get_bool().get(ro) == simdjson::SUCCESS);
  CHECK(ro);
  CHECK_FALSE(r.has("/errorCode"));
  CHECK_FALSE(r.has("/notes"));
  CHECK_FALSE(r.has("/eventVersion"));  // nothing invented

  Rebuilt none({{"age", "3"}, {"name", "bob"}});
  CHECK(none.mapped == 0);
  CHECK(none.json.empty());
}

TEST_CASE("flat mode: the Event history's resource columns", "[decode][flat]") {
  CHECK(flat_column_known("Resource type"));
  CHECK(flat_column_known("Resource name"));
  Rebuilt r({{"Event name", "InvokeModel"},
             {"Resource type", "AWS::Bedrock::Model"},
             {"Resource name", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-opus-20240229-v1:0"}});
  CHECK(r.at("/resources/0/type") == "AWS::Bedrock::Model");
  CHECK(r.at("/resources/0/ARN") == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-opus-20240229-v1:0");
  // Several resources, comma-separated in both columns, paired in order.
  Rebuilt two({{"Event name", "AttachRolePolicy"},
               {"Resource type", "AWS::IAM::Role, AWS::IAM::Policy"},
               {"Resource name", "app-role, arn:aws:iam::aws:policy/AdministratorAccess"}});
  CHECK(two.at("/resources/0/type") == "AWS::IAM::Role");
  CHECK(two.at("/resources/0/ARN") == "app-role");
  CHECK(two.at("/resources/1/type") == "AWS::IAM::Policy");
  CHECK(two.at("/resources/1/ARN") == "arn:aws:iam::aws:policy/AdministratorAccess");
  // A resources column wins over the two.
  Rebuilt both({{"Event name", "X"}, {"resources", R"([{"type":"T","ARN":"a"}])"}, {"Resource name", "b"}});
  CHECK(both.at("/resources/0/ARN") == "a");
  CHECK_FALSE(both.has("/resources/1"));
}

TEST_CASE("flat mode: Lake's struct, map and array renderings are read back", "[decode][flat]") {
  Rebuilt r({{"eventTime", "2026-03-10 10:00:00.000"},
             {"eventName", "AssumeRole"},
             {"userIdentity",
              "{type=AssumedRole, principalid=AROAEXAMPLE:s1, arn=arn:aws:sts::111122223333:assumed-role/R/s1, "
              "accountid=111122223333, accesskeyid=ASIAEXAMPLE, username=null, sessioncontext={attributes={"
              "creationdate=2026-03-10 09:00:00.000, mfaauthenticated=false}, sessionissuer={type=Role, "
              "arn=arn:aws:iam::111122223333:role/R}}, invokedby=null}"},
             {"userAgent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"},
             {"requestParameters", "{roleArn=arn:aws:iam::111122223333:role/Admin, roleSessionName=x, durationSeconds=3600}"},
             {"resources", "[{accountid=111122223333, type=AWS::IAM::Role, arn=arn:aws:iam::111122223333:role/Admin}]"},
             {"additionalEventData", R"({"MFAUsed":"No","LoginTo":"https://console.aws.amazon.com"})"}});
  CHECK(r.at("/userIdentity/type") == "AssumedRole");
  CHECK(r.at("/userIdentity/principalId") == "AROAEXAMPLE:s1");
  CHECK(r.at("/userIdentity/accessKeyId") == "ASIAEXAMPLE");
  CHECK_FALSE(r.has("/userIdentity/userName"));  // null is absent
  CHECK(r.at("/userIdentity/sessionContext/attributes/mfaAuthenticated") == "false");
  CHECK(r.at("/userIdentity/sessionContext/sessionIssuer/arn") == "arn:aws:iam::111122223333:role/R");
  CHECK(r.at("/userAgent") == "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)");
  CHECK(r.at("/requestParameters/roleArn") == "arn:aws:iam::111122223333:role/Admin");  // map keys as they are
  CHECK(r.at("/requestParameters/durationSeconds") == "3600");
  CHECK(r.at("/resources/0/ARN") == "arn:aws:iam::111122223333:role/Admin");
  CHECK(r.at("/resources/0/type") == "AWS::IAM::Role");
  CHECK(r.at("/additionalEventData/MFAUsed") == "No");  // JSON stays JSON

  // A map value that is JSON (a policy document) is kept whole, commas and braces included.
  Rebuilt policy({{"eventName", "PutBucketPolicy"},
                  {"requestParameters",
                   R"({bucketName=b, bucketPolicy={"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*"}]}})"}});
  CHECK(policy.at("/requestParameters/bucketName") == "b");
  CHECK(policy.at("/requestParameters/bucketPolicy/Statement/0/Principal") == "*");

  // Not a rendering we can read back: kept as text, never dropped or guessed at.
  Rebuilt odd({{"eventName", "X"}, {"requestParameters", "{unbalanced=(, x"}});
  CHECK(odd.at("/requestParameters") == "{unbalanced=(, x");
  Rebuilt junk({{"eventName", "X"}, {"userIdentity", "[[[[{"}, {"resources", std::string(200, '[')}});
  CHECK(junk.at("/userIdentity") == "[[[[{");
}

TEST_CASE("flat mode: a struct given whole and one of its fields alone", "[decode][flat]") {
  Rebuilt r({{"userIdentity.arn", "arn:aws:iam::111122223333:user/alice"},
             {"userIdentity", "{type=IAMUser, accountid=111122223333}"},
             {"eventName", "ListBuckets"}});
  CHECK(r.at("/userIdentity/arn") == "arn:aws:iam::111122223333:user/alice");
  CHECK(r.at("/userIdentity/type") == "IAMUser");
  CHECK(r.at("/userIdentity/accountId") == "111122223333");
}
